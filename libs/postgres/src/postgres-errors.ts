import { ParleyError } from '@parley/errors';

interface ServerError {
  readonly code: string;
  readonly severity?: string;
  readonly constraint?: string;
}

/**
 * The error the server sent (node-postgres's DatabaseError), found on the error itself or along its
 * `cause` chain, so that it is found inside the ParleyError every query failure arrives as. A node
 * socket error such as `EPIPE` also has a five-letter `code`: only an error carrying the server's
 * `severity` counts.
 */
function serverError(error: unknown): ServerError | undefined {
  let current = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    const candidate = current as { code?: unknown; severity?: unknown; cause?: unknown };
    if (
      typeof candidate.code === 'string' &&
      /^[0-9A-Z]{5}$/.test(candidate.code) &&
      typeof candidate.severity === 'string'
    )
      return candidate as ServerError;
    current = candidate.cause;
  }
  return undefined;
}

/**
 * The server's error as the ParleyError keeps it (`cause`, for logs): what went wrong and where, but
 * not `detail`, `where` or `internalQuery`, which quote the values of the row concerned (a
 * message's text, a sealed token) into every log line that carries the error.
 */
function logSafe(error: unknown): unknown {
  const found = serverError(error);
  if (!found || !(error instanceof Error)) return error;
  const { severity, constraint, table, column, schema, routine } = error as Error &
    ServerError & { table?: string; column?: string; schema?: string; routine?: string };
  return Object.assign(new Error(error.message), {
    name: 'PostgresError',
    code: found.code,
    severity,
    ...(constraint ? { constraint } : {}),
    ...(schema ? { schema } : {}),
    ...(table ? { table } : {}),
    ...(column ? { column } : {}),
    ...(routine ? { routine } : {}),
  });
}

/** The SQLSTATE of a PostgreSQL error (or of its cause), when it has one. */
export function sqlState(error: unknown): string | undefined {
  return serverError(error)?.code;
}

/**
 * True for a unique violation (SQLSTATE 23505), optionally of one named constraint; works on the
 * ParleyError a query rejects with.
 *
 * @example
 * try { await tx.query('insert message', sql`insert into messages …`); }
 * catch (error) { if (!isUniqueViolation(error, 'messages_pkey')) throw error; }
 */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const found = serverError(error);
  if (found?.code !== '23505') return false;
  return constraint === undefined || found.constraint === constraint;
}

// Node socket errors of a server that is down, restarting or unreachable.
const networkErrors = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

// node-postgres reports a lost connection, a checkout timeout and its client-side query timeout in
// words only.
const unavailableMessages =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout|Client was closed and is not queryable/i;

function socketErrorCode(error: unknown): string | undefined {
  let current = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && networkErrors.has(code)) return code;
    // Several addresses tried (localhost: ::1, then 127.0.0.1): node reports an AggregateError.
    const nested = (current as { errors?: unknown }).errors;
    if (Array.isArray(nested)) {
      for (const inner of nested) {
        const innerCode = socketErrorCode(inner);
        if (innerCode) return innerCode;
      }
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

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
  if (socketErrorCode(error)) return true;
  let current = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    if (unavailableMessages.test(current.message)) return true;
    current = current.cause;
  }
  return false;
}

/**
 * Maps a driver error to a ParleyError, never letting a raw driver error (or its stack) reach a
 * caller; the driver error stays as `cause`, for logs:
 * - an unavailable database, a statement timeout → `dependency_unavailable` (retriable);
 * - a unique or exclusion violation (23505, 23P01) → `already_exists`, with the constraint;
 * - data the database cannot hold (class 22, e.g. a NUL character) or another broken rule of the
 *   schema (class 23) → `invalid_argument` (permanent: retrying cannot help);
 * - a privilege the role lacks, or a row that a row-level-security policy refuses (42501) →
 *   `permission_denied`;
 * - anything else → `store_failed` (retriable; callers see `server_error`), so that a consumer
 *   redelivers an accepted message instead of dead-lettering it.
 */
export function toStoreError(raw: unknown, operation: string): ParleyError {
  if (raw instanceof ParleyError) return raw;
  const error = logSafe(raw);
  const found = serverError(error);
  const state = found?.code;
  const context = {
    operation,
    sqlState: state,
    ...(found?.constraint ? { constraint: found.constraint } : {}),
  };
  if (isTransientStoreError(error)) {
    return new ParleyError('dependency_unavailable', `PostgreSQL unavailable during ${operation}`, {
      cause: error,
      context: { ...context, ...(state ? {} : { socketError: socketErrorCode(error) }) },
    });
  }
  if (state === '23505' || state === '23P01') {
    return new ParleyError('already_exists', `the store holds this already (${operation})`, {
      cause: error,
      context,
    });
  }
  if (state?.startsWith('22') || state?.startsWith('23')) {
    return new ParleyError('invalid_argument', `the store cannot hold this value (${operation})`, {
      cause: error,
      context,
    });
  }
  if (state === '42501') {
    return new ParleyError('permission_denied', `the store refused access (${operation})`, {
      cause: error,
      context,
    });
  }
  return new ParleyError('store_failed', `PostgreSQL failed during ${operation}`, {
    cause: error,
    context,
  });
}
