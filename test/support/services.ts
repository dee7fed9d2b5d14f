import { randomBytes } from 'node:crypto';
import type { TopicName } from '@parley/contracts';
import type { AuthServiceDefinition, ServiceClient } from '@parley/grpc';
import type { Logger } from '@parley/logger';
import type { BrandServer } from '@parley/test-brand';
import { createApp as createAuth } from '../../services/auth/src/app.js';
import { loadConfig as authConfig } from '../../services/auth/src/config.js';
import { createApp as createEnrichment } from '../../services/enrichment/src/app.js';
import { loadConfig as enrichmentConfig } from '../../services/enrichment/src/config.js';
import { createApp as createHistory } from '../../services/history/src/app.js';
import { loadConfig as historyConfig } from '../../services/history/src/config.js';
import { createApiKeyRepository } from '../../services/ingress/src/adapters/api-key-repository.js';
import { createApp as createIngress } from '../../services/ingress/src/app.js';
import { loadConfig as ingressConfig } from '../../services/ingress/src/config.js';
import { type ApiKeyScope, newApiKey } from '../../services/ingress/src/domain/api-keys.js';
import { randomName, testInfra } from './harness.js';

/** Every topic the services use, for `freshTopics`. */
export const pipelineTopics: readonly TopicName[] = [
  'chat.messages.received.v1',
  'chat.messages.enriched.v1',
  'chat.messages.outbound.v1',
  'chat.customers.updated.v1',
  'chat.deliveries.v1',
];

type Env = Record<string, string>;

/** Loopback ports picked by the OS, the real store under a random database, the brand allow-listed. */
function common(prefix: string): Env {
  return {
    BIND_HOST: '127.0.0.1',
    OPS_PORT: '0',
    KAFKA_BROKERS: testInfra().kafkaBrokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    MONGO_URL: testInfra().mongoUrl,
    BRAND_HOST_ALLOW_LIST: '127.0.0.1',
  };
}
const database = (name: string) => randomName(name).replace('-', '_');

/** The real auth service with fresh keys; drop its database with `app.db().dropDatabase()`. */
export async function startAuth(logger: Logger, env: Env = {}) {
  const app = createAuth({
    config: authConfig({
      ...common(''),
      MONGO_DATABASE: database('auth'),
      GRPC_PORT: '0',
      SECRET_KEYS: `k1:${randomBytes(32).toString('base64url')}`,
      SECRET_ACTIVE_KID: 'k1',
      SESSION_SIGNING_KEY: randomBytes(32).toString('base64url'),
      ...env,
    }),
    logger,
    version: 'test',
  });
  await app.start();
  return app;
}

export async function startHistory(prefix: string, logger: Logger) {
  const app = createHistory({
    config: historyConfig({ ...common(prefix), MONGO_DATABASE: database('history'), GRPC_PORT: '0' }),
    logger,
    version: 'test',
  });
  await app.start();
  return app;
}

export async function startEnrichment(prefix: string, authAddress: string, logger: Logger, env: Env = {}) {
  const app = createEnrichment({
    config: enrichmentConfig({ ...common(prefix), AUTH_GRPC_ADDRESS: authAddress, ...env }),
    logger,
    version: 'test',
  });
  await app.start();
  return app;
}

export async function startIngress(
  prefix: string,
  services: { auth: string; history: string },
  logger: Logger,
  env: Env = {},
) {
  const app = createIngress({
    config: ingressConfig({
      ...common(prefix),
      MONGO_DATABASE: database('ingress'),
      HTTP_PORT: '0',
      AUTH_GRPC_ADDRESS: services.auth,
      HISTORY_GRPC_ADDRESS: services.history,
      ...env,
    }),
    logger,
    version: 'test',
  });
  await app.start();
  return app;
}

/** A tenant API key stored in ingress's database; returns the token to present. */
export async function createTestApiKey(
  ingress: ReturnType<typeof createIngress>,
  tenantId: string,
  name: string,
  scopes: ApiKeyScope[],
) {
  const { key, token } = newApiKey(tenantId, name, scopes, new Date());
  await createApiKeyRepository(() => ingress.db()).create(key);
  return token;
}

/** A channel's settings for the test brand, as PutChannel takes them (extra fields override). */
export function brandChannel(
  brand: BrandServer,
  tenantId: string,
  channelId: string,
  extra: Record<string, unknown> = {},
) {
  return {
    tenantId,
    channelId,
    issuer: brand.issuer,
    client: { clientId: brand.client.clientId, clientSecret: brand.client.clientSecret },
    redirectUris: [brand.client.redirectUri],
    customerDataUrl: brand.endpoints.userinfo,
    ...extra,
  };
}

/** Signs `sub` in at the brand and exchanges the code through auth, as a chat window would. */
export async function signInThroughAuth(
  auth: ServiceClient<AuthServiceDefinition>,
  brand: BrandServer,
  sub: string,
  where: { tenantId: string; channelId: string; deviceId?: string; platform?: string },
): ReturnType<ServiceClient<AuthServiceDefinition>['call']['ExchangeCode']> {
  const { code, codeVerifier, redirectUri } = await brand.authorize(sub);
  return auth.call.ExchangeCode({
    tenantId: where.tenantId,
    channelId: where.channelId,
    code,
    codeVerifier,
    redirectUri,
    device: { id: where.deviceId ?? 'd', platform: where.platform ?? 'web' },
  });
}

/** Stores a channel for the test brand through ingress's admin API. */
export async function putChannelOverHttp(
  api: string,
  adminToken: string,
  brand: BrandServer,
  extra: Record<string, unknown> = {},
) {
  const { tenantId: _tenant, channelId: _channel, ...settings } = brandChannel(brand, '', '', extra);
  return fetch(`${api}/v1/admin/channels/web`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(settings),
  });
}
