import { type ErrorCode, type ErrorCodeInfo, errorCodes, isErrorCode } from './codes.js';

const genericMessages: Partial<Record<ErrorCode, string>> = {
  dependency_unavailable: 'a service Parley depends on is unavailable; retry later',
  deadline_exceeded: 'the operation ran out of time; retry later',
};

export interface ParleyErrorOptions {
  /** The error that caused this one; kept for logs, never shown to callers. */
  readonly cause?: unknown;
  /** Structured, non-secret facts for logs (ids, topic, field names). */
  readonly context?: Readonly<Record<string, unknown>>;
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
  /** From the registry: the code decides (an error that may pass and one that cannot are two codes). */
  readonly retriable: boolean;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: ParleyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ParleyError';
    this.code = code;
    this.retriable = errorCodes[code].retriable;
    this.context = Object.freeze({ ...options.context });
  }

  get info(): ErrorCodeInfo {
    return errorCodes[this.code];
  }

  /**
   * What a caller may see: always the stable code (so callers can retry `dependency_unavailable`),
   * or the one it is shown as (`publicAs`), the message only when it is safe to expose; otherwise a
   * generic one, the details being logged.
   */
  toPublic(): { code: ErrorCode; message: string } {
    const info: ErrorCodeInfo = this.info;
    return {
      code: info.publicAs ?? this.code,
      message: this.info.expose ? this.message : (genericMessages[this.code] ?? 'internal error'),
    };
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
