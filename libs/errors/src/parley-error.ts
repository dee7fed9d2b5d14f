import { type ErrorCode, type ErrorCodeInfo, errorCodes, isErrorCode } from './codes.js';

export interface ParleyErrorOptions {
  /** The error that caused this one; kept for logs, never shown to callers. */
  readonly cause?: unknown;
  /** Structured, non-secret facts for logs (ids, topic, field names). */
  readonly context?: Readonly<Record<string, unknown>>;
  /** Overrides the registry default, e.g. a dependency error known to be permanent. */
  readonly retriable?: boolean;
}

/**
 * The one error base of Parley: every error that crosses a module boundary is a ParleyError with a
 * stable `code` from the registry.
 *
 * @example
 * throw new ParleyError('invalid_argument', 'text must be at most 4000 characters', {
 *   context: { field: 'text' },
 * });
 */
export class ParleyError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: ParleyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ParleyError';
    this.code = code;
    this.retriable = options.retriable ?? errorCodes[code].retriable;
    this.context = Object.freeze({ ...options.context });
  }

  get info(): ErrorCodeInfo {
    return errorCodes[this.code];
  }

  /** What a caller may see: the message when the code is safe to expose, a generic one otherwise. */
  toPublic(): { code: ErrorCode; message: string } {
    return this.info.expose
      ? { code: this.code, message: this.message }
      : { code: 'server_error', message: 'internal error' };
  }
}

export function isParleyError(value: unknown): value is ParleyError {
  return value instanceof ParleyError;
}

/**
 * Wraps anything thrown into a ParleyError, keeping the original as `cause`. Errors that already
 * carry a registered `code` (e.g. rebuilt from gRPC metadata) keep it.
 */
export function toParleyError(value: unknown, fallback: ErrorCode = 'server_error'): ParleyError {
  if (value instanceof ParleyError) return value;
  const code = (value as { code?: unknown } | null)?.code;
  const message = value instanceof Error ? value.message : String(value);
  return new ParleyError(isErrorCode(code) ? code : fallback, message, { cause: value });
}
