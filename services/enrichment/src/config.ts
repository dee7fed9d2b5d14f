import { commonEnv, envSchemas, kafkaEnv, parseConfig } from '@parley/config';
import { z } from 'zod';

const schema = z.object({
  ...commonEnv,
  ...kafkaEnv,
  OPS_PORT: envSchemas.port.default(9402),
});

export type EnrichmentConfig = ReturnType<typeof loadConfig>;

/** The enrichment service's configuration, from the environment, validated once at start. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env) {
  return parseConfig(schema, env);
}
