import { commonEnv, envSchemas, kafkaEnv, parseConfig } from '@parley/config';
import { z } from 'zod';

const schema = z.object({
  ...commonEnv,
  ...kafkaEnv,
  OPS_PORT: envSchemas.port.default(9402),
  /** `host:port` of the auth service's gRPC server (channel settings, customers' tokens). */
  AUTH_GRPC_ADDRESS: envSchemas.serviceAddress,
  AUTH_DEADLINE_MS: envSchemas.positiveInt.default(8000),
  /** Brand hosts that may be called over http or on non-public addresses (as in auth). */
  BRAND_HOST_ALLOW_LIST: envSchemas.hostList,
  BRAND_HTTP_TIMEOUT_MS: envSchemas.positiveInt.max(30_000).default(3000),
  /** Attempts at the customer data per message before it flows on marked `unavailable`. */
  ENRICHMENT_MAX_ATTEMPTS: envSchemas.positiveInt.max(10).default(3),
  /** Distinct threads of a batch enriched at once (one thread always in order). */
  ENRICHMENT_CONCURRENCY: envSchemas.positiveInt.max(256).default(32),
  /** Partitions enriched at once by one instance. */
  ENRICHMENT_PARTITION_CONCURRENCY: envSchemas.positiveInt.max(64).default(3),
});

export type EnrichmentConfig = ReturnType<typeof loadConfig>;

/** The enrichment service's configuration, from the environment, validated once at start. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env) {
  return parseConfig(schema, env);
}
