import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@parley/logger';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresComponent, type PostgresOptions } from './postgres-component.js';

const logger = createLogger({ service: 'test', version: 'test', level: 'silent' });

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function migrationsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-migrations-'));
  dirs.push(dir);
  writeFileSync(
    join(dir, '0001_initial.sql'),
    '-- Up Migration\ncreate table t (id int);\n-- Down Migration\n',
  );
  return dir;
}

function component(overrides: Partial<PostgresOptions> = {}) {
  return createPostgresComponent({
    // Nothing listens on port 1: the connection is refused at once.
    url: 'postgres://parley_test@127.0.0.1:1/parley',
    migrations: { schema: 'test', dir: migrationsDir() },
    migrationMode: 'apply',
    migrateCommand: 'node services/test/dist/migrate.js',
    appName: 'parley-test',
    logger,
    connectTimeoutMs: 1000,
    ...overrides,
  });
}

describe('postgres component without a server', () => {
  it.each(['apply', 'verify'] as const)(
    'fails to start (%s) with a retriable dependency_unavailable',
    async (mode) => {
      const store = component({ migrationMode: mode });
      await expect(store.start()).rejects.toMatchObject({ code: 'dependency_unavailable', retriable: true });
      expect(await store.isReady()).toBe(false);
      await store.stop();
    },
  );

  it('reports a refused localhost (every address tried) the same way', async () => {
    const store = component({ url: 'postgres://parley_test@localhost:1/parley' });
    await expect(store.start()).rejects.toMatchObject({ code: 'dependency_unavailable' });
  });

  it('is not ready, and has no database, before start; stop is harmless', async () => {
    const store = component();
    expect(await store.isReady()).toBe(false);
    expect(() => store.database()).toThrow(/not started/);
    await expect(store.stop()).resolves.toBeUndefined();
  });

  it('refuses a missing migrations folder before connecting', async () => {
    const store = component({ migrations: { schema: 'test', dir: join(tmpdir(), 'parley-no-such-folder') } });
    await expect(store.start()).rejects.toMatchObject({
      code: 'invalid_config',
      message: expect.stringContaining('parley-no-such-folder'),
    });
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    const store = component({
      migrationMode: 'verify',
      migrations: { schema: 'auth; drop', dir: migrationsDir() },
    });
    await expect(store.start()).rejects.toMatchObject({ code: 'invalid_config' });
  });
});
