export { parseConfig } from './parse-config.js';
export { envSchemas } from './env-schemas.js';
