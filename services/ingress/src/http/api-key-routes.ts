import { apiKeyId } from '@parley/contracts';
import type { FastifyInstance } from 'fastify';
import { type ApiKeyAccess, listApiKeys, revokeApiKey } from '../domain/api-key-access.js';
import { parse } from '../domain/input.js';
import { requireApiKey } from './credentials.js';

/**
 * Brand admins: their tenant's API keys, and revocation. Keys are created by the operator's
 * command (docs/api.md, "API keys"), so a stolen admin key cannot mint keys that outlive its revocation.
 */
export function registerApiKeyRoutes(app: FastifyInstance, deps: ApiKeyAccess): void {
  app.get('/v1/admin/api-keys', async (request) => {
    const admin = await requireApiKey(request, deps, 'admin');
    return listApiKeys(deps, admin);
  });

  app.delete<{ Params: { keyId: string } }>('/v1/admin/api-keys/:keyId', async (request) => {
    const admin = await requireApiKey(request, deps, 'admin');
    const id = parse(apiKeyId, request.params.keyId, 'keyId');
    const revoked = await revokeApiKey(deps, admin, id);
    request.log.info({ keyId: id, revokedBy: admin.keyId }, 'API key revoked');
    return revoked;
  });
}
