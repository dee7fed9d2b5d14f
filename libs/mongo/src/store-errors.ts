import { ParleyError } from '@parley/errors';
import { MongoError, MongoNetworkError, MongoServerSelectionError } from 'mongodb';

/** True for a unique-index violation (E11000): the write was a duplicate of one already stored. */
export function isDuplicateKeyError(error: unknown): boolean {
  return error instanceof MongoError && error.code === 11000;
}

/**
 * Maps a driver error to a ParleyError: an unreachable server is `dependency_unavailable`
 * (retriable, so consumers retry and then redeliver), anything else `server_error`.
 */
export function toStoreError(error: unknown, operation: string): ParleyError {
  if (error instanceof ParleyError) return error;
  if (error instanceof MongoNetworkError || error instanceof MongoServerSelectionError) {
    return new ParleyError('dependency_unavailable', `MongoDB unavailable during ${operation}`, {
      cause: error,
    });
  }
  if (error instanceof MongoError && error.hasErrorLabel('RetryableWriteError')) {
    return new ParleyError('dependency_unavailable', `MongoDB write can be retried: ${operation}`, {
      cause: error,
    });
  }
  return new ParleyError('server_error', `MongoDB failed during ${operation}`, { cause: error });
}
