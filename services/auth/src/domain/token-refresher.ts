import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { callerGone, ParleyError, throwIfCallerGone, untilCallerGone } from '@parley/errors';
import type { Channel, Credentials, StoredCredentials, UnopenedChannel } from './model.js';
import type { BrandOAuth, Clock, CredentialRepository, RefreshLocks } from './ports.js';

/**
 * Every method takes the caller's signal (a gRPC handler's): once it fires the caller stops
 * waiting, for the lock or for a refresh, with `deadline_exceeded`. A refresh no caller waits for
 * any more stops waiting for its lock and never starts its brand request; one already sent runs to
 * its end, so a rotated refresh token is stored, not lost.
 */
export interface TokenRefresher {
  /** The credentials with an access token that is not about to expire. */
  fresh(
    channel: RefreshChannel,
    current: StoredCredentials,
    signal?: AbortSignal,
  ): Promise<StoredCredentials>;
  /** Refreshes now (the brand said the token is no longer active), unless someone just did. */
  refresh(
    channel: RefreshChannel,
    current: StoredCredentials,
    signal?: AbortSignal,
  ): Promise<StoredCredentials>;
  /** Runs `work` while holding the credentials' lock (sign-in and logout must not race a refresh). */
  withLock<T>(
    credentials: { tenantId: string; customerKey: string; channelId: string },
    work: () => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T>;
}

/** The channel of the credentials: open, or opened only if a refresh reaches the brand. */
export type RefreshChannel = Channel | UnopenedChannel;

const opened = (channel: RefreshChannel): Promise<Channel> | Channel =>
  'open' in channel ? channel.open() : channel;

/** A refresh in flight, shared by the callers of this process that wait for it. */
interface Flight {
  readonly result: Promise<StoredCredentials>;
  /** Fires once every caller waiting has gone (never while one without a signal waits). */
  readonly abandoned: AbortController;
  waiting: number;
  unbounded: boolean;
}

/** The lock key of one set of credentials. */
const lockKey = ({ customerKey, channelId }: { customerKey: string; channelId: string }) =>
  `${customerKey}/${channelId}`;

/** Credentials just written, as a read hands them out (their refresh token already open). */
function asStored({ refreshToken, ...credentials }: Credentials): StoredCredentials {
  return refreshToken === undefined
    ? credentials
    : { ...credentials, openRefreshToken: () => Promise.resolve(refreshToken) };
}

/**
 * Refresh with refresh-token rotation, once per set of credentials however many messages arrive at
 * once: concurrent callers in this process share one promise, and across processes a lease in the
 * store (RefreshLocks) lets one refresh while the others wait for the credentials' version to
 * change. Two refreshes with the same rotating refresh token would make the brand revoke the grant.
 */
export function createTokenRefresher(deps: {
  credentials: CredentialRepository;
  refreshLocks: RefreshLocks;
  brand: BrandOAuth;
  clock: Clock;
  /** Longest a brand request may take; the lock must outlive a refresh (RFC 6749 token request). */
  brandTimeoutMs: number;
  maxMarginMs?: number;
  waitTimeoutMs?: number;
  pollMs?: number;
}): TokenRefresher {
  const { credentials, refreshLocks, brand, clock, brandTimeoutMs, maxMarginMs = 30_000, pollMs = 50 } = deps;
  // Two brand round trips plus the store, so a slow refresh never outlives its lock.
  // If it lapses anyway, replace's compare-and-set keeps a late refresh from overwriting newer ones.
  const lockTtlMs = 2 * brandTimeoutMs + 5_000;
  const waitTimeoutMs = deps.waitTimeoutMs ?? lockTtlMs;
  const inFlight = new Map<string, Flight>();
  const gone = (why: string) => new ParleyError('reauthentication_required', why);

  async function withLock<T>(
    key: { tenantId: string; customerKey: string; channelId: string },
    work: () => Promise<T>,
    signal?: AbortSignal,
  ) {
    const owner = randomUUID();
    const deadline = clock.now().getTime() + waitTimeoutMs;
    throwIfCallerGone(signal);
    while (!(await refreshLocks.tryAcquire(key.tenantId, lockKey(key), owner, lockTtlMs))) {
      if (clock.now().getTime() > deadline)
        throw new ParleyError('auth_unavailable', 'timed out waiting for a token refresh');
      try {
        await sleep(pollMs, undefined, signal ? { signal } : {});
      } catch (aborted) {
        throw callerGone(signal, aborted);
      }
    }
    try {
      return await work();
    } finally {
      await refreshLocks.release(key.tenantId, lockKey(key), owner);
    }
  }

  async function refreshOnce(
    channel: RefreshChannel,
    seen: StoredCredentials,
    abandoned: AbortSignal,
  ): Promise<StoredCredentials> {
    const { tenantId, customerKey, channelId } = seen;
    return withLock(
      seen,
      async () => {
        const latest = await credentials.find(tenantId, customerKey, channelId);
        if (!latest) throw gone('the customer signed out');
        if (latest.version !== seen.version) return latest; // refreshed while we waited for the lock
        if (!latest.openRefreshToken) throw gone('the brand issued no refresh token');
        throwIfCallerGone(abandoned); // no one waits: the brand is not asked
        const { openRefreshToken, ...held } = latest;
        const refreshToken = await openRefreshToken();
        const tokens = await brand.refresh(await opened(channel), refreshToken);
        const now = clock.now();
        const next: Credentials = {
          ...held,
          accessToken: tokens.accessToken,
          accessTokenExpiresAt: new Date(now.getTime() + tokens.expiresInSeconds * 1000),
          // A brand that does not rotate keeps the old refresh token valid.
          refreshToken: tokens.refreshToken ?? refreshToken,
          scope: tokens.scope ?? latest.scope,
          version: latest.version + 1,
          updatedAt: now,
        };
        // Replace, never insert, and only from the version we read: a logout that deleted the
        // credentials meanwhile stays a logout, and newer credentials are never overwritten.
        if (await credentials.replace(next)) return asStored(next);
        const current = await credentials.find(tenantId, customerKey, channelId);
        if (!current) throw gone('the customer signed out');
        // Another process wrote them since we read (our lease lapsed and it refreshed): use its result.
        return current;
      },
      abandoned,
    );
  }

  function refresh(
    channel: RefreshChannel,
    current: StoredCredentials,
    signal?: AbortSignal,
  ): Promise<StoredCredentials> {
    if (signal?.aborted) return Promise.reject(callerGone(signal));
    const key = `${current.tenantId}\u0000${lockKey(current)}`;
    let flight = inFlight.get(key);
    if (!flight) {
      const abandoned = new AbortController();
      const started: Flight = {
        result: refreshOnce(channel, current, abandoned.signal).finally(() => {
          if (inFlight.get(key) === started) inFlight.delete(key);
        }),
        abandoned,
        waiting: 0,
        unbounded: false,
      };
      flight = started;
      inFlight.set(key, flight);
    }
    const joined = flight;
    if (!signal) joined.unbounded = true;
    joined.waiting += 1;
    return untilCallerGone(joined.result, signal, () => {
      joined.waiting -= 1;
      if (joined.waiting > 0 || joined.unbounded) return;
      // Abandoned: a later caller starts its own flight (the lock keeps the two from racing).
      if (inFlight.get(key) === joined) inFlight.delete(key);
      joined.abandoned.abort(signal?.reason);
    });
  }

  return {
    refresh,
    withLock,
    async fresh(channel, current, signal) {
      const now = clock.now().getTime();
      // Refresh ahead of expiry, by at most half the token's lifetime so short-lived tokens are
      // not refreshed on every message.
      const lifetime = current.accessTokenExpiresAt.getTime() - current.updatedAt.getTime();
      const margin = Math.min(maxMarginMs, Math.max(0, lifetime / 2));
      return current.accessTokenExpiresAt.getTime() - now > margin
        ? current
        : refresh(channel, current, signal);
    },
  };
}
