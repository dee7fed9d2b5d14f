import { ParleyError } from '@parley/errors';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isTransientStoreError, isUniqueViolation, sqlState, toStoreError } from './postgres-errors.js';

/** An error as node-postgres builds it from the server's ErrorResponse. */
function serverError(code: string, fields: Partial<pg.DatabaseError> = {}): pg.DatabaseError {
  const error = new pg.DatabaseError(fields.message ?? `server said ${code}`, 0, 'error');
  Object.assign(error, { severity: 'ERROR', code, ...fields });
  return error;
}

function socketError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, errno: -1, syscall: 'connect' });
}

describe('toStoreError', () => {
  it.each([
    ['08006', 'connection_failure'],
    ['08001', 'unable to connect'],
    ['53300', 'too_many_connections'],
    ['57014', 'statement timeout (query_canceled)'],
    ['57P01', 'admin_shutdown'],
    ['57P03', 'cannot_connect_now (starting up)'],
    ['40001', 'serialization_failure'],
    ['40P01', 'deadlock_detected'],
    ['25006', 'read_only_sql_transaction (a standby after failover)'],
  ])('maps SQLSTATE %s (%s) to a retriable dependency_unavailable', (code) => {
    const error = toStoreError(serverError(code), 'store message');
    expect(error).toBeInstanceOf(ParleyError);
    expect(error).toMatchObject({
      code: 'dependency_unavailable',
      retriable: true,
      context: { operation: 'store message', sqlState: code },
    });
  });

  it.each([
    ['23505', 'already_exists', false],
    ['23P01', 'already_exists', false],
    ['22021', 'invalid_argument', false], // a NUL character in text
    ['22001', 'invalid_argument', false], // a value too long for its column
    ['22P02', 'invalid_argument', false], // not a valid uuid, integer, …
    ['23502', 'invalid_argument', false], // not null
    ['23514', 'invalid_argument', false], // check constraint
    ['42501', 'permission_denied', false], // no privilege, or a row-level-security policy refused
    ['42P01', 'store_failed', true], // undefined table: a deployment problem, retried
    ['XX000', 'store_failed', true],
  ] as const)('maps SQLSTATE %s to %s (retriable: %s)', (code, expected, retriable) => {
    expect(toStoreError(serverError(code), 'op')).toMatchObject({
      code: expected,
      retriable,
      context: { operation: 'op', sqlState: code },
    });
  });

  it('names the violated constraint', () => {
    const error = toStoreError(serverError('23505', { constraint: 'messages_pkey' }), 'insert message');
    expect(error).toMatchObject({ code: 'already_exists', context: { constraint: 'messages_pkey' } });
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND'])(
    'maps the socket error %s to dependency_unavailable, not to a SQLSTATE',
    (code) => {
      expect(sqlState(socketError(code))).toBeUndefined();
      expect(toStoreError(socketError(code), 'connect')).toMatchObject({
        code: 'dependency_unavailable',
        retriable: true,
        context: { socketError: code },
      });
    },
  );

  it('maps the socket errors of every address tried (AggregateError)', () => {
    const error = new AggregateError([socketError('ECONNREFUSED'), socketError('ECONNREFUSED')], 'refused');
    expect(toStoreError(error, 'connect')).toMatchObject({ code: 'dependency_unavailable' });
  });

  it.each([
    'Connection terminated unexpectedly',
    'Connection terminated due to connection timeout',
    'timeout exceeded when trying to connect',
    'Client has encountered a connection error and is not queryable',
    'Query read timeout',
  ])('maps the driver message "%s" to dependency_unavailable', (message) => {
    expect(toStoreError(new Error(message), 'op')).toMatchObject({ code: 'dependency_unavailable' });
    expect(toStoreError(new Error('wrapped', { cause: new Error(message) }), 'op')).toMatchObject({
      code: 'dependency_unavailable',
    });
  });

  it('never lets a raw error escape, and keeps it only as the cause', () => {
    for (const thrown of [new TypeError('x is undefined'), 'a string', undefined, null, { code: 42 }]) {
      const error = toStoreError(thrown, 'op');
      expect(error).toBeInstanceOf(ParleyError);
      expect(error.cause).toBe(thrown);
    }
  });

  it("keeps the server's error for logs without the row values it quotes", () => {
    const raw = serverError('23505', {
      message: 'could not read block 7 of relation base/16384/2619',
      detail: 'Key (tenant_id, message_id)=(acme, secret text) already exists.',
      where: 'SQL statement "insert …"',
      internalQuery: 'insert into messages values (…)',
      constraint: 'messages_message_once',
      table: 'messages',
    });
    const error = toStoreError(raw, 'op');
    expect(error).toBeInstanceOf(ParleyError);
    expect(error.message).not.toContain('block 7');
    expect(error.cause).toMatchObject({
      message: raw.message,
      code: '23505',
      severity: 'ERROR',
      constraint: 'messages_message_once',
      table: 'messages',
    });
    expect(JSON.stringify(error.cause)).not.toMatch(/secret text|insert/);
    expect(isUniqueViolation(error, 'messages_message_once')).toBe(true);
  });

  it('returns a ParleyError unchanged', () => {
    const error = new ParleyError('not_found', 'no such thread');
    expect(toStoreError(error, 'op')).toBe(error);
  });

  it('reads the SQLSTATE through the ParleyError a query rejects with', () => {
    const wrapped = toStoreError(serverError('23505', { constraint: 'threads_pkey' }), 'insert thread');
    expect(sqlState(wrapped)).toBe('23505');
    expect(isUniqueViolation(wrapped)).toBe(true);
    expect(isUniqueViolation(wrapped, 'threads_pkey')).toBe(true);
    expect(isUniqueViolation(wrapped, 'messages_pkey')).toBe(false);
    expect(isUniqueViolation(toStoreError(serverError('23503'), 'op'))).toBe(false);
    expect(isUniqueViolation(new Error('duplicate'))).toBe(false);
    expect(isTransientStoreError(toStoreError(serverError('57014'), 'op'))).toBe(true);
  });
});
