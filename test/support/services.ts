import { randomBytes } from 'node:crypto';
import type { TopicName } from '@parley/contracts';
import type { AuthServiceDefinition, ServiceClient } from '@parley/grpc';
import type { Logger } from '@parley/logger';
import type { Database, ServiceSchema } from '@parley/postgres';
import { createSecretBox, parseKeyRing } from '@parley/secrets';
import type { BrandServer } from '@parley/test-brand';
import { createAuthRepositories } from '../../services/auth/src/adapters/auth-repositories.js';
import { authSchema } from '../../services/auth/src/adapters/auth-schema.js';
import { createApp as createAuth } from '../../services/auth/src/app.js';
import { loadConfig as authConfig } from '../../services/auth/src/config.js';
import { createApp as createEnrichment } from '../../services/enrichment/src/app.js';
import { loadConfig as enrichmentConfig } from '../../services/enrichment/src/config.js';
import { historySchema } from '../../services/history/src/adapters/history-schema.js';
import { createHistoryStores } from '../../services/history/src/adapters/history-store.js';
import { createApp as createHistory } from '../../services/history/src/app.js';
import { loadConfig as historyConfig } from '../../services/history/src/config.js';
import { createApiKeyRepository } from '../../services/ingress/src/adapters/api-key-repository.js';
import { ingressSchema } from '../../services/ingress/src/adapters/ingress-schema.js';
import { createApp as createIngress } from '../../services/ingress/src/app.js';
import { loadConfig as ingressConfig } from '../../services/ingress/src/config.js';
import { type ApiKeyScope, newApiKey } from '../../services/ingress/src/domain/api-keys.js';
import { createApp as createIntegrations } from '../../services/integrations/src/app.js';
import { loadConfig as integrationsConfig } from '../../services/integrations/src/config.js';
import { dropSchema, type StoreService, serviceStore, storeComponent } from './database.js';
import { authClient, grpcTlsEnv } from './grpc.js';
import { type KafkaService, kafkaServiceEnv } from './harness.js';

/** Every topic the services use, for `freshTopics`. */
export const pipelineTopics: readonly TopicName[] = [
  'chat.messages.received.v1',
  'chat.messages.enriched.v1',
  'chat.messages.outbound.v1',
  'chat.customers.updated.v1',
  'chat.deliveries.v1',
  'chat.sessions.ended.v1',
];

type Env = Record<string, string>;

/** Loopback ports picked by the OS, the real Kafka (as `service`'s principal), the brand allow-listed. */
function common(prefix: string, service?: KafkaService): Env {
  return {
    BIND_HOST: '127.0.0.1',
    OPS_PORT: '0',
    ...(service ? kafkaServiceEnv(service) : {}),
    KAFKA_TOPIC_PREFIX: prefix,
    BRAND_HOST_ALLOW_LIST: '127.0.0.1',
  };
}

// The schema each started app works in, for dropStore.
const schemas = new WeakMap<object, string>();

/** The real store for a service: its own role, a fresh schema (or `env.DATABASE_SCHEMA`). */
function store(service: StoreService, env: Env): Env {
  return serviceStore(service, env.DATABASE_SCHEMA);
}

/**
 * `app` with `stores`: the service's own ports on a pool of the test's, to read what it wrote (apps
 * expose no store handle); the pool closes when the app stops.
 */
async function withStores<App extends { stop(): Promise<void> }, Stores>(
  app: App,
  schema: ServiceSchema,
  storeEnv: Env,
  env: Env,
  logger: Logger,
  storesOn: (database: () => Database) => Stores,
) {
  const where = {
    DATABASE_URL: env.DATABASE_URL ?? (storeEnv.DATABASE_URL as string),
    DATABASE_SCHEMA: storeEnv.DATABASE_SCHEMA as string,
  };
  const postgres = storeComponent(schema, where, logger, { maxConnections: 2 });
  await postgres.start();
  const stopApp = app.stop;
  return Object.assign(app, {
    stores: storesOn(() => postgres.database()),
    async stop() {
      await stopApp();
      await postgres.stop();
    },
  });
}

function remember<T extends object>(app: T, env: Env): T {
  if (env.DATABASE_SCHEMA) schemas.set(app, env.DATABASE_SCHEMA);
  return app;
}

/** Drops the schema of an app started here (after stopping it). */
export async function dropStore(app: object | undefined): Promise<void> {
  const schema = app && schemas.get(app);
  if (schema) await dropSchema(schema);
}

/**
 * The real auth service with fresh keys, in a fresh schema (`env.DATABASE_SCHEMA` shares one, e.g.
 * between two auth processes); drop it with `dropStore(app)` after stopping it.
 */
export async function startAuth(logger: Logger, env: Env = {}) {
  const storeEnv = store('auth', env);
  const config = authConfig({
    ...common(''),
    ...grpcTlsEnv('auth'),
    ...storeEnv,
    GRPC_PORT: '0',
    SECRET_KEYS: `k1:${randomBytes(32).toString('base64url')}`,
    SECRET_ACTIVE_KID: 'k1',
    SESSION_SIGNING_KEY: randomBytes(32).toString('base64url'),
    ...env,
  });
  const app = createAuth({ config, logger, version: 'test' });
  await app.start();
  const secretBox = createSecretBox({
    keys: parseKeyRing(config.SECRET_KEYS),
    activeKid: config.SECRET_ACTIVE_KID,
  });
  const stores = (database: () => Database) => createAuthRepositories({ database, secretBox });
  return remember(await withStores(app, authSchema, storeEnv, env, logger, stores), storeEnv);
}

export async function startHistory(prefix: string, logger: Logger, env: Env = {}) {
  const storeEnv = store('history', env);
  const app = createHistory({
    config: historyConfig({
      ...common(prefix, 'history'),
      ...grpcTlsEnv('history'),
      ...storeEnv,
      GRPC_PORT: '0',
      ...env,
    }),
    logger,
    version: 'test',
  });
  await app.start();
  return remember(await withStores(app, historySchema, storeEnv, env, logger, createHistoryStores), storeEnv);
}

/**
 * The real integrations service in a fresh schema, webhook receivers on 127.0.0.1 allowed (over
 * http); drop its schema with `dropStore(app)` after stopping it.
 */
export async function startIntegrations(prefix: string, logger: Logger, env: Env = {}) {
  const storeEnv = store('integrations', env);
  const app = createIntegrations({
    config: integrationsConfig({
      ...common(prefix, 'integrations'),
      ...grpcTlsEnv('integrations'),
      ...storeEnv,
      GRPC_PORT: '0',
      SECRET_KEYS: `k1:${randomBytes(32).toString('base64url')}`,
      SECRET_ACTIVE_KID: 'k1',
      WEBHOOK_HOST_ALLOW_LIST: '127.0.0.1',
      ...env,
    }),
    logger,
    version: 'test',
  });
  await app.start();
  return remember(app, storeEnv);
}

export async function startEnrichment(prefix: string, authAddress: string, logger: Logger, env: Env = {}) {
  const app = createEnrichment({
    config: enrichmentConfig({
      ...common(prefix, 'enrichment'),
      ...grpcTlsEnv('enrichment'),
      AUTH_GRPC_ADDRESS: authAddress,
      ...env,
    }),
    logger,
    version: 'test',
  });
  await app.start();
  return app;
}

/**
 * The real ingress; without `services.integrations` its webhook and bot-stream routes point at a
 * closed port (they answer 503; chat does not need integrations).
 */
export async function startIngress(
  prefix: string,
  services: { auth: string; history: string; integrations?: string },
  logger: Logger,
  env: Env = {},
) {
  const storeEnv = store('ingress', env);
  const app = createIngress({
    config: ingressConfig({
      ...common(prefix, 'ingress'),
      ...grpcTlsEnv('ingress'),
      ...storeEnv,
      HTTP_PORT: '0',
      AUTH_GRPC_ADDRESS: services.auth,
      HISTORY_GRPC_ADDRESS: services.history,
      INTEGRATIONS_GRPC_ADDRESS: services.integrations ?? '127.0.0.1:9',
      ...env,
    }),
    logger,
    version: 'test',
  });
  await app.start();
  const stores = (database: () => Database) => ({ apiKeys: createApiKeyRepository(database) });
  return remember(await withStores(app, ingressSchema, storeEnv, env, logger, stores), storeEnv);
}

/** A tenant API key stored through ingress's own API-key port; returns the token to present. */
export async function createTestApiKey(
  ingress: Awaited<ReturnType<typeof startIngress>>,
  tenantId: string,
  name: string,
  scopes: ApiKeyScope[],
) {
  const { key, token } = newApiKey(tenantId, name, scopes, new Date());
  await ingress.stores.apiKeys.create(key);
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

/** Stores the test brand's `acme`/`web` channel (`brandChannel`) through auth's gRPC API. */
export async function putBrandChannel(authAddress: string, brand: BrandServer): Promise<void> {
  const grpc = authClient(authAddress);
  try {
    await grpc.call.PutChannel({ channel: brandChannel(brand, 'acme', 'web') });
  } finally {
    grpc.close();
  }
}

/** Signs `sub` in at the brand and exchanges the code through auth, as a chat window would. */
export async function signInThroughAuth(
  auth: ServiceClient<AuthServiceDefinition>,
  brand: BrandServer,
  sub: string,
  where: { tenantId: string; channelId: string; deviceId?: string; platform?: string },
): ReturnType<ServiceClient<AuthServiceDefinition>['call']['ExchangeCode']> {
  const { code, codeVerifier, redirectUri, iss } = await brand.authorize(sub);
  return auth.call.ExchangeCode({
    iss,
    tenantId: where.tenantId,
    channelId: where.channelId,
    code,
    codeVerifier,
    redirectUri,
    device: { id: where.deviceId ?? 'd', platform: where.platform ?? 'web' },
  });
}

/** What `POST /v1/channels/{id}/sessions` answers when a sign-in succeeds. */
export interface HttpSignIn {
  sessionToken: string;
  expiresAt: string;
  customer: { key: string; id: string; name?: string; customFields: Record<string, unknown> };
  thread: { id: string };
}

/**
 * Signs `sub` in at the brand and starts a session through ingress's HTTP API, as a chat window
 * would (code, PKCE verifier and the RFC 9207 `iss`); fails the test unless it answers 201.
 */
export async function signInOverHttp(
  api: string,
  brand: BrandServer,
  sub: string,
  where: { tenantId: string; deviceId: string; channelId?: string },
): Promise<HttpSignIn> {
  const { code, codeVerifier, redirectUri, iss } = await brand.authorize(sub);
  const response = await fetch(`${api}/v1/channels/${where.channelId ?? 'web'}/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'parley-tenant': where.tenantId },
    body: JSON.stringify({
      code,
      codeVerifier,
      redirectUri,
      iss,
      device: { id: where.deviceId, platform: 'web' },
    }),
  });
  if (response.status !== 201)
    throw new Error(`sign-in of ${sub} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as HttpSignIn;
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
