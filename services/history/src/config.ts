import { commonEnv, envSchemas, grpcTlsEnv, kafkaEnv, parseConfig, postgresEnv } from '@parley/config';
import { z } from 'zod';

export const schema = z.object({
  ...commonEnv,
  ...grpcTlsEnv,
  ...kafkaEnv,
  ...postgresEnv('history'),
  OPS_PORT: envSchemas.port.default(9403),
  GRPC_PORT: envSchemas.port.default(50052),
});

export type HistoryConfig = ReturnType<typeof loadConfig>;

/** The history service's configuration, from the environment, validated once at start. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env) {
  return parseConfig(schema, env);
}

/** Only the store settings, for the migration command, which needs nothing else. */
export function loadStoreConfig(env: Readonly<Record<string, string | undefined>> = process.env) {
  return parseConfig(z.object({ ...commonEnv, ...postgresEnv('history') }), env);
}
