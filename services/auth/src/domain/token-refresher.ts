import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ParleyError } from '@parley/errors';
import type { Channel, Credentials } from './model.js';
import type { BrandOAuth, Clock, CredentialRepository, RefreshLocks } from './ports.js';

export interface TokenRefresher {
  /** The customer's credentials with an access token valid for at least `marginMs` more. */
  fresh(channel: Channel, current: Credentials): Promise<Credentials>;
  /** Refreshes now (the brand said the token is no longer active), unless someone just did. */
  refresh(channel: Channel, current: Credentials): Promise<Credentials>;
}

/**
 * Refresh with refresh-token rotation, once per customer however many messages arrive at once:
 * concurrent callers in this process share one promise, and across processes a lock (a unique
 * insert) lets one refresh while the others wait for the credentials' version to change. Two
 * refreshes with the same rotating refresh token would make the brand revoke the grant.
 */
export function createTokenRefresher(deps: {
  credentials: CredentialRepository;
  refreshLocks: RefreshLocks;
  brand: BrandOAuth;
  clock: Clock;
  marginMs?: number;
  lockTtlMs?: number;
  waitTimeoutMs?: number;
  pollMs?: number;
}): TokenRefresher {
  const {
    credentials,
    refreshLocks,
    brand,
    clock,
    marginMs = 30_000, // refresh tokens this close to expiry before using them
    lockTtlMs = 15_000,
    waitTimeoutMs = 10_000,
    pollMs = 50,
  } = deps;
  const inFlight = new Map<string, Promise<Credentials>>();

  const gone = (why: string) => new ParleyError('reauthentication_required', why);

  async function refreshAcrossProcesses(channel: Channel, seen: Credentials): Promise<Credentials> {
    const { tenantId, customerKey } = seen;
    const owner = randomUUID();
    const deadline = clock.now().getTime() + waitTimeoutMs;
    for (;;) {
      if (await refreshLocks.tryAcquire(tenantId, customerKey, owner, lockTtlMs)) {
        try {
          const latest = await credentials.find(tenantId, customerKey);
          if (!latest) throw gone('the customer signed out');
          if (latest.version !== seen.version) return latest; // refreshed while we took the lock
          if (!latest.refreshToken) throw gone('the brand issued no refresh token');
          const tokens = await brand.refresh(channel, latest.refreshToken);
          const now = clock.now();
          const next: Credentials = {
            ...latest,
            accessToken: tokens.accessToken,
            accessTokenExpiresAt: new Date(now.getTime() + tokens.expiresInSeconds * 1000),
            // A brand that does not rotate keeps the old refresh token valid.
            refreshToken: tokens.refreshToken ?? latest.refreshToken,
            scope: tokens.scope ?? latest.scope,
            version: latest.version + 1,
            updatedAt: now,
          };
          await credentials.save(next);
          return next;
        } finally {
          await refreshLocks.release(tenantId, customerKey, owner);
        }
      }
      await sleep(pollMs);
      const latest = await credentials.find(tenantId, customerKey);
      if (!latest) throw gone('the customer signed out');
      if (latest.version !== seen.version) return latest;
      if (clock.now().getTime() > deadline) {
        throw new ParleyError('auth_unavailable', 'timed out waiting for another token refresh');
      }
    }
  }

  function refresh(channel: Channel, current: Credentials): Promise<Credentials> {
    const key = `${current.tenantId}\u0000${current.customerKey}`;
    let pending = inFlight.get(key);
    if (!pending) {
      pending = refreshAcrossProcesses(channel, current).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    return pending;
  }

  return {
    refresh,
    async fresh(channel, current) {
      const expiresIn = current.accessTokenExpiresAt.getTime() - clock.now().getTime();
      return expiresIn > marginMs ? current : refresh(channel, current);
    },
  };
}
