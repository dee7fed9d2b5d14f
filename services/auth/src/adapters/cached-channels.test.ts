import { describe, expect, it } from 'vitest';
import type { Channel } from '../domain/model.js';
import type { ChannelRepository } from '../domain/ports.js';
import { cacheChannels } from './cached-channels.js';

function countingStore() {
  const stored = new Map<string, Channel>();
  const calls = { find: 0 };
  const inner: ChannelRepository = {
    async save(channel) {
      stored.set(channel.channelId, channel);
    },
    async find(_tenantId, channelId) {
      calls.find += 1;
      return stored.get(channelId) ?? null;
    },
  };
  return { inner, calls };
}

const channel = (issuer: string) => ({ tenantId: 'acme', channelId: 'web', issuer }) as unknown as Channel;

describe('cached channels', () => {
  it('reads the store once per ttl, and a save takes effect at once', async () => {
    let clock = 0;
    const { inner, calls } = countingStore();
    const channels = cacheChannels(inner, { ttlMs: 5000, now: () => clock });
    await channels.save(channel('https://a.example'));
    expect((await channels.find('acme', 'web'))?.issuer).toBe('https://a.example');
    await channels.find('acme', 'web');
    expect(calls.find).toBe(1);
    await channels.save(channel('https://b.example'));
    expect((await channels.find('acme', 'web'))?.issuer).toBe('https://b.example');
    expect(calls.find).toBe(2);
    clock = 6000;
    await channels.find('acme', 'web');
    expect(calls.find).toBe(3);
  });

  it('does not remember a channel that is not there, and can be turned off', async () => {
    const { inner, calls } = countingStore();
    const channels = cacheChannels(inner, { ttlMs: 5000, now: () => 0 });
    expect(await channels.find('acme', 'web')).toBeNull();
    await inner.save(channel('https://a.example'));
    expect(await channels.find('acme', 'web')).not.toBeNull();
    expect(cacheChannels(inner, { ttlMs: 0, now: () => 0 })).toBe(inner);
    expect(calls.find).toBe(2);
  });
});
