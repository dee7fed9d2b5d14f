import { commonEnv, envSchemas, grpcTlsEnv, kafkaEnv, parseConfig, postgresEnv } from '@parley/config';
import { z } from 'zod';

export const schema = z.object({
  ...commonEnv,
  ...grpcTlsEnv,
  ...kafkaEnv,
  ...postgresEnv('ingress'),
  OPS_PORT: envSchemas.port.default(9400),
  HTTP_PORT: envSchemas.port.default(8080),
  /** `host:port` of the auth service's gRPC server. */
  AUTH_GRPC_ADDRESS: envSchemas.serviceAddress,
  AUTH_DEADLINE_MS: envSchemas.positiveInt.default(8000),
  /** `host:port` of the history service's gRPC server. */
  HISTORY_GRPC_ADDRESS: envSchemas.serviceAddress,
  HISTORY_DEADLINE_MS: envSchemas.positiveInt.default(5000),
  /** `host:port` of the integrations service's gRPC server (webhook admin API, bot event stream). */
  INTEGRATIONS_GRPC_ADDRESS: envSchemas.serviceAddress,
  /** Deadline of an integrations call; a bot stream's long poll gets its wait on top. */
  INTEGRATIONS_DEADLINE_MS: envSchemas.positiveInt.default(5000),
  /** Bot event streams (GET /v1/bot/events) one API key, and one tenant, may hold open on a pod. */
  BOT_STREAMS_PER_KEY: envSchemas.positiveInt.max(1000).default(5),
  BOT_STREAMS_PER_TENANT: envSchemas.positiveInt.max(10_000).default(20),
  BODY_LIMIT_BYTES: envSchemas.positiveInt.default(16 * 1024),
  RATE_LIMIT_PER_SESSION_PER_MINUTE: envSchemas.positiveInt.default(60),
  RATE_LIMIT_PER_IP_PER_MINUTE: envSchemas.positiveInt.default(600),
  /** Requests one API key may make per minute on a pod, on every route that takes an API key. */
  RATE_LIMIT_PER_API_KEY_PER_MINUTE: envSchemas.positiveInt.default(1200),
  /** The per-IP limit keys an IPv6 client by this many leading bits (a subscriber holds a /64). */
  RATE_LIMIT_IPV6_PREFIX: envSchemas.positiveInt.min(16).max(128).default(64),
  /** How often an open stream checks (through auth and the brand) that its session still stands. */
  STREAM_REAUTHORIZE_SECONDS: envSchemas.positiveInt.max(3600).default(60),
  /** Streams (GET /v1/stream) one session, and one customer, may hold open on a pod. */
  STREAMS_PER_SESSION: envSchemas.positiveInt.max(1000).default(5),
  STREAMS_PER_CUSTOMER: envSchemas.positiveInt.max(10_000).default(20),
  /** Frames of one stream that may wait while one is handled; past it the stream closes (1008). */
  STREAM_MAX_PENDING_FRAMES: envSchemas.positiveInt.max(1000).default(32),
  /**
   * Proxies in front of ingress whose X-Forwarded-For entries are trusted (0: none). A count, not
   * "trust all", so a client cannot pick its own address and escape the per-IP limit.
   */
  TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(5).default(0),
  /**
   * Origins of the brand's web pages allowed to call this API from a browser (exact
   * `scheme://host[:port]`, comma-separated); empty: no cross-origin browser access.
   */
  CORS_ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'expected scheme://host[:port], no path')).max(100),
    ),
  /** Prefix of this pod's consumer group (e.g. the pod name); the host name when unset. */
  INSTANCE_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/)
    .optional(),
});

export type IngressConfig = ReturnType<typeof loadConfig>;

/** The ingress service's configuration, from the environment, validated once at start. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env) {
  return parseConfig(schema, env);
}

/** Only the store settings, for the API key and migration commands, which need nothing else. */
export function loadStoreConfig(env: Readonly<Record<string, string | undefined>> = process.env) {
  return parseConfig(z.object({ ...commonEnv, ...postgresEnv('ingress') }), env);
}

/** The API key command's settings: the store's, and how long a new key may live. */
export function loadApiKeyCommandConfig(env: Readonly<Record<string, string | undefined>> = process.env) {
  return parseConfig(
    z.object({
      ...commonEnv,
      ...postgresEnv('ingress'),
      /** The longest a new API key may live, and the expiry of a key created without one. */
      API_KEY_MAX_LIFETIME_DAYS: envSchemas.positiveInt.max(3650).default(365),
    }),
    env,
  );
}
