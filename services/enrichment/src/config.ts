import { commonEnv, envSchemas, grpcTlsEnv, kafkaEnv, parseConfig } from '@parley/config';
import { z } from 'zod';

export const schema = z.object({
  ...commonEnv,
  ...grpcTlsEnv,
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
  /**
   * Received messages taken per partition and not yet enriched. Messages are enriched as they
   * arrive, each thread in order: a slow brand holds back only its own threads until this many are
   * waiting in one partition.
   */
  ENRICHMENT_PIPELINE_DEPTH: envSchemas.positiveInt.max(10_000).default(500),
  /** Requests to one brand host at once; more wait (within BRAND_HTTP_TIMEOUT_MS). */
  BRAND_MAX_CONCURRENCY_PER_HOST: envSchemas.positiveInt.max(1000).default(32),
});

export type EnrichmentConfig = ReturnType<typeof loadConfig>;

/** The enrichment service's configuration, from the environment, validated once at start. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env) {
  return parseConfig(schema, env);
}
