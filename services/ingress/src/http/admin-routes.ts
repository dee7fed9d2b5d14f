import { ParleyError } from '@parley/errors';
import type { AuthServiceDefinition, ServiceClient } from '@parley/grpc';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  type ApiKey,
  type ApiKeyRepository,
  type ApiKeyScope,
  parseApiKey,
  secretMatches,
} from '../domain/api-keys.js';
import { bearer, parse } from './request-parsing.js';

export interface AdminRouteDeps {
  readonly auth: ServiceClient<AuthServiceDefinition>;
  readonly apiKeys: ApiKeyRepository;
}

/** The API key of a request, checked for a scope; the tenant comes from the key, never the request. */
export async function requireApiKey(
  request: FastifyRequest,
  apiKeys: ApiKeyRepository,
  scope: ApiKeyScope,
): Promise<ApiKey> {
  const presented = parseApiKey(bearer(request));
  const key = presented ? await apiKeys.find(presented.keyId) : null;
  if (!presented || !key || !secretMatches(key, presented.secret))
    throw new ParleyError('unauthenticated', 'unknown API key');
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

/** Brand admins: a channel's authentication settings, and its self-test. */
export function registerAdminRoutes(app: FastifyInstance, deps: AdminRouteDeps): void {
  const { auth, apiKeys } = deps;

  app.put<{ Params: { channelId: string } }>('/v1/admin/channels/:channelId', async (request) => {
    const key = await requireApiKey(request, apiKeys, 'admin');
    const id = parse(channelId, request.params.channelId, 'channelId');
    const settings = parse(channelSettings, request.body);
    return auth.call.PutChannel({ channel: { ...settings, tenantId: key.tenantId, channelId: id } });
  });

  app.get<{ Params: { channelId: string } }>('/v1/admin/channels/:channelId', async (request) => {
    const key = await requireApiKey(request, apiKeys, 'admin');
    return auth.call.GetChannel({
      tenantId: key.tenantId,
      channelId: parse(channelId, request.params.channelId, 'channelId'),
    });
  });

  app.post<{ Params: { channelId: string } }>('/v1/admin/channels/:channelId/test', async (request) => {
    const key = await requireApiKey(request, apiKeys, 'admin');
    return auth.call.TestChannel({
      tenantId: key.tenantId,
      channelId: parse(channelId, request.params.channelId, 'channelId'),
    });
  });
}
