import { type DestinationStream, type Logger, pino } from 'pino';
import { redactSecrets } from './redact-secrets.js';

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
    timestamp: pino.stdTimeFunctions.isoTime,
    // Redaction walks every logged object (and child bindings, see `redactChildBindings`) in any
    // key case, and fails closed past its depth and size bounds: tokens arrive nested in headers,
    // grants and error causes.
    formatters: {
      level: (label: string) => ({ level: label }),
      log: (object: Record<string, unknown>) => redactSecrets(object) as Record<string, unknown>,
      bindings: (bindings: Record<string, unknown>) => redactSecrets(bindings) as Record<string, unknown>,
    },
  };
  if (destination) return redactChildBindings(pino(base, destination));
  if (pretty) {
    return redactChildBindings(
      pino({
        ...base,
        transport: { target: 'pino-pretty', options: { colorize: true, singleLine: true } },
      }),
    );
  }
  return redactChildBindings(pino(base));
}

// pino runs `formatters.bindings` on the root's bindings only: `child()` swaps in an identity
// formatter. Children are created from their parent by `Object.create`, so overriding `child` on
// the root redacts the bindings of every descendant.
function redactChildBindings(logger: Logger): Logger {
  const child = logger.child;
  logger.child = function redactedChild(this: Logger, bindings, options) {
    return child.call(this, redactSecrets(bindings) as typeof bindings, options);
  } as Logger['child'];
  return logger;
}
