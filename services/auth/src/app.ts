import { createBrandHttpClient, createHostPolicy } from '@parley/brand-http';
import { ParleyError } from '@parley/errors';
import { createGrpcServerComponent, implementService, loadGrpcTls, loadParleyProtos } from '@parley/grpc';
import type { Logger } from '@parley/logger';
import { composeService, createMetricsRegistry, type MetricsRegistry, storeMetrics } from '@parley/ops';
import { serviceStore } from '@parley/postgres';
import { createSecretBox, parseKeyRing } from '@parley/secrets';
import { createAuthMetrics } from './adapters/auth-metrics.js';
import { createAuthRepositories } from './adapters/auth-repositories.js';
import { authSchema } from './adapters/auth-schema.js';
import { createBrandOAuth } from './adapters/brand-oauth.js';
import { createSessionTokens } from './adapters/session-tokens.js';
import type { AuthConfig } from './config.js';
import { createAuthUseCases } from './domain/auth-use-cases.js';
import type { AuthRepositories, Clock, SecretBox } from './domain/ports.js';
import { authServiceCallers, authServiceHandlers } from './grpc/auth-service.js';
import { auditRefusals } from './grpc/refusal-audit.js';

export interface AuthDeps {
  readonly config: AuthConfig;
  readonly logger: Logger;
  readonly version: string;
  readonly clock?: Clock;
  /** The store ports; absent: the PostgreSQL adapters on `config.DATABASE_URL`. */
  readonly stores?: AuthRepositories;
}

const systemClock: Clock = { now: () => new Date() };

/** SESSION_PREVIOUS_KEYS (`kid:base64url,…`): keys that verify session tokens but no longer sign. */
function previousSessionKeys(text: string): Record<string, Uint8Array> {
  if (text.trim() === '') return {};
  try {
    return parseKeyRing(text, { minBytes: 32 });
  } catch (error) {
    throw new ParleyError('invalid_config', `SESSION_PREVIOUS_KEYS: ${(error as Error).message}`);
  }
}

/** The PostgreSQL store as a lifecycle component, and the repositories on it. */
function postgresStores(config: AuthConfig, logger: Logger, secretBox: SecretBox, registry: MetricsRegistry) {
  const postgres = serviceStore(config, authSchema, logger, { statements: storeMetrics(registry) });
  return { postgres, stores: createAuthRepositories({ database: () => postgres.database(), secretBox }) };
}

/** The auth service: channels, brand tokens and Parley sessions over gRPC, on its own database. */
export function createApp({ config, logger, version, clock = systemClock, stores: injected }: AuthDeps) {
  const registry = createMetricsRegistry({ service: 'auth', version });
  const secretBox = createSecretBox({
    keys: parseKeyRing(config.SECRET_KEYS),
    activeKid: config.SECRET_ACTIVE_KID,
  });
  const { postgres, stores } = injected
    ? { postgres: undefined, stores: injected }
    : postgresStores(config, logger, secretBox, registry);
  const http = createBrandHttpClient({
    logger,
    registry,
    allowHosts: config.BRAND_HOST_ALLOW_LIST,
    timeoutMs: config.BRAND_HTTP_TIMEOUT_MS,
  });
  // The brand HTTP client's own rule, checked again (on the connected address) at every request;
  // refusing early gives the admin a precise error at PutChannel.
  const hostPolicy = createHostPolicy(config.BRAND_HOST_ALLOW_LIST);
  const brandUrl = (url: URL, tenantId: string) => hostPolicy.refusal(url, tenantId) === undefined;
  const metrics = createAuthMetrics(registry);
  const { auth } = loadParleyProtos();
  const refusals = auditRefusals({ refusals: stores.refusals, clock, logger });
  const grpc = createGrpcServerComponent({
    address: `${config.BIND_HOST}:${config.GRPC_PORT}`,
    tls: loadGrpcTls(config, 'auth'),
    logger,
    registry,
    onRefusal: refusals.onRefusal,
    services: () => {
      const useCases = createAuthUseCases({
        ...stores,
        metrics,
        brand: createBrandOAuth({ http, clock, jwksCacheMaxEntries: config.JWKS_CACHE_MAX_ENTRIES }),
        sessionTokens: createSessionTokens({
          key: Buffer.from(config.SESSION_SIGNING_KEY, 'base64url'),
          kid: config.SESSION_SIGNING_KEY_ID,
          previousKeys: previousSessionKeys(config.SESSION_PREVIOUS_KEYS),
        }),
        clock,
        brandUrl,
        issuerEndpointExceptions: config.BRAND_ISSUER_ENDPOINT_EXCEPTIONS,
        sessionTtlSeconds: config.SESSION_TTL_SECONDS,
        sessionIdleTimeoutSeconds: config.SESSION_IDLE_TIMEOUT_SECONDS,
        customerDataAttempts: config.CUSTOMER_DATA_MAX_ATTEMPTS,
        brandTimeoutMs: config.BRAND_HTTP_TIMEOUT_MS,
      });
      const definition = auth.AuthService.service;
      return [
        {
          name: 'parley.auth.v1.AuthService',
          definition,
          implementation: implementService(definition, authServiceHandlers(useCases), logger),
          callers: authServiceCallers,
        },
      ];
    },
  });
  const service = composeService({
    logger,
    registry,
    opsPort: config.OPS_PORT,
    bindHost: config.BIND_HOST,
    // Stopped in reverse: the server, then the refusals it tallied, then the store they go to.
    components: postgres ? [postgres, refusals, grpc] : [refusals, grpc],
  });
  return { ...service, grpcAddress: () => grpc.address() };
}
