import type { Channel } from '../domain/model.js';
import type { ChannelRepository } from '../domain/ports.js';

/**
 * Channel settings change rarely but are read three times per message (AuthorizeSession,
 * enrichment's GetChannel, GetAccessToken), each a store round trip plus opening the sealed client
 * secret. This keeps a found channel for `ttlMs`; a save through this instance takes effect at once,
 * a save on another auth replica within `ttlMs`. Customer data and tokens are never cached.
 *
 * @example
 * const channels = cacheChannels(repositories.channels, { ttlMs: 5000, now: Date.now });
 */
export function cacheChannels(
  inner: ChannelRepository,
  options: { ttlMs: number; now: () => number; maxEntries?: number },
): ChannelRepository {
  const { ttlMs, now, maxEntries = 10_000 } = options;
  if (ttlMs <= 0) return inner;
  const entries = new Map<string, { channel: Channel; until: number }>();
  const keyOf = (tenantId: string, channelId: string) => `${tenantId}\u0000${channelId}`;
  return {
    async save(channel) {
      entries.delete(keyOf(channel.tenantId, channel.channelId));
      await inner.save(channel);
      entries.delete(keyOf(channel.tenantId, channel.channelId)); // a find racing the save
    },
    async find(tenantId, channelId) {
      const key = keyOf(tenantId, channelId);
      const cached = entries.get(key);
      if (cached && cached.until > now()) return cached.channel;
      const channel = await inner.find(tenantId, channelId);
      entries.delete(key);
      if (channel) {
        if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
        entries.set(key, { channel, until: now() + ttlMs });
      }
      return channel;
    },
  };
}
