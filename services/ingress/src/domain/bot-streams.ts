/** Why a bot event stream was refused. */
export type StreamRefusal = 'key_limit' | 'tenant_limit';

/** Why a bot event stream ended. */
export type StreamEnd = 'client' | 'shutdown' | 'error' | 'slow_client' | 'key_revoked' | 'cursor_expired';

export interface BotStreams {
  /**
   * Registers one more stream of this key, or says why not. `close` is how the registry ends it
   * (on shutdown); `release` gives its slot back when it ends (once).
   */
  open(
    tenantId: string,
    keyId: string,
    close: (reason: StreamEnd) => void,
  ): { release: () => void } | { refused: StreamRefusal };
  /** Ends every open stream (graceful shutdown): bots reconnect to another pod with their cursor. */
  closeAll(): void;
  /** Streams open on this pod. */
  size(): number;
}

/**
 * The bot event streams open on this pod, counted per API key and per tenant, so that one bot (or
 * one tenant's bots) cannot hold every long poll against integrations. Per pod, like the rate limits.
 */
export function createBotStreams(limits: { perKey: number; perTenant: number }): BotStreams {
  const byKey = new Map<string, number>();
  const byTenant = new Map<string, number>();
  const closers = new Set<(reason: StreamEnd) => void>();
  const change = (counts: Map<string, number>, id: string, by: number) => {
    const next = (counts.get(id) ?? 0) + by;
    if (next === 0) counts.delete(id);
    else counts.set(id, next);
  };
  return {
    open(tenantId, keyId, close) {
      if ((byKey.get(keyId) ?? 0) >= limits.perKey) return { refused: 'key_limit' };
      if ((byTenant.get(tenantId) ?? 0) >= limits.perTenant) return { refused: 'tenant_limit' };
      change(byKey, keyId, 1);
      change(byTenant, tenantId, 1);
      closers.add(close);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          change(byKey, keyId, -1);
          change(byTenant, tenantId, -1);
          closers.delete(close);
        },
      };
    },
    closeAll() {
      for (const close of [...closers]) close('shutdown');
    },
    size: () => closers.size,
  };
}
