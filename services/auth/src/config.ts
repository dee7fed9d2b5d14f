import { commonEnv, envSchemas, mongoEnv, parseConfig } from '@parley/config';
import { z } from 'zod';

const schema = z.object({
  ...commonEnv,
  ...mongoEnv('parley_auth'),
  OPS_PORT: envSchemas.port.default(9401),
  GRPC_PORT: envSchemas.port.default(50051),
});

export type AuthConfig = ReturnType<typeof loadConfig>;

/** The auth service's configuration, from the environment, validated once at start. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env) {
  return parseConfig(schema, env);
}
