export { commonEnv, envSchemas, kafkaEnv, mongoEnv } from './env-schemas.js';
export { parseConfig } from './parse-config.js';
