import { commonEnv, envSchemas, grpcTlsEnv, kafkaEnv, parseConfig, postgresEnv } from '@parley/config';
import { z } from 'zod';

const hours = (value: number) => value * 3600;

export const schema = z.object({
  ...commonEnv,
  ...grpcTlsEnv,
  ...kafkaEnv,
  ...postgresEnv('integrations'),
  OPS_PORT: envSchemas.port.default(9404),
  GRPC_PORT: envSchemas.port.default(50053),
  /** Keys sealing webhook signing secrets at rest: `kid:base64url,…` (32 bytes each), as in auth. */
  SECRET_KEYS: z.string().min(1),
  /** The key id new secrets are sealed with; older ids stay readable, so keys rotate. */
  SECRET_ACTIVE_KID: z.string().min(1),
  /**
   * Hours an event stays in the tenant's log (stream, delivery log, redelivery); at least the 24 h
   * retry window, since deliveries expire with their event.
   */
  EVENT_RETENTION_HOURS: envSchemas.positiveInt
    .min(24)
    .max(24 * 90)
    .default(168),
  /** How often a waiting ReadEvents looks for events appended through another replica. */
  EVENTS_POLL_INTERVAL_MS: envSchemas.positiveInt.max(10_000).default(500),
  /** Webhook hosts that may be called over http or on non-public addresses (tests, on-premises). */
  WEBHOOK_HOST_ALLOW_LIST: envSchemas.hostList,
  /** Time one attempt may take, connecting and answering. */
  WEBHOOK_TIMEOUT_MS: envSchemas.positiveInt.max(60_000).default(10_000),
  /** Ceiling of the wait after the first failed attempt, doubled per attempt up to 6 h. */
  WEBHOOK_RETRY_BASE_MS: envSchemas.positiveInt.max(3_600_000).default(10_000),
  /** A subscription none of whose attempts succeeded for this long is paused. */
  WEBHOOK_PAUSE_AFTER_SECONDS: envSchemas.positiveInt.max(hours(24 * 30)).default(hours(24)),
  /** Attempts in flight on one replica: per subscription, per tenant and in all. */
  WEBHOOK_MAX_IN_FLIGHT_PER_SUBSCRIPTION: envSchemas.positiveInt.max(100).default(4),
  WEBHOOK_MAX_IN_FLIGHT_PER_TENANT: envSchemas.positiveInt.max(1000).default(16),
  WEBHOOK_MAX_IN_FLIGHT: envSchemas.positiveInt.max(10_000).default(256),
  /** How often the dispatcher looks for due deliveries when nothing woke it. */
  WEBHOOK_POLL_INTERVAL_MS: envSchemas.positiveInt.max(60_000).default(1000),
});

export type IntegrationsConfig = ReturnType<typeof loadConfig>;

/** The integrations service's configuration, from the environment, validated once at start. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env) {
  return parseConfig(schema, env);
}

/** Only the store settings, for the migration command, which needs nothing else. */
export function loadStoreConfig(env: Readonly<Record<string, string | undefined>> = process.env) {
  return parseConfig(z.object({ ...commonEnv, ...postgresEnv('integrations') }), env);
}
