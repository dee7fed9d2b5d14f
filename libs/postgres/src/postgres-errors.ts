import { ParleyError } from '@parley/errors';

/** The SQLSTATE of a PostgreSQL error (or of its cause), when it has one. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** True for a unique violation (SQLSTATE 23505), optionally of one named constraint. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (sqlState(error) !== '23505') return false;
  return constraint === undefined || (error as { constraint?: string }).constraint === constraint;
}

// Node socket errors of a server that is down, restarting or unreachable.
const networkErrors = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

/**
 * Whether the error says the database is (perhaps briefly) unavailable: the operation may succeed
 * when tried again. Connection exceptions (class 08), insufficient resources (53), operator
 * intervention such as a shutdown or a statement timeout (57), serialization failures and deadlocks
 * (40001, 40P01), a read-only standby after a failover (25006), and socket errors.
 */
export function isTransientStoreError(error: unknown): boolean {
  const state = sqlState(error);
  if (state) {
    return (
      state.startsWith('08') ||
      state.startsWith('53') ||
      state.startsWith('57') ||
      state === '40001' ||
      state === '40P01' ||
      state === '25006'
    );
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && networkErrors.has(code)) return true;
  const message = error instanceof Error ? error.message : '';
  // node-postgres reports a connection lost mid-query and a pool checkout timeout only in words.
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    message,
  );
}

/**
 * Maps a driver error to a ParleyError, never letting a raw driver error (or its stack) reach a
 * caller: an unavailable database is `dependency_unavailable` (retriable); data the database cannot
 * hold (class 22, e.g. a NUL character) is `invalid_argument` (permanent: retrying cannot help);
 * anything else is a retriable `server_error`, so that a consumer redelivers an accepted message
 * instead of dead-lettering it.
 */
export function toStoreError(error: unknown, operation: string): ParleyError {
  if (error instanceof ParleyError) return error;
  const state = sqlState(error);
  if (isTransientStoreError(error)) {
    return new ParleyError('dependency_unavailable', `PostgreSQL unavailable during ${operation}`, {
      cause: error,
      context: { operation, sqlState: state },
    });
  }
  if (state?.startsWith('22')) {
    return new ParleyError('invalid_argument', `the store cannot hold this value (${operation})`, {
      cause: error,
      context: { operation, sqlState: state },
    });
  }
  return new ParleyError('server_error', `PostgreSQL failed during ${operation}`, {
    cause: error,
    retriable: true,
    context: { operation, sqlState: state },
  });
}
