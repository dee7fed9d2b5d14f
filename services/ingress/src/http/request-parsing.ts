import { createHash } from 'node:crypto';
import { ParleyError } from '@parley/errors';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { RateLimiter } from '../domain/rate-limiter.js';

/** The body (or query) parsed by a schema; every problem named in one `invalid_argument`. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, what = 'body'): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || what}: ${issue.message}`);
  throw new ParleyError('invalid_argument', `invalid ${what}: ${problems.join('; ')}`);
}

/** The bearer credential of a request (never from the URL). */
export function bearer(request: FastifyRequest): string {
  const match = /^Bearer ([^\s]+)$/i.exec(request.headers.authorization ?? '');
  if (!match)
    throw new ParleyError('unauthenticated', 'send the credential as Authorization: Bearer <token>');
  return match[1] as string;
}

/** The rate-limit key of a session: a hash, so raw tokens are never kept as map keys. */
export function sessionKey(sessionToken: string): string {
  return createHash('sha256').update(sessionToken).digest('base64url');
}

/**
 * Takes one request from the session's quota, before auth is asked (a flood never reaches the
 * brand); `rate_limited` with the seconds to wait when it is used up.
 */
export function takeSessionQuota(limiter: RateLimiter, sessionToken: string, what: string): void {
  const quota = limiter.take(sessionKey(sessionToken));
  if (!quota.allowed)
    throw new ParleyError('rate_limited', `too many ${what} from this session`, {
      context: { retryAfterSeconds: quota.retryAfterSeconds },
    });
}
