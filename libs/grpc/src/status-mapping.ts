import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { type ErrorCode, isErrorCode, ParleyError, toParleyError } from '@parley/errors';

/** Trailer carrying the stable Parley error code of a failed call. */
export const errorCodeTrailer = 'parley-error-code';

/**
 * Trailer marking a call refused by the server's authorization of its caller (the caller's proven
 * identity, or `none`): the calling service's own fault, never its caller's (docs/service-identity.md).
 */
export const refusedCallTrailer = 'parley-refused-caller';

/**
 * Turns any error into what a gRPC handler sends: status, public message, code in the trailer. A
 * handler's `unauthenticated` or `permission_denied` with `context.refusedCaller` (the caller's
 * proven identity) refuses the caller for who it is: marked with the refused-caller trailer, and
 * reported by the server's authorization as its own refusals are (docs/service-identity.md).
 */
export function toServiceError(error: unknown): Partial<ServiceError> & { code: status } {
  const parleyError = toParleyError(error);
  const exposed = parleyError.toPublic();
  const metadata = new Metadata();
  metadata.set(errorCodeTrailer, exposed.code);
  const { refusedCaller } = parleyError.context;
  if (
    typeof refusedCaller === 'string' &&
    (parleyError.code === 'permission_denied' || parleyError.code === 'unauthenticated')
  )
    metadata.set(refusedCallTrailer, refusedCaller);
  return { code: status[parleyError.info.grpcStatus], details: exposed.message, metadata };
}

// Without a trailer the error came from the transport (connection reset, RST_STREAM, proxy), not
// from a Parley handler: such failures are worth retrying.
const statusFallback: Partial<Record<status, ErrorCode>> = {
  [status.DEADLINE_EXCEEDED]: 'deadline_exceeded',
  [status.UNAVAILABLE]: 'dependency_unavailable',
  [status.CANCELLED]: 'dependency_unavailable',
  [status.UNKNOWN]: 'dependency_unavailable',
  [status.INTERNAL]: 'dependency_unavailable',
  [status.RESOURCE_EXHAUSTED]: 'rate_limited',
  [status.UNAUTHENTICATED]: 'unauthenticated',
  [status.PERMISSION_DENIED]: 'permission_denied',
  [status.NOT_FOUND]: 'not_found',
  [status.INVALID_ARGUMENT]: 'invalid_argument',
};

/** Rebuilds the ParleyError a server sent, from the trailer, or from the status when there is none. */
export function fromServiceError(error: ServiceError, method: string): ParleyError {
  const trailer = error.metadata?.get(errorCodeTrailer)[0];
  const refusedAs = error.metadata?.get(refusedCallTrailer)[0];
  // A server refusing this service is a deployment fault (certificate, method table): passing on
  // its `unauthenticated` would tell a customer to sign in again, its `permission_denied` that a
  // bot lacks a right. It is a server_error for whoever this service answers, in full in its logs.
  if (refusedAs !== undefined && isErrorCode(trailer)) {
    return new ParleyError('server_error', `${method} refused this service (${trailer}): ${error.details}`, {
      cause: error,
      context: { method, grpcStatus: error.code, refusal: trailer, refusedAs: String(refusedAs) },
    });
  }
  const code = isErrorCode(trailer) ? trailer : (statusFallback[error.code] ?? 'server_error');
  return new ParleyError(code, error.details || error.message, {
    cause: error,
    context: { method, grpcStatus: error.code },
  });
}
