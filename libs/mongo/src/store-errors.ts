import { ParleyError } from '@parley/errors';
import { MongoError, MongoNetworkError, MongoServerSelectionError, MongoWriteConcernError } from 'mongodb';

// Server errors of a replica set changing primary, shutting down or timing out, which often arrive
// without the RetryableWriteError label: HostUnreachable, HostNotFound, NetworkTimeout,
// ShutdownInProgress, PrimarySteppedDown, ExceededTimeLimit, SocketException, NotWritablePrimary,
// InterruptedAtShutdown, InterruptedDueToReplStateChange, NotPrimaryNoSecondaryOk,
// NotPrimaryOrSecondary, MaxTimeMSExpired.
const transientServerCodes = new Set([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436, 50]);

/** True for a unique-index violation (E11000): the write was a duplicate of one already stored. */
export function isDuplicateKeyError(error: unknown): boolean {
  return error instanceof MongoError && error.code === 11000;
}

/**
 * Maps a driver error to a ParleyError: an unreachable server, a primary change or a write concern
 * failure is `dependency_unavailable` (retriable, so consumers retry and then redeliver), anything
 * else `server_error`.
 */
export function toStoreError(error: unknown, operation: string): ParleyError {
  if (error instanceof ParleyError) return error;
  const transient =
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    error instanceof MongoWriteConcernError ||
    (error instanceof MongoError &&
      (error.hasErrorLabel('RetryableWriteError') || transientServerCodes.has(Number(error.code))));
  return transient
    ? new ParleyError('dependency_unavailable', `MongoDB unavailable during ${operation}`, { cause: error })
    : // Unexplained store failures stay retriable: a consumer then redelivers instead of dead-lettering
      // an accepted message.
      new ParleyError('server_error', `MongoDB failed during ${operation}`, {
        cause: error,
        retriable: true,
      });
}
