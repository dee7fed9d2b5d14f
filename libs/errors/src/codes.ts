// No imports: the browser SDK (sdks/web) loads this module as it is.

/**
 * The registry of stable error codes. Clients, bots and tests match on `code`; the HTTP and gRPC
 * statuses are applied only at the edge. `libs/errors/README.md` documents every code, and a test
 * keeps the two in sync.
 */
export interface ErrorCodeInfo {
  /** HTTP status used by ingress when the error reaches a client. */
  readonly httpStatus: number;
  /** gRPC status name (`@grpc/grpc-js` `status` key) used by gRPC servers. */
  readonly grpcStatus:
    | 'INVALID_ARGUMENT'
    | 'NOT_FOUND'
    | 'ALREADY_EXISTS'
    | 'PERMISSION_DENIED'
    | 'UNAUTHENTICATED'
    | 'FAILED_PRECONDITION'
    | 'RESOURCE_EXHAUSTED'
    | 'UNAVAILABLE'
    | 'DEADLINE_EXCEEDED'
    | 'INTERNAL';
  /** Whether trying the same operation again later can succeed. */
  readonly retriable: boolean;
  /** Whether the message is safe to show to a caller; otherwise callers get the code with a generic message. */
  readonly expose: boolean;
  /**
   * The code callers are shown instead, for a code that only tells Parley's own components apart
   * what callers see as one (`store_failed` is retried by consumers, and is a `server_error` to callers).
   */
  readonly publicAs?: 'server_error';
}

export const errorCodes = {
  invalid_argument: { httpStatus: 400, grpcStatus: 'INVALID_ARGUMENT', retriable: false, expose: true },
  invalid_event: { httpStatus: 400, grpcStatus: 'INVALID_ARGUMENT', retriable: false, expose: true },
  unauthenticated: { httpStatus: 401, grpcStatus: 'UNAUTHENTICATED', retriable: false, expose: true },
  reauthentication_required: {
    httpStatus: 401,
    grpcStatus: 'UNAUTHENTICATED',
    retriable: false,
    expose: true,
  },
  api_key_expired: { httpStatus: 401, grpcStatus: 'UNAUTHENTICATED', retriable: false, expose: true },
  api_key_revoked: { httpStatus: 401, grpcStatus: 'UNAUTHENTICATED', retriable: false, expose: true },
  permission_denied: { httpStatus: 403, grpcStatus: 'PERMISSION_DENIED', retriable: false, expose: true },
  not_found: { httpStatus: 404, grpcStatus: 'NOT_FOUND', retriable: false, expose: true },
  already_exists: { httpStatus: 409, grpcStatus: 'ALREADY_EXISTS', retriable: false, expose: true },
  field_managed_by_origin: {
    httpStatus: 409,
    grpcStatus: 'FAILED_PRECONDITION',
    retriable: false,
    expose: true,
  },
  cursor_expired: { httpStatus: 410, grpcStatus: 'FAILED_PRECONDITION', retriable: false, expose: true },
  limit_exceeded: { httpStatus: 409, grpcStatus: 'FAILED_PRECONDITION', retriable: false, expose: true },
  payload_too_large: { httpStatus: 413, grpcStatus: 'INVALID_ARGUMENT', retriable: false, expose: true },
  headers_too_large: { httpStatus: 431, grpcStatus: 'INVALID_ARGUMENT', retriable: false, expose: true },
  request_timeout: { httpStatus: 408, grpcStatus: 'DEADLINE_EXCEEDED', retriable: true, expose: true },
  rate_limited: { httpStatus: 429, grpcStatus: 'RESOURCE_EXHAUSTED', retriable: true, expose: true },
  url_not_allowed: { httpStatus: 400, grpcStatus: 'INVALID_ARGUMENT', retriable: false, expose: true },
  auth_unavailable: { httpStatus: 503, grpcStatus: 'UNAVAILABLE', retriable: true, expose: true },
  brand_unavailable: { httpStatus: 503, grpcStatus: 'UNAVAILABLE', retriable: true, expose: true },
  brand_error: { httpStatus: 502, grpcStatus: 'UNAVAILABLE', retriable: false, expose: true },
  dependency_unavailable: { httpStatus: 503, grpcStatus: 'UNAVAILABLE', retriable: true, expose: false },
  deadline_exceeded: { httpStatus: 504, grpcStatus: 'DEADLINE_EXCEEDED', retriable: true, expose: false },
  invalid_config: { httpStatus: 500, grpcStatus: 'INTERNAL', retriable: false, expose: false },
  server_error: { httpStatus: 500, grpcStatus: 'INTERNAL', retriable: false, expose: false },
  store_failed: {
    httpStatus: 500,
    grpcStatus: 'INTERNAL',
    retriable: true,
    expose: false,
    publicAs: 'server_error',
  },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof errorCodes;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCodes, value);
}
