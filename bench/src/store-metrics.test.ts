import { describe, expect, it } from 'vitest';
import { postmasterOf, type StatementCount, storeActivity } from './store-metrics.js';

const statement = (
  role: string,
  queryId: string,
  calls: number,
  query = `select ${queryId}`,
): StatementCount => ({
  role,
  queryId,
  query,
  calls,
});
const labels = { parley_auth: 'auth', parley_history: 'history' };

describe('storeActivity', () => {
  it('counts the statements run between two readings, by service, most frequent first', () => {
    const before = {
      source: 'pg_stat_statements' as const,
      statements: [statement('parley_auth', '1', 100), statement('parley_history', '2', 50)],
    };
    const after = {
      source: 'pg_stat_statements' as const,
      statements: [
        statement('parley_auth', '1', 130),
        statement('parley_history', '2', 50),
        statement('parley_history', '3', 40, 'insert into messages\n   values ($1)'),
        statement('baseline', '4', 20),
      ],
    };
    expect(storeActivity(before, after, labels)).toEqual({
      source: 'pg_stat_statements',
      counts: { auth: 30, history: 40, baseline: 20 },
      top: [
        { service: 'history', query: 'insert into messages values ($1)', calls: 40 },
        { service: 'auth', query: 'select 1', calls: 30 },
        { service: 'baseline', query: 'select 4', calls: 20 },
      ],
    });
  });

  it('counts the same statement of two roles apart, and nothing for one evicted and back', () => {
    const before = {
      source: 'pg_stat_statements' as const,
      statements: [statement('parley_auth', '1', 100), statement('parley_history', '1', 500)],
    };
    const after = {
      source: 'pg_stat_statements' as const,
      statements: [statement('parley_auth', '1', 101), statement('parley_history', '1', 3)],
    };
    expect(storeActivity(before, after, labels)?.counts).toEqual({ auth: 1 });
  });

  it('falls back to the database transactions', () => {
    expect(
      storeActivity(
        { source: 'pg_stat_database', transactions: 1000 },
        { source: 'pg_stat_database', transactions: 1600 },
        labels,
      ),
    ).toEqual({ source: 'pg_stat_database', counts: { database: 600 }, top: [] });
    expect(
      storeActivity(
        { source: 'pg_stat_database', transactions: 1 },
        { source: 'pg_stat_statements', statements: [] },
        labels,
      ),
    ).toBeUndefined();
  });
});

describe('postmasterOf', () => {
  const files: Record<string, string> = {
    '/proc/200/cmdline': 'postgres: parley parley 127.0.0.1(51234) SELECT\u0000\u0000',
    '/proc/200/stat':
      '200 (postgres) S 100 100 100 0 -1 4194560 5000 0 0 0 7 3 0 0 20 0 1 0 100 1000000 5000',
    '/proc/100/comm': 'postgres\n',
  };
  const readFile = (path: string) => {
    const text = files[path];
    if (text === undefined) throw new Error('ENOENT');
    return text;
  };

  it('finds the server as the parent of the backend that serves our connection', () => {
    expect(postmasterOf({ pid: 200, clientPort: 51234 }, readFile)).toBe(100);
  });

  it('gives undefined for a backend that is not a process of this machine', () => {
    expect(postmasterOf({ pid: 200, clientPort: 40000 }, readFile)).toBeUndefined();
    expect(postmasterOf({ pid: 300, clientPort: 51234 }, readFile)).toBeUndefined();
  });
});
