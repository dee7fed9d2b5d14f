import type { ErrorCode } from './codes.js';
import { ParleyError } from './parley-error.js';

/**
 * Why a call to a brand server failed, and the code each reason is reported under: the one
 * vocabulary callers switch on (`libs/errors/README.md`, "Brand failures"), never the message.
 */
export const brandFailureReasons = {
  /** No answer within the timeout, or no host slot came free in time. */
  timeout: 'brand_unavailable',
  /** The connection failed: refused, reset, a name that does not resolve. */
  unreachable: 'brand_unavailable',
  /** The brand answered 5xx. */
  server_error: 'brand_unavailable',
  /** Not attempted: the tenant's circuit to the host is open after failures in a row. */
  circuit_open: 'brand_unavailable',
  /** The answer was over the response size limit. */
  too_large: 'brand_error',
  /** The answer was not JSON where JSON was expected. */
  not_json: 'brand_error',
  /** A redirect to something that is not a URL. */
  bad_redirect: 'brand_error',
  /** The brand answered, but not what the protocol asks for (a status, a missing or foreign field). */
  invalid_response: 'brand_error',
  /** The URL, a redirect or the address it resolves to is not one Parley may call. */
  not_allowed: 'url_not_allowed',
} as const satisfies Record<string, ErrorCode>;

export type BrandFailureReason = keyof typeof brandFailureReasons;

export interface BrandFailureOptions {
  /** The brand host asked (`host[:port]`), when one was. */
  readonly host?: string;
  readonly cause?: unknown;
  readonly context?: Readonly<Record<string, unknown>>;
}

/**
 * A call to a brand server failed: a ParleyError whose code follows from its typed `reason`
 * (`brandFailureReasons`), which is also in `context.reason` for logs.
 *
 * @example
 * if (isBrandFailure(error) && error.reason === 'circuit_open') return 'not attempted';
 */
export class BrandFailure extends ParleyError {
  readonly reason: BrandFailureReason;
  readonly host: string | undefined;

  constructor(reason: BrandFailureReason, message: string, options: BrandFailureOptions = {}) {
    super(brandFailureReasons[reason], message, {
      cause: options.cause,
      context: { ...(options.host === undefined ? {} : { host: options.host }), reason, ...options.context },
    });
    this.reason = reason;
    this.host = options.host;
  }
}

export function isBrandFailure(value: unknown): value is BrandFailure {
  return value instanceof BrandFailure;
}
