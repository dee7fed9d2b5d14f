export { createLogger, type Logger, type LoggerOptions } from './create-logger.js';
export { redactedValue, redactSecrets } from './redact-secrets.js';
