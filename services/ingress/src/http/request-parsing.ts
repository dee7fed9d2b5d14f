import { createHash } from 'node:crypto';
import { ParleyError } from '@parley/errors';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { RateLimiter } from '../domain/rate-limiter.js';

// With the `u` flag a surrogate pair is one code point: this matches unpaired surrogates only.
const loneSurrogate = /\p{Cs}/u;

/** Why PostgreSQL cannot hold a string, or undefined when it can. */
function unstorable(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character (U+0000)';
  if (loneSurrogate.test(text)) return 'is not valid Unicode (an unpaired surrogate)';
  return undefined;
}

/** Every string in a parsed value, names of fields included, that the store could not hold. */
function unstorableStrings(
  value: unknown,
  what: string,
  path: readonly (string | number)[],
  problems: string[],
): void {
  const where = () => path.join('.') || what;
  if (typeof value === 'string') {
    const reason = unstorable(value);
    if (reason) problems.push(`${where()}: ${reason}`);
  } else if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) unstorableStrings(item, what, [...path, index], problems);
  } else if (typeof value === 'object' && value !== null) {
    for (const [name, item] of Object.entries(value)) {
      const reason = unstorable(name);
      if (reason) problems.push(`${where()}: a field named ${JSON.stringify(name)} ${reason}`);
      else unstorableStrings(item, what, [...path, name], problems);
    }
  }
}

/**
 * The body (or query, or frame) parsed by a schema; every problem named in one `invalid_argument`.
 * It also refuses any string PostgreSQL cannot hold (a NUL character, or invalid Unicode), here at
 * the edge for every route: what ingress accepts and publishes must be storable downstream, or it
 * would fail there after the sender was told it was accepted.
 */
export function parse<S extends z.ZodType>(schema: S, value: unknown, what = 'body'): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || what}: ${issue.message}`);
    throw new ParleyError('invalid_argument', `invalid ${what}: ${problems.join('; ')}`);
  }
  const problems: string[] = [];
  unstorableStrings(result.data, what, [], problems);
  if (problems.length > 0)
    throw new ParleyError(
      'invalid_argument',
      `invalid ${what}: ${problems.join('; ')}, which Parley cannot store`,
    );
  return result.data;
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
