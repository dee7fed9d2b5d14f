import { errorCodes } from '@parley/errors/codes';
/** Codes the server answers with (`libs/errors`) that a chat client can meet. */
export type ParleyServerErrorCode =
  | 'invalid_argument'
  | 'unauthenticated'
  | 'reauthentication_required'
  | 'permission_denied'
  | 'not_found'
  | 'payload_too_large'
  | 'rate_limited'
  | 'auth_unavailable'
  | 'brand_unavailable'
  | 'brand_error'
  | 'dependency_unavailable'
  | 'deadline_exceeded'
  | 'server_error';

/** Codes the client gives itself when there is no server answer to carry. */
export type ParleyLocalErrorCode =
  | 'network_error' // the request did not reach the server or its answer did not arrive
  | 'http_error' // an answer that is not Parley's (a proxy's error page, say)
  | 'invalid_response' // a Parley answer or frame the client cannot read
  | 'not_signed_in' // the call needs a session and there is none
  | 'connection_lost' // the stream closed before the server acknowledged a message
  | 'timeout' // the server did not acknowledge a message in time
  | 'bad_frame' // the server closed the stream with 4400: a client bug
  | 'stream_closed' // the server closed the stream for another reason; the client reconnects
  | 'storage_error' // the storage refused a read or write (quota, private mode)
  | 'unsupported_environment'; // fetch, WebSocket or Web Crypto is missing

/**
 * Every code a `ParleyClientError` can carry. Newer servers may send codes not listed yet.
 *
 * @example
 * const code: ParleyErrorCode = 'rate_limited';
 */
export type ParleyErrorCode = ParleyServerErrorCode | ParleyLocalErrorCode | (string & Record<never, never>);

// The server's retriable codes come from its registry (libs/errors); the SDK's own codes beside them.
const retriableCodes = new Set<string>([
  ...Object.entries(errorCodes)
    .filter(([, info]) => info.retriable && !('publicAs' in info))
    .map(([code]) => code),
  'network_error',
  'connection_lost',
  'timeout',
]);

/**
 * The one error of the SDK: every failed call rejects with it. `code` is stable (the server's
 * code when the server answered); `status` is the HTTP status when the failure came over HTTP;
 * `closeCode` the stream close code when it came from the stream.
 *
 * @example
 * try {
 *   await client.send('Where is my order?');
 * } catch (error) {
 *   if (error instanceof ParleyClientError && error.code === 'rate_limited')
 *     showNotice(`try again in ${error.retryAfterSeconds ?? 60} s`);
 * }
 */
export class ParleyClientError extends Error {
  override readonly name = 'ParleyClientError';
  readonly code: ParleyErrorCode;
  readonly status: number | undefined;
  readonly closeCode: number | undefined;
  readonly retryAfterSeconds: number | undefined;
  /** Whether the same call may succeed later (the client retries some of these itself). */
  readonly retriable: boolean;

  constructor(
    code: ParleyErrorCode,
    message: string,
    options: { status?: number; closeCode?: number; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.closeCode = options.closeCode;
    this.retryAfterSeconds = options.retryAfterSeconds;
    const status = options.status ?? 0;
    this.retriable = retriableCodes.has(code) || (code === 'http_error' && status >= 502 && status <= 504);
  }
}

/**
 * Whether an error means the session is gone: the customer has to sign in again.
 *
 * @example
 * if (isSessionRefused(error)) showSignIn();
 */
export function isSessionRefused(error: unknown): boolean {
  return (
    error instanceof ParleyClientError &&
    (error.code === 'reauthentication_required' || error.code === 'unauthenticated')
  );
}
