import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorCodes, isErrorCode, ParleyError, toParleyError } from './index.js';

describe('ParleyError', () => {
  it('carries code, cause, context and the registry default for retriable', () => {
    const cause = new Error('socket hang up');
    const error = new ParleyError('auth_unavailable', 'brand token endpoint did not answer', {
      cause,
      context: { channelId: 'web' },
    });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: 'auth_unavailable', retriable: true, context: { channelId: 'web' } });
    expect(error.cause).toBe(cause);
    expect(Object.isFrozen(error.context)).toBe(true);
  });

  it('takes retriable from the code alone: two meanings are two codes', () => {
    expect(new ParleyError('dependency_unavailable', 'x').retriable).toBe(true);
    expect(new ParleyError('server_error', 'x').retriable).toBe(false);
    expect(new ParleyError('store_failed', 'x').retriable).toBe(true);
  });

  it('shows a code that only Parley tells apart as the code callers know', () => {
    expect(new ParleyError('store_failed', 'relation "later_notes" does not exist').toPublic()).toEqual({
      code: 'server_error',
      message: 'internal error',
    });
  });

  it('keeps the code but hides messages that are not safe to expose', () => {
    expect(new ParleyError('server_error', 'postgres at 10.0.0.5 refused').toPublic()).toEqual({
      code: 'server_error',
      message: 'internal error',
    });
    expect(new ParleyError('dependency_unavailable', 'postgres at 10.0.0.5 refused').toPublic()).toEqual({
      code: 'dependency_unavailable',
      message: 'a service Parley depends on is unavailable; retry later',
    });
    expect(new ParleyError('not_found', 'thread t1 not found').toPublic()).toEqual({
      code: 'not_found',
      message: 'thread t1 not found',
    });
  });

  it('wraps foreign errors, keeping a registered code and the cause', () => {
    const foreign = Object.assign(new Error('refused'), { code: 'permission_denied' });
    expect(toParleyError(foreign)).toMatchObject({
      code: 'permission_denied',
      message: 'refused',
      cause: foreign,
    });
    expect(toParleyError(new Error('boom'))).toMatchObject({ code: 'server_error' });
    expect(toParleyError('text', 'dependency_unavailable')).toMatchObject({ code: 'dependency_unavailable' });
    const original = new ParleyError('not_found', 'gone');
    expect(toParleyError(original)).toBe(original);
    expect(isErrorCode('ECONNREFUSED')).toBe(false);
  });
});

describe('error code registry', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const documented = new Map(
    [...readme.matchAll(/^\|\s*`([a-z_]+)`\s*\|\s*(\d{3})\s*\|\s*([A-Z_]+)\s*\|\s*(yes|no)\s*\|/gm)].map(
      (m) => [m[1], { httpStatus: Number(m[2]), grpcStatus: m[3], retriable: m[4] === 'yes' }],
    ),
  );

  it('documents every code with its statuses, and nothing else', () => {
    expect([...documented.keys()].sort()).toEqual(Object.keys(errorCodes).sort());
    for (const [code, info] of Object.entries(errorCodes)) {
      expect(documented.get(code), code).toEqual({
        httpStatus: info.httpStatus,
        grpcStatus: info.grpcStatus,
        retriable: info.retriable,
      });
    }
  });
});
