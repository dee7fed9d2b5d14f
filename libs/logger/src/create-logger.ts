import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

export interface LoggerOptions {
  readonly service: string;
  readonly version: string;
  readonly level?: string;
  /** Human-readable output; callers set it from config (e.g. `LOG_PRETTY`, or stdout being a TTY). */
  readonly pretty?: boolean;
  /** Where JSON lines go; tests pass a stream to read them. Defaults to stdout. */
  readonly destination?: DestinationStream;
}

// Secrets can sit at any depth of a logged object: pino's redaction needs explicit paths, so the
// common shapes (top level, one level down, HTTP request headers) are listed.
const secretKeys = [
  'authorization',
  'cookie',
  'password',
  'secret',
  'clientSecret',
  'client_secret',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'idToken',
  'id_token',
  'sessionToken',
  'code',
  'codeVerifier',
  'code_verifier',
  'apiKey',
];

export const redactedPaths: readonly string[] = [
  ...secretKeys,
  ...secretKeys.map((key) => `*.${key}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["sec-websocket-protocol"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'req.headers["x-api-key"]',
];

/**
 * The one root logger of a process, with `service` and `version` bound and secrets redacted.
 * Children carry request ids or topic/partition/offset.
 *
 * @example
 * const logger = createLogger({ service: 'auth', version: '0.1.0', level: config.LOG_LEVEL });
 * logger.child({ requestId }).info({ channelId }, 'channel saved');
 */
export function createLogger(options: LoggerOptions): Logger {
  const { service, version, level = 'info', pretty = false, destination } = options;
  const base = {
    level,
    base: { service, version },
    redact: { paths: [...redactedPaths], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (destination) return pino(base, destination);
  if (pretty) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { colorize: true, singleLine: true } },
    });
  }
  return pino(base);
}
