import { createHash } from 'node:crypto';
import { ParleyError } from '@parley/errors';
import type { RateLimiter } from './ports.js';

export interface SessionQuota {
  /**
   * Takes one request from the session's quota, before auth (and so the brand) is asked: a flood
   * never reaches the brand. Throws `rate_limited` with the seconds to wait when it is used up.
   */
  take(sessionToken: string, what: string): void;
  /** Remembers the session a token belongs to, once auth has verified it (its next requests count there). */
  learn(sessionToken: string, sessionId: string): void;
}

/**
 * A token as bytes: each base64url part decoded, so spellings that differ only in unused bits (which
 * all verify) are one token. Hashed, so raw tokens are never kept as map keys.
 */
function tokenKey(sessionToken: string): string {
  const hash = createHash('sha256');
  for (const part of sessionToken.split('.')) hash.update(Buffer.from(part, 'base64url')).update('.');
  return hash.digest('base64url');
}

/**
 * The per-session rate limit (`RATE_LIMIT_PER_SESSION_PER_MINUTE`), keyed on the session id auth
 * verified, not on the token's spelling. A token is counted under its own key only until auth has
 * answered for it once; then under its session, with that first request charged there too. What
 * counts: every request that makes auth ask the brand — messages (HTTP and stream), syncs,
 * customer-data reads, stream connects and each stream's periodic re-check (docs/api.md, "The chat API").
 *
 * @example
 * const quota = createSessionQuota({ limiter: createRateLimiter({ limit: 60, windowMs: 60_000 }) });
 * quota.take(token, 'messages');
 * quota.learn(token, (await auth.call.AuthorizeSession({ sessionToken: token })).sessionId);
 */
export function createSessionQuota(deps: { limiter: RateLimiter; maxTokens?: number }): SessionQuota {
  const { limiter, maxTokens = 100_000 } = deps;
  const sessionOfToken = new Map<string, string>();
  return {
    take(sessionToken, what) {
      const key = tokenKey(sessionToken);
      const sessionId = sessionOfToken.get(key);
      const quota = limiter.take(sessionId ? `session:${sessionId}` : `token:${key}`);
      if (!quota.allowed)
        throw new ParleyError('rate_limited', `too many ${what} from this session`, {
          context: { retryAfterSeconds: quota.retryAfterSeconds },
        });
    },
    learn(sessionToken, sessionId) {
      const key = tokenKey(sessionToken);
      if (sessionOfToken.get(key) === sessionId) return;
      if (sessionOfToken.size >= maxTokens)
        sessionOfToken.delete(sessionOfToken.keys().next().value as string);
      sessionOfToken.set(key, sessionId);
      // The request just authorized was counted under the token: count it against the session too.
      limiter.take(`session:${sessionId}`);
    },
  };
}
