import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ParleyError } from '@parley/errors';
import type { StatementTiming } from '@parley/ops';
import {
  createExpirySweeper,
  createPostgresComponent,
  type Database,
  isUniqueViolation,
  migrateSchema,
  type PostgresComponent,
  type PostgresOptions,
  type SqlStatement,
  sql,
} from '@parley/postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dropSchema,
  randomSchema,
  rowsAtRest,
  type StoreService,
  serviceStore,
} from '../support/database.js';
import { startDedicatedPostgres } from '../support/dedicated-postgres.js';
import { testLogger, waitFor } from '../support/harness.js';

const logger = testLogger('postgres-test');
const migrateCommand = 'node services/test/dist/migrate.js';

/** A table under row-level security as every service table is, with expiring rows, and one without. */
const initialMigration = `-- Up Migration
create table notes (
  tenant_id text not null,
  note_id text not null,
  body text not null,
  expires_at timestamptz,
  primary key (tenant_id, note_id)
);
alter table notes enable row level security;
alter table notes force row level security;
create policy tenant_isolation on notes
  using (tenant_id = current_setting('parley.tenant_id', true))
  with check (tenant_id = current_setting('parley.tenant_id', true));
create policy expiry_sweep on notes for all
  using (current_setting('parley.maintenance', true) = 'on' and expires_at < now());

-- Looked up by a key unique across tenants, so without row-level security.
create table key_index (key_id text primary key, tenant_id text not null);

-- Down Migration
drop table key_index;
drop table notes;
`;

const folders: string[] = [];

/** A folder of migrations written for one test. */
function migrationsFolder(files: Record<string, string> = { '0001_initial.sql': initialMigration }): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-migrations-'));
  folders.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const components: PostgresComponent[] = [];
const schemas = new Set<string>();

type StoreOptions = Partial<Omit<PostgresOptions, 'migrations'>> & { schema?: string; dir?: string };

/** A component as a service makes it: the service's own role, a fresh schema unless given. */
function storeFor(service: StoreService, options: StoreOptions = {}) {
  const { schema = randomSchema(service), dir = migrationsFolder(), ...overrides } = options;
  const { DATABASE_URL: url } = serviceStore(service, schema);
  schemas.add(schema);
  const component = createPostgresComponent({
    url,
    migrations: { schema, dir },
    migrationMode: 'apply',
    migrateCommand,
    appName: 'parley-postgres-test',
    logger,
    ...overrides,
  });
  components.push(component);
  return { component, schema, url, dir };
}

async function startedStore(service: StoreService = 'history', options: StoreOptions = {}) {
  const store = storeFor(service, options);
  await store.component.start();
  return { ...store, db: store.component.database() };
}

/** A statement naming another schema: tests only (services never leave their own schema). */
function inSchema(schema: string, text: string): SqlStatement {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`not a schema: ${schema}`);
  return sql(Object.assign([text.replaceAll('$schema', schema)], { raw: [text] }) as TemplateStringsArray);
}

const pastHour = new Date(Date.now() - 3_600_000);
const nextHour = new Date(Date.now() + 3_600_000);

async function seedNotes(db: Database) {
  for (const tenant of ['a', 'b']) {
    await db.forTenant(tenant).transaction('seed notes', async (tx) => {
      await tx.query(
        'insert live note',
        sql`insert into notes values (${tenant}, 'live', ${`${tenant} live`}, ${nextHour})`,
      );
      await tx.query(
        'insert expired note',
        sql`insert into notes values (${tenant}, 'expired', ${`${tenant} expired`}, ${pastHour})`,
      );
      await tx.query(
        'insert lasting note',
        sql`insert into notes values (${tenant}, 'lasting', 'no expiry', null)`,
      );
    });
  }
}

afterAll(async () => {
  for (const component of components) await component.stop().catch(() => {});
  for (const schema of schemas) await dropSchema(schema);
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

describe('row-level security: the tenant wall', () => {
  let db: Database;
  beforeAll(async () => {
    ({ db } = await startedStore());
    await seedNotes(db);
  });

  it('shows a statement without a tenant filter only the rows of its own tenant', async () => {
    const rows = await db
      .forTenant('a')
      .query<{ tenant_id: string; note_id: string }>(
        'list notes',
        sql`select tenant_id, note_id from notes order by note_id`,
      );
    expect(rows).toEqual([
      { tenant_id: 'a', note_id: 'expired' },
      { tenant_id: 'a', note_id: 'lasting' },
      { tenant_id: 'a', note_id: 'live' },
    ]);
    // Asking for another tenant's rows by name finds nothing either.
    expect(await db.forTenant('a').query('read b', sql`select * from notes where tenant_id = 'b'`)).toEqual(
      [],
    );
  });

  it("refuses to write another tenant's row, and to move a row to another tenant", async () => {
    await expect(
      db.forTenant('a').query('insert for b', sql`insert into notes values ('b', 'planted', 'x', null)`),
    ).rejects.toMatchObject({ code: 'permission_denied', retriable: false, context: { sqlState: '42501' } });
    await expect(
      db.forTenant('a').query('move to b', sql`update notes set tenant_id = 'b' where note_id = 'live'`),
    ).rejects.toMatchObject({ code: 'permission_denied' });
    await expect(
      db
        .forTenant('a')
        .query(
          'upsert into b',
          sql`insert into notes values ('b', 'live', 'x', null) on conflict do nothing`,
        ),
    ).rejects.toMatchObject({ code: 'permission_denied' });
  });

  it("updates and deletes without a tenant filter touch only the tenant's own rows", async () => {
    const updated = await db
      .forTenant('a')
      .query(
        'touch all',
        sql`update notes set body = body || '!' where note_id = 'lasting' returning tenant_id`,
      );
    expect(updated).toEqual([{ tenant_id: 'a' }]);
    expect(
      await db.forTenant('a').query('delete b', sql`delete from notes where tenant_id = 'b' returning 1`),
    ).toEqual([]);
    const [bLasting] = await db
      .forTenant('b')
      .query<{ body: string }>('read b', sql`select body from notes where note_id = 'lasting'`);
    expect(bLasting?.body).toBe('no expiry');
  });

  it('shows no row of a table under row-level security outside a tenant, and lets nothing in', async () => {
    expect(await db.global.query('list all notes', sql`select * from notes`)).toEqual([]);
    await expect(
      db.global.query('insert without tenant', sql`insert into notes values ('a', 'stray', 'x', null)`),
    ).rejects.toMatchObject({ code: 'permission_denied' });
    // Tables without row-level security are what `global` is for.
    await db.global.query('index key', sql`insert into key_index values (${'k1'}, ${'a'})`);
    expect(
      await db.global.query('find key', sql`select tenant_id from key_index where key_id = ${'k1'}`),
    ).toEqual([{ tenant_id: 'a' }]);
  });

  it('lets maintenance see and delete only expired rows, of every tenant', async () => {
    const visible = await db.maintenance.query<{ tenant_id: string; note_id: string }>(
      'list',
      sql`select tenant_id, note_id from notes order by tenant_id`,
    );
    expect(visible).toEqual([
      { tenant_id: 'a', note_id: 'expired' },
      { tenant_id: 'b', note_id: 'expired' },
    ]);
    const sweeper = createExpirySweeper({
      db,
      logger,
      sweeps: [
        {
          operation: 'sweep notes',
          // No filter at all: the policy alone keeps live rows out of reach.
          statement: sql`delete from notes where ctid in (select ctid from notes limit 1) returning 1`,
          batchSize: 1,
        },
      ],
    });
    expect(await sweeper.sweepOnce()).toBe(2);
    const left = await db
      .forTenant('b')
      .query<{ note_id: string }>('list b', sql`select note_id from notes order by 1`);
    expect(left.map((row) => row.note_id)).toEqual(['lasting', 'live']);
  });

  it('refuses an empty tenant', () => {
    expect(() => db.forTenant('')).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
  });

  it('does not leak a tenant to the next statement on the same connection', async () => {
    const { db: single } = await startedStore('history', { maxConnections: 1 });
    await single.forTenant('a').query('insert', sql`insert into notes values ('a', 'n1', 'x', null)`);
    const [setting] = await single.global.query<{ tenant: string | null }>(
      'tenant after commit',
      sql`select current_setting('parley.tenant_id', true) as tenant`,
    );
    expect(setting?.tenant ?? '').toBe('');
    expect(await single.global.query('list', sql`select * from notes`)).toEqual([]);
    await expect(
      single.forTenant('a').transaction('fails', async (tx) => {
        await tx.query('insert', sql`insert into notes values ('a', 'n2', 'x', null)`);
        await tx.query('break', sql`select 1 / 0`);
      }),
    ).rejects.toMatchObject({ code: 'invalid_argument', context: { sqlState: '22012' } });
    expect(await single.global.query('list', sql`select * from notes`)).toEqual([]);
    const kept = await single
      .forTenant('a')
      .query<{ note_id: string }>('list', sql`select note_id from notes`);
    expect(kept.map((row) => row.note_id)).toEqual(['n1']); // n2 was rolled back
  });
});

describe('one round trip per tenant statement', () => {
  it('sends the tenant with the statement, and a statement that failed to prepare is prepared again', async () => {
    const { db: single } = await startedStore('history', { maxConnections: 1 });
    const later = sql`select count(*)::integer as notes from later_notes`;
    // In a transaction, so that the one connection is kept after the error (the pool discards a
    // connection whose single statement failed). The table does not exist yet: preparing fails.
    const count = () =>
      single.forTenant('a').transaction('count', (tx) => tx.query('count later notes', later));
    await expect(count()).rejects.toMatchObject({ code: 'store_failed', context: { sqlState: '42P01' } });
    await single.global.query('create table', sql`create table later_notes (tenant_id text not null)`);
    // The same statement on the same connection: prepared again, not taken for prepared.
    expect(await count()).toEqual([{ notes: 0 }]);
    const [seen] = await single
      .forTenant('tenant-x')
      .query<{ tenant: string }>('setting', sql`select current_setting('parley.tenant_id') as tenant`);
    expect(seen?.tenant).toBe('tenant-x');
  });

  it('keeps a statement prepared whose first execution failed, in a transaction and alone', async () => {
    const { db: single } = await startedStore('history', { maxConnections: 1 });
    const insert = (noteId: string) => sql`insert into notes values ('a', ${noteId}, 'x', null)`;
    // The row exists already, written by another statement: `insert` itself is not prepared yet.
    await single
      .forTenant('a')
      .query('seed', sql`insert into notes (tenant_id, note_id, body) values ('a', 'dup', 'x')`);
    // First use of the statement on this connection inside a transaction: parsed, then refused.
    const again = () =>
      single.forTenant('a').transaction('insert note', (tx) => tx.query('insert note', insert('dup')));
    await expect(again()).rejects.toMatchObject({ code: 'already_exists' });
    await expect(again()).rejects.toMatchObject({ code: 'already_exists' });
    await expect(single.forTenant('a').query('insert note', insert('dup'))).rejects.toMatchObject({
      code: 'already_exists',
    });
    await single.forTenant('a').transaction('insert note', (tx) => tx.query('insert note', insert('new')));
    const notes = await single
      .forTenant('a')
      .query<{ note_id: string }>('list', sql`select note_id from notes order by note_id`);
    expect(notes.map((row) => row.note_id)).toEqual(['dup', 'new']);
  });

  it('keeps the connection after a statement the server refused, and retires it after a lost one', async () => {
    const { db: single } = await startedStore('history', { maxConnections: 1 });
    const backend = sql`select pg_backend_pid() as pid`;
    const [before] = await single.global.query<{ pid: number }>('pid', backend);
    await expect(single.global.query('divide', sql`select 1 / 0`)).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    const [after] = await single.global.query<{ pid: number }>('pid', backend);
    expect(after?.pid).toBe(before?.pid);
    await expect(
      single.global.query('end own session', sql`select pg_terminate_backend(pg_backend_pid())`),
    ).rejects.toMatchObject({ code: 'dependency_unavailable' });
    const [next] = await single.global.query<{ pid: number }>('pid', backend);
    expect(next?.pid).not.toBe(before?.pid);
  });

  it('commits nothing of a statement that fails, and keeps the connection usable', async () => {
    const { db: single } = await startedStore('history', { maxConnections: 1 });
    await expect(
      single
        .forTenant('a')
        .query('insert then fail', sql`insert into notes select 'a', 'n1', (1 / 0)::text, null`),
    ).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(await single.forTenant('a').query('list', sql`select note_id from notes`)).toEqual([]);
  });
});

describe('statement timing', () => {
  it('tells the observer of every statement, alone and in a transaction, with its operation and outcome', async () => {
    const timings: StatementTiming[] = [];
    const { db } = await startedStore('history', { statements: { statement: (t) => timings.push(t) } });
    await db.forTenant('a').query('insert note', sql`insert into notes values ('a', 'n1', 'x', null)`);
    await db.forTenant('a').transaction('two notes', async (tx) => {
      await tx.query('insert second note', sql`insert into notes values ('a', 'n2', 'y', null)`);
      await tx.query('count notes', sql`select count(*) from notes`);
    });
    await expect(
      db.forTenant('a').query('insert duplicate note', sql`insert into notes values ('a', 'n1', 'z', null)`),
    ).rejects.toMatchObject({ code: 'already_exists' });

    expect(timings.map(({ operation, outcome }) => [operation, outcome])).toEqual([
      ['insert note', 'ok'],
      ['insert second note', 'ok'],
      ['count notes', 'ok'],
      ['insert duplicate note', 'error'],
    ]);
    for (const { seconds } of timings) expect(seconds).toBeGreaterThan(0);
  });
});

describe('errors as codes, from the real server', () => {
  let db: Database;
  beforeAll(async () => {
    ({ db } = await startedStore('history', { statementTimeoutMs: 200 }));
  });

  it('reports a duplicate key as already_exists that isUniqueViolation recognises', async () => {
    await db.forTenant('a').query('insert', sql`insert into notes values ('a', 'dup', 'x', null)`);
    const error = await db
      .forTenant('a')
      .query('insert again', sql`insert into notes values ('a', 'dup', 'y', null)`)
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'already_exists', context: { constraint: 'notes_pkey' } });
    expect(isUniqueViolation(error, 'notes_pkey')).toBe(true);
    expect(isUniqueViolation(error, 'other_key')).toBe(false);
  });

  it('reports text PostgreSQL cannot hold as invalid_argument', async () => {
    await expect(
      db.forTenant('a').query('insert NUL', sql`insert into notes values ('a', 'nul', ${'a\u0000b'}, null)`),
    ).rejects.toMatchObject({ code: 'invalid_argument', retriable: false });
  });

  it('cancels a statement over its timeout as a retriable dependency_unavailable, and keeps working', async () => {
    const error = await db
      .forTenant('a')
      .query('sleep', sql`select pg_sleep(2)`)
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: 'dependency_unavailable',
      retriable: true,
      context: { operation: 'sleep', sqlState: '57014' },
    });
    expect(await db.global.query('sleep', sql`select pg_sleep(2)`).catch((caught) => caught)).toMatchObject({
      code: 'dependency_unavailable',
    });
    expect(await db.forTenant('a').query('after', sql`select 1 as one`)).toEqual([{ one: 1 }]);
  });
});

describe('roles: each service reaches only its own schema', () => {
  it("keeps history's role out of auth's tables, even with auth's schema as its own", async () => {
    const auth = await startedStore('auth', {
      dir: migrationsFolder({
        '0001_initial.sql': `-- Up Migration
create table credentials (tenant_id text, customer_key text, sealed_refresh_token text, primary key (tenant_id, customer_key));
-- Down Migration
drop table credentials;
`,
      }),
    });
    await auth.db.global.query('store', sql`insert into credentials values ('a', 'c1', 'sealed')`);

    const { db: history } = await startedStore('history');
    await expect(
      history.global.query('read auth', inSchema(auth.schema, 'select * from $schema.credentials')),
    ).rejects.toMatchObject({ code: 'permission_denied', context: { sqlState: '42501' } });
    await expect(
      history.forTenant('a').query('read auth', inSchema(auth.schema, 'select * from $schema.credentials')),
    ).rejects.toMatchObject({ code: 'permission_denied' });
    await expect(
      history.global.query('drop auth', inSchema(auth.schema, 'drop table $schema.credentials')),
    ).rejects.toMatchObject({ code: 'permission_denied' });

    // Pointed at auth's schema, history's role cannot even start (nor migrate there).
    const intruder = storeFor('history', { schema: auth.schema, migrationMode: 'verify' });
    await expect(intruder.component.start()).rejects.toMatchObject({ code: 'permission_denied' });
    const migrating = storeFor('history', { schema: auth.schema });
    await expect(migrating.component.start()).rejects.toMatchObject({ code: 'invalid_config' });
  });

  const authMigrations = fileURLToPath(new URL('../../services/auth/migrations/', import.meta.url));
  it("keeps history's role out of every table of auth's real migrations", async () => {
    const schema = randomSchema('auth');
    schemas.add(schema);
    await migrateSchema({
      url: serviceStore('auth', schema).DATABASE_URL,
      migrations: { schema, dir: authMigrations },
      appName: 'parley-postgres-test',
      logger,
    });
    const tables = await rowsAtRest<{ tablename: string }>(
      'select tablename from pg_tables where schemaname = $1 order by 1',
      [schema],
    );
    expect(tables.map((row) => row.tablename)).toContain('credentials');
    const { db: history } = await startedStore('history');
    for (const { tablename } of tables) {
      await expect(
        history.global.query('read auth', inSchema(schema, `select * from $schema.${tablename}`)),
        tablename,
      ).rejects.toMatchObject({ code: 'permission_denied' });
    }
  });
});

describe('migrations', () => {
  const second = `-- Up Migration
alter table notes add column pinned boolean not null default false;
-- Down Migration
alter table notes drop column pinned;
`;

  it('applies each migration once; a re-run is a no-op', async () => {
    const store = storeFor('history');
    const migrations = { schema: store.schema, dir: store.dir };
    const migrate = () =>
      migrateSchema({ url: store.url, migrations, appName: 'parley-migrate-test', logger });
    expect(await migrate()).toEqual(['0001_initial']);
    expect(await migrate()).toEqual([]);
    await store.component.start();
    expect(await store.component.isReady()).toBe(true);
  });

  it('applies each migration once when four pods start at once on a fresh schema', async () => {
    const schema = randomSchema('history');
    // Neither migration may run twice: `create table` and `add column` fail the second time.
    const dir = migrationsFolder({ '0001_initial.sql': initialMigration, '0002_pinned.sql': second });
    const pods = Array.from({ length: 4 }, () => storeFor('history', { schema, dir }).component);
    await Promise.all(pods.map((pod) => pod.start()));
    const applied = await rowsAtRest<{ name: string }>(`select name from ${schema}.pgmigrations order by id`);
    expect(applied.map((row) => row.name)).toEqual(['0001_initial', '0002_pinned']);
    for (const pod of pods) expect(await pod.isReady()).toBe(true);
  });

  it('refuses to start against an older schema, naming the missing migration and the command', async () => {
    const { schema, dir } = await startedStore('history');
    writeFileSync(join(dir, '0002_pinned.sql'), second);
    const pod = storeFor('history', { schema, dir, migrationMode: 'verify' });
    const error = await pod.component.start().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'invalid_config', context: { schema, missing: ['0002_pinned'] } });
    expect((error as Error).message).toBe(
      `database schema "${schema}" lacks migration(s) 0002_pinned that this version needs: run \`${migrateCommand}\` (the migration step) before starting it`,
    );
    expect(await pod.component.isReady()).toBe(false);

    // After the migration step the same pod starts; a schema newer than the code is fine too.
    await storeFor('history', { schema, dir }).component.start();
    await pod.component.start();
    await storeFor('history', { schema, migrationMode: 'verify' }).component.start();
  });

  it('refuses a migration out of order as invalid_config', async () => {
    const { schema, dir } = await startedStore('history');
    writeFileSync(
      join(dir, '0000_early.sql'),
      '-- Up Migration\ncreate table early (id int);\n-- Down Migration\n',
    );
    await expect(storeFor('history', { schema, dir }).component.start()).rejects.toMatchObject({
      code: 'invalid_config',
      message: expect.stringContaining('0000_early'),
    });
  });

  it('refuses a migration the server rejects as invalid_config, applying none of the pending ones', async () => {
    const pod = storeFor('history', {
      dir: migrationsFolder({
        '0001_initial.sql': initialMigration,
        '0002_broken.sql':
          '-- Up Migration\ncreate table half (id int);\nselect no_such_function();\n-- Down Migration\n',
      }),
    });
    await expect(pod.component.start()).rejects.toMatchObject({
      code: 'invalid_config',
      message: expect.stringContaining('no_such_function'),
    });
    expect(await rowsAtRest(`select name from ${pod.schema}.pgmigrations`)).toEqual([]);
    expect(
      await rowsAtRest<{ found: string | null }>('select to_regclass($1) as found', [`${pod.schema}.notes`]),
    ).toEqual([{ found: null }]);
  });
});

describe('faults: a dedicated server stops mid-run and comes back', () => {
  let server: Awaited<ReturnType<typeof startDedicatedPostgres>> | undefined;
  let store: PostgresComponent;
  const dir = migrationsFolder();
  const options = (url: string): PostgresOptions => ({
    url,
    migrations: { schema: 'faults', dir },
    migrationMode: 'apply',
    migrateCommand,
    appName: 'parley-faults-test',
    logger,
    connectTimeoutMs: 1000,
  });

  beforeAll(async () => {
    server = await startDedicatedPostgres();
    store = createPostgresComponent(options(server.serviceUrl('history')));
    await store.start();
  }, 120_000);

  afterAll(async () => {
    await store?.stop();
    await server?.remove();
  });

  /** Whether a statement like `pattern` runs on the server now (read as the superuser). */
  async function running(pattern: string): Promise<boolean> {
    const admin = new pg.Client({ connectionString: server?.adminUrl });
    admin.on('error', () => {});
    await admin.connect();
    try {
      const result = await admin.query(
        "select 1 from pg_stat_activity where state = 'active' and query like $1 and pid <> pg_backend_pid()",
        [pattern],
      );
      return (result.rowCount ?? 0) > 0;
    } finally {
      await admin.end();
    }
  }

  it('turns not ready and answers dependency_unavailable while down, and recovers without a restart', async () => {
    const db = store.database();
    expect(await store.isReady()).toBe(true);
    await db.forTenant('a').query('insert', sql`insert into notes values ('a', 'before', 'kept', null)`);

    const inFlight = db
      .forTenant('a')
      .query('slow read', sql`select pg_sleep(3)`)
      .catch((caught: unknown) => caught);
    await waitFor('the slow statement to run', () => running('select pg_sleep%'));
    await server?.stop();

    const interrupted = await inFlight;
    expect(interrupted).toBeInstanceOf(ParleyError);
    expect(interrupted).toMatchObject({ code: 'dependency_unavailable', retriable: true });
    expect(await store.isReady()).toBe(false);
    const attempts: Promise<unknown>[] = [
      db.forTenant('a').query('read', sql`select * from notes`),
      db
        .forTenant('a')
        .transaction('write', (tx) =>
          tx.query('insert', sql`insert into notes values ('a', 'x', 'x', null)`),
        ),
      db.global.query('read', sql`select * from key_index`),
      db.maintenance.query('sweep', sql`delete from notes returning 1`),
    ];
    for (const attempt of attempts) {
      const error = await attempt.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ParleyError);
      expect(error).toMatchObject({ code: 'dependency_unavailable', retriable: true });
    }
    // A pod starting meanwhile fails to start with the same code, to be restarted.
    const starting = createPostgresComponent(options(server?.serviceUrl('history') ?? ''));
    await expect(starting.start()).rejects.toMatchObject({ code: 'dependency_unavailable' });

    await server?.start();
    await waitFor('the store to be ready again', () => store.isReady(), {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    const rows = await db.forTenant('a').query<{ note_id: string }>('read', sql`select note_id from notes`);
    expect(rows).toEqual([{ note_id: 'before' }]);
    await db.forTenant('a').query('insert', sql`insert into notes values ('a', 'after', 'x', null)`);
  });

  it('fails a transaction whose connection drops between two statements, without an unhandled error', async () => {
    const db = store.database();
    await waitFor('the store to be ready', () => store.isReady());
    const error = await db
      .forTenant('a')
      .transaction('two statements', async (tx) => {
        await tx.query('first', sql`insert into notes values ('a', 'lost', 'x', null)`);
        await server?.stop(); // the connection drops while the transaction holds it, idle
        await tx.query('second', sql`select 1`);
      })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'dependency_unavailable', retriable: true });
    await server?.start();
    await waitFor('the store to be ready again', () => store.isReady(), {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    // Never committed: the first insert is gone with the connection.
    expect(await db.forTenant('a').query('read', sql`select 1 from notes where note_id = 'lost'`)).toEqual(
      [],
    );
  });
});
