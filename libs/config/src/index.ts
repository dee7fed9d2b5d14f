export { envSchemas } from './env-schemas.js';
export { parseConfig } from './parse-config.js';
