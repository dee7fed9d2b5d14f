import { ParleyError } from '@parley/errors';
import type { AuthServiceDefinition, ServiceClient } from '@parley/grpc';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  type ApiKey,
  type ApiKeyRepository,
  type ApiKeyScope,
  apiKeyRefusal,
  parseApiKey,
  secretMatches,
} from '../domain/api-keys.js';
import type { RateLimiter } from '../domain/rate-limiter.js';
import { registerApiKeyRoutes } from './api-key-routes.js';
import { bearer, parse } from './request-parsing.js';

/** What checking a request's API key needs: the store, and the per-key limit. */
export interface ApiKeyAccess {
  readonly apiKeys: ApiKeyRepository;
  /** `RATE_LIMIT_PER_API_KEY_PER_MINUTE`, keyed on the key id (README, "API keys"). */
  readonly apiKeyLimiter: RateLimiter;
}

export interface AdminRouteDeps extends ApiKeyAccess {
  readonly auth: ServiceClient<AuthServiceDefinition>;
}

/**
 * The API key of a request, checked for a scope; the tenant comes from the key, never the request.
 * Read from the store on every request (no cache), so a revocation holds at once on every pod;
 * a revoked or expired key is refused with its own code once its secret matched.
 */
export async function requireApiKey(
  request: FastifyRequest,
  access: ApiKeyAccess,
  scope: ApiKeyScope,
): Promise<ApiKey> {
  const presented = parseApiKey(bearer(request));
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

const channelId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, dash, underscore; at most 64');
const text = z.string().max(2048);
// Shapes and types only: auth validates the settings themselves and names every problem.
const channelSettings = z
  .object({
    issuer: text.optional(),
    allowWithoutPkce: z.boolean().optional(),
    endpoints: z
      .object({ token: text, introspection: text, jwks: text, revocation: text, authorization: text })
      .partial()
      .strict()
      .optional(),
    client: z.object({ clientId: text, clientSecret: text, method: text }).partial().strict().optional(),
    redirectUris: z.array(text).max(20).optional(),
    validationMode: text.optional(),
    jwt: z
      .object({
        issuer: text,
        audiences: z.array(text).max(10),
        algorithms: z.array(text).max(10),
        clockToleranceSeconds: z.number().int().min(0).max(300),
      })
      .partial()
      .strict()
      .optional(),
    customerDataUrl: text.optional(),
    mapping: z
      .object({ customerId: text, name: text, customFields: z.record(z.string().max(64), text) })
      .partial()
      .strict()
      .optional(),
    messagingMode: text.optional(),
  })
  .strict();

// A sample of the brand's customer-data response, to preview the mapping on (README, self-test).
const selfTestRequest = z
  .object({
    sampleCustomerData: z.record(z.string(), z.unknown()).optional(),
    // A test customer's token, to see the brand accept it and its customer data mapped; never stored.
    sampleAccessToken: z.string().min(1).max(8192).optional(),
  })
  .strict();

/** Brand admins: a channel's authentication settings, and its self-test. */
export function registerAdminRoutes(app: FastifyInstance, deps: AdminRouteDeps): void {
  const { auth } = deps;
  registerApiKeyRoutes(app, deps);

  app.put<{ Params: { channelId: string } }>('/v1/admin/channels/:channelId', async (request) => {
    const key = await requireApiKey(request, deps, 'admin');
    const id = parse(channelId, request.params.channelId, 'channelId');
    const settings = parse(channelSettings, request.body);
    return auth.call.PutChannel({ channel: { ...settings, tenantId: key.tenantId, channelId: id } });
  });

  app.get<{ Params: { channelId: string } }>('/v1/admin/channels/:channelId', async (request) => {
    const key = await requireApiKey(request, deps, 'admin');
    return auth.call.GetChannel({
      tenantId: key.tenantId,
      channelId: parse(channelId, request.params.channelId, 'channelId'),
    });
  });

  app.post<{ Params: { channelId: string } }>('/v1/admin/channels/:channelId/test', async (request) => {
    const key = await requireApiKey(request, deps, 'admin');
    const { sampleCustomerData, sampleAccessToken } = parse(selfTestRequest, request.body);
    return auth.call.TestChannel({
      tenantId: key.tenantId,
      channelId: parse(channelId, request.params.channelId, 'channelId'),
      ...(sampleCustomerData ? { sampleCustomerDataJson: JSON.stringify(sampleCustomerData) } : {}),
      ...(sampleAccessToken ? { sampleAccessToken } : {}),
    });
  });
}
