import { createHash } from 'node:crypto';
import { ParleyError } from '@parley/errors';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';

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
