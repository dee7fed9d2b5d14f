import type { ApiKeyList, ApiKeyRevoked, ApiKeyView } from '@parley/contracts';
import { ParleyError } from '@parley/errors';
import {
  type ApiKey,
  type ApiKeyRepository,
  type ApiKeyScope,
  apiKeyRefusal,
  parseApiKey,
  secretMatches,
} from './api-keys.js';
import type { RateLimiter } from './ports.js';

/** What checking a request's API key needs: the store, and the per-key limit. */
export interface ApiKeyAccess {
  readonly apiKeys: ApiKeyRepository;
  /** `RATE_LIMIT_PER_API_KEY_PER_MINUTE`, keyed on the key id (docs/api.md, "API keys"). */
  readonly apiKeyLimiter: RateLimiter;
}

/**
 * The API key a credential names, checked for a scope; the tenant comes from the key, never the
 * request. Read from the store on every request (no cache), so a revocation holds at once on every
 * pod; a revoked or expired key is refused with its own code once its secret matched.
 */
export async function authorizeApiKey(
  access: ApiKeyAccess,
  credential: string,
  scope: ApiKeyScope,
): Promise<ApiKey> {
  const presented = parseApiKey(credential);
  const key = presented ? await access.apiKeys.find(presented.keyId) : null;
  if (!presented || !key || !secretMatches(key, presented.secret))
    throw new ParleyError('unauthenticated', 'unknown API key');
  const refusal = apiKeyRefusal(key, new Date());
  if (refusal) throw refusal;
  const quota = access.apiKeyLimiter.take(`api-key:${key.keyId}`);
  if (!quota.allowed)
    throw new ParleyError('rate_limited', 'too many requests with this API key', {
      context: { retryAfterSeconds: quota.retryAfterSeconds, keyId: key.keyId },
    });
  if (!key.scopes.includes(scope))
    throw new ParleyError('permission_denied', `this API key lacks the ${scope} scope`);
  return key;
}

/** A key as admins see it (`apiKeyView`): never its secret or the secret's hash. */
export function apiKeyView(key: ApiKey): ApiKeyView {
  return {
    keyId: key.keyId,
    name: key.name,
    scopes: [...key.scopes],
    createdAt: key.createdAt.toISOString(),
    expiresAt: key.expiresAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}

/** The API keys of the admin's tenant. */
export async function listApiKeys(access: Pick<ApiKeyAccess, 'apiKeys'>, admin: ApiKey): Promise<ApiKeyList> {
  return { apiKeys: (await access.apiKeys.list(admin.tenantId)).map(apiKeyView) };
}

/**
 * Revokes a key of the admin's tenant: refused from the next request on, on every pod (keys are
 * read from the store, never cached); an open bot event stream of the key ends at its next check.
 */
export async function revokeApiKey(
  access: Pick<ApiKeyAccess, 'apiKeys'>,
  admin: ApiKey,
  keyId: string,
): Promise<ApiKeyRevoked> {
  const revoked = await access.apiKeys.revoke(admin.tenantId, keyId, new Date());
  if (!revoked) throw new ParleyError('not_found', 'this tenant has no API key with this id');
  // The store answers a revoked key with its revokedAt; one without is a store fault.
  if (!revoked.revokedAt) throw new ParleyError('server_error', 'the store did not record the revocation');
  return { keyId: revoked.keyId, revokedAt: revoked.revokedAt.toISOString() };
}
