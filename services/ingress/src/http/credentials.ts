import { ParleyError } from '@parley/errors';
import type { FastifyRequest } from 'fastify';
import { type ApiKeyAccess, authorizeApiKey } from '../domain/api-key-access.js';
import type { ApiKey, ApiKeyScope } from '../domain/api-keys.js';

/** The bearer credential of a request (never from the URL). */
export function bearer(request: FastifyRequest): string {
  const match = /^Bearer ([^\s]+)$/i.exec(request.headers.authorization ?? '');
  if (!match)
    throw new ParleyError('unauthenticated', 'send the credential as Authorization: Bearer <token>');
  return match[1] as string;
}

/** The API key of a request, checked for a scope (domain/api-key-access.ts). */
export function requireApiKey(
  request: FastifyRequest,
  access: ApiKeyAccess,
  scope: ApiKeyScope,
): Promise<ApiKey> {
  return authorizeApiKey(access, bearer(request), scope);
}
