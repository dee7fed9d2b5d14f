import { describe, expect, it } from 'vitest';
import { createBotStreams } from './bot-streams.js';

describe('bot stream slots', () => {
  it('limits streams per key and per tenant, and gives a slot back once', () => {
    const streams = createBotStreams({ perKey: 2, perTenant: 3 });
    const a1 = streams.open('acme', 'key-a', () => {});
    const a2 = streams.open('acme', 'key-a', () => {});
    expect(streams.open('acme', 'key-a', () => {})).toEqual({ refused: 'key_limit' });
    const b1 = streams.open('acme', 'key-b', () => {});
    expect(streams.open('acme', 'key-b', () => {})).toEqual({ refused: 'tenant_limit' });
    // Another tenant is not affected.
    expect(streams.open('globex', 'key-c', () => {})).toHaveProperty('release');
    expect(streams.size()).toBe(4);
    if (!('release' in a1) || !('release' in a2) || !('release' in b1)) throw new Error('refused');
    a1.release();
    a1.release();
    expect(streams.size()).toBe(3);
    expect(streams.open('acme', 'key-b', () => {})).toHaveProperty('release');
  });

  it('closes every open stream on shutdown', () => {
    const streams = createBotStreams({ perKey: 5, perTenant: 5 });
    const closed: string[] = [];
    streams.open('acme', 'key-a', (reason) => closed.push(`a:${reason}`));
    const b = streams.open('acme', 'key-b', (reason) => closed.push(`b:${reason}`));
    if ('release' in b) b.release();
    streams.closeAll();
    expect(closed).toEqual(['a:shutdown']);
  });
});
