import { ParleyError } from '@parley/errors';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiKey } from '../domain/api-keys.js';
import { type ApiKeyAccess, requireApiKey } from './admin-routes.js';
import { parse } from './request-parsing.js';

const keyId = z.string().regex(/^[A-Za-z0-9_-]{12}$/, 'the 12 characters after `pk_` of the key');

/** A key as admins see it: never its secret or the secret's hash. */
function apiKeyView(key: ApiKey) {
  return {
    keyId: key.keyId,
    name: key.name,
    scopes: [...key.scopes],
    createdAt: key.createdAt.toISOString(),
    expiresAt: key.expiresAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}

/**
 * Brand admins: their tenant's API keys, and revocation. Keys are created by the operator's
 * command (README, "API keys"), so a stolen admin key cannot mint keys that outlive its revocation.
 */
export function registerApiKeyRoutes(app: FastifyInstance, deps: ApiKeyAccess): void {
  app.get('/v1/admin/api-keys', async (request) => {
    const admin = await requireApiKey(request, deps, 'admin');
    return { apiKeys: (await deps.apiKeys.list(admin.tenantId)).map(apiKeyView) };
  });

  // Refused from the next request on, on every pod (keys are read from the store, never cached);
  // an open bot event stream of the key ends at its next key check.
  app.delete<{ Params: { keyId: string } }>('/v1/admin/api-keys/:keyId', async (request) => {
    const admin = await requireApiKey(request, deps, 'admin');
    const id = parse(keyId, request.params.keyId, 'keyId');
    const revoked = await deps.apiKeys.revoke(admin.tenantId, id, new Date());
    if (!revoked) throw new ParleyError('not_found', 'this tenant has no API key with this id');
    request.log.info({ keyId: id, revokedBy: admin.keyId }, 'API key revoked');
    return { keyId: revoked.keyId, revokedAt: revoked.revokedAt?.toISOString() };
  });
}
