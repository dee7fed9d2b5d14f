export { commonEnv, envSchemas, grpcTlsEnv, kafkaEnv, postgresEnv } from './env-schemas.js';
export { parseConfig } from './parse-config.js';
