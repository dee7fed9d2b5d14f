// @ts-check
// History's hot path on PostgreSQL, with the clients and the tenant wall compared: per message a
// point read (the session), the thread's next `seq` (an update … returning) and the message insert
// under two unique keys, in one transaction, by 16 concurrent writers over 50 threads. Run by hand
// (it starts a PostgreSQL server of its own, so that the server CPU it reports is this work's only):
//
//   npx turbo run build --filter=@parley/postgres
//   node libs/postgres/scripts/hot-path-bench.mjs [--seconds 10] [--rounds 1]
//
// postgres.js is measured too when it can be imported; it is not a dependency of Parley, so install
// it aside: `npm install --no-save --prefix /tmp/pgjs postgres@3.4.9`, then
// `POSTGRES_JS=/tmp/pgjs/node_modules/postgres/src/index.js node libs/postgres/scripts/hot-path-bench.mjs`.
//
// Server CPU is read from /proc: the postmaster's own and reaped children's time plus every live
// child's (backends, WAL writer, checkpointer, autovacuum), before and after each run.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '@parley/logger';
import { createPool, createPostgresComponent, sql } from '@parley/postgres';
import pg from 'pg';
import {
  bootstrapParleyDatabase,
  ensurePostgres,
  serviceDatabaseUrl,
  stopPostgres,
} from '../../../scripts/infra/postgres.mjs';
import { infraSettings } from '../../../scripts/infra/settings.mjs';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '1' },
    writers: { type: 'string', default: '16' },
  },
});
const seconds = Number(args.seconds);
const rounds = Number(args.rounds);
const writers = Number(args.writers);
const tenants = ['tenant-a', 'tenant-b'];
const threadsPerTenant = 25; // 50 threads in all
const body = 'x'.repeat(200);
const logger = createLogger({ service: 'hot-path-bench', version: 'bench', level: 'warn' });

/** @param {boolean} rls */
function migration(rls) {
  const tables = ['sessions', 'threads', 'messages'];
  const wall = rls
    ? tables
        .map(
          (table) => `alter table ${table} enable row level security;
alter table ${table} force row level security;
create policy tenant_isolation on ${table}
  using (tenant_id = current_setting('parley.tenant_id', true))
  with check (tenant_id = current_setting('parley.tenant_id', true));`,
        )
        .join('\n')
    : '';
  return `-- Up Migration
create table sessions (tenant_id text not null, session_id text not null, thread_id text not null,
  expires_at timestamptz not null, primary key (tenant_id, session_id));
create table threads (tenant_id text not null, thread_id text not null, last_seq bigint not null,
  primary key (tenant_id, thread_id));
create table messages (tenant_id text not null, thread_id text not null, seq bigint not null,
  message_id text not null, body text not null, created_at timestamptz not null,
  primary key (tenant_id, thread_id, seq), unique (tenant_id, thread_id, message_id));
${wall}
-- Down Migration
`;
}

/** @param {string} parent @param {string} schema @param {boolean} rls */
function migrationsDir(parent, schema, rls) {
  const dir = join(parent, `migrations-${schema}`);
  mkdirSync(dir);
  writeFileSync(join(dir, '0001_initial.sql'), migration(rls));
  return dir;
}

const ticksPerSecond = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU seconds of the server: the postmaster (with its reaped children) and every live child. @param {number} postmaster */
function serverCpuSeconds(postmaster) {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    const [utime = 0, stime = 0, cutime = 0, cstime = 0] = fields.slice(11, 15).map(Number);
    if (Number(entry) === postmaster) ticks += utime + stime + cutime + cstime;
    else if (ppid === postmaster) ticks += utime + stime;
  }
  return ticks / ticksPerSecond;
}

/**
 * The hot path through the library: three statements in one tenant transaction.
 * @param {import('@parley/postgres').Database} db @param {string} tenant @param {string} session @param {string} messageId
 */
function storeThreeStatements(db, tenant, session, messageId) {
  return db.forTenant(tenant).transaction('store message', async (tx) => {
    const [found] = await tx.query(
      'find session',
      sql`select thread_id from sessions where tenant_id = ${tenant} and session_id = ${session} and expires_at > now()`,
    );
    const [thread] = await tx.query(
      'next seq',
      sql`update threads set last_seq = last_seq + 1 where tenant_id = ${tenant} and thread_id = ${found?.thread_id} returning last_seq`,
    );
    await tx.query(
      'insert message',
      sql`insert into messages values (${tenant}, ${found?.thread_id}, ${thread?.last_seq}, ${messageId}, ${body}, now())`,
    );
  });
}

/** @param {number[]} sorted @param {number} q */
const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

/**
 * 16 writers storing messages until the deadline.
 * @param {(tenant: string, session: string, messageId: string) => Promise<void>} store
 * @param {number} durationMs
 */
async function drive(store, durationMs) {
  /** @type {number[]} */
  const latencies = [];
  const deadline = Date.now() + durationMs;
  let failures = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (Date.now() < deadline) {
        const tenant = tenants[Math.floor(Math.random() * tenants.length)] ?? 'tenant-a';
        const session = `s${Math.floor(Math.random() * threadsPerTenant)}`;
        const started = performance.now();
        try {
          await store(tenant, session, randomBytes(8).toString('hex'));
          latencies.push(performance.now() - started);
        } catch (error) {
          failures += 1;
          if (failures === 1) console.error(error);
        }
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), failures };
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-pg-'));
  chmodSync(dataDir, 0o755); // reachable by the unprivileged user the server runs as under root
  const settings = infraSettings({
    PARLEY_INFRA_DATA_DIR: dataDir,
    PARLEY_POSTGRES_PORT: process.env.BENCH_PG_PORT || '35433',
  });
  const server = await ensurePostgres(settings);
  const cleanups = [
    async () => {
      await stopPostgres(settings);
      rmSync(readFileSync(join(dataDir, 'postgres', 'data-dir'), 'utf8').trim(), {
        recursive: true,
        force: true,
      });
      rmSync(dataDir, { recursive: true, force: true });
    },
  ];
  try {
    await bootstrapParleyDatabase(server.url);
    const url = serviceDatabaseUrl(server.url, 'history'); // a service role: superusers bypass row-level security
    const adminUrl = new URL(server.url);
    adminUrl.pathname = '/parley';
    const admin = new pg.Client({ connectionString: adminUrl.toString() });
    await admin.connect();
    cleanups.unshift(() => admin.end());

    const component = (/** @type {string} */ schema, /** @type {boolean} */ rls) =>
      createPostgresComponent({
        url,
        migrations: { schema, dir: migrationsDir(dataDir, schema, rls) },
        migrationMode: 'apply',
        migrateCommand: 'none',
        appName: `bench-${schema}`,
        logger,
        maxConnections: writers,
      });
    const withWall = component('bench_rls', true);
    const withoutWall = component('bench_plain', false);
    await withWall.start();
    await withoutWall.start();
    cleanups.unshift(
      () => withWall.stop(),
      () => withoutWall.stop(),
    );
    const db = withWall.database();
    const plainPool = createPool({
      url,
      schema: 'bench_plain',
      appName: 'bench-plain-pg',
      maxConnections: writers,
    });
    // pool.end() resolves before the sockets close: the server's goodbye at its stop must not crash us.
    plainPool.on('error', () => {});
    cleanups.unshift(() => plainPool.end());

    /** Empty messages, seq back to 0, 50 threads and sessions. @param {string} schema */
    async function reset(schema) {
      await admin.query(`truncate ${schema}.messages, ${schema}.threads, ${schema}.sessions`);
      for (const tenant of tenants) {
        for (let n = 0; n < threadsPerTenant; n += 1) {
          await admin.query(`insert into ${schema}.threads values ($1, $2, 0)`, [tenant, `t${n}`]);
          await admin.query(`insert into ${schema}.sessions values ($1, $2, $3, now() + interval '1 day')`, [
            tenant,
            `s${n}`,
            `t${n}`,
          ]);
        }
      }
      await admin.query(`vacuum analyze ${schema}.messages, ${schema}.threads, ${schema}.sessions`);
      await admin.query('checkpoint');
    }

    /** @type {Record<string, { schema: string, roundTrips: number, store: (tenant: string, session: string, messageId: string) => Promise<void> }>} */
    const variants = {
      'pg, forTenant (RLS on), 3 statements': {
        schema: 'bench_rls',
        roundTrips: 5, // begin, read, update, insert (each with its set_config), commit
        store: (tenant, session, messageId) => storeThreeStatements(db, tenant, session, messageId),
      },
      'pg, no tenant transaction, no RLS, 3 statements': {
        schema: 'bench_plain',
        roundTrips: 5, // begin, read, update, insert, commit
        async store(tenant, session, messageId) {
          const client = await plainPool.connect();
          try {
            await client.query('begin');
            const found = await client.query({
              name: 'plain_find',
              text: 'select thread_id from sessions where tenant_id = $1 and session_id = $2 and expires_at > now()',
              values: [tenant, session],
            });
            const threadId = found.rows[0]?.thread_id;
            const thread = await client.query({
              name: 'plain_seq',
              text: 'update threads set last_seq = last_seq + 1 where tenant_id = $1 and thread_id = $2 returning last_seq',
              values: [tenant, threadId],
            });
            await client.query({
              name: 'plain_insert',
              text: 'insert into messages values ($1, $2, $3, $4, $5, now())',
              values: [tenant, threadId, thread.rows[0]?.last_seq, messageId, body],
            });
            await client.query('commit');
          } catch (error) {
            await client.query('rollback').catch(() => {});
            throw error;
          } finally {
            client.release();
          }
        },
      },
      'pg, forTenant on tables without RLS, 3 statements': {
        schema: 'bench_plain',
        roundTrips: 5, // the tenant transaction's set_config without the policies: what each costs
        store: (tenant, session, messageId) =>
          storeThreeStatements(withoutWall.database(), tenant, session, messageId),
      },
      'pg, no RLS, 1 statement': {
        schema: 'bench_plain',
        roundTrips: 1,
        store: async (tenant, session, messageId) => {
          await plainPool.query({
            name: 'plain_one',
            text: `with found as (
                  select thread_id from sessions where tenant_id = $1 and session_id = $2 and expires_at > now()
                ), bumped as (
                  update threads set last_seq = last_seq + 1
                  where tenant_id = $1 and thread_id = (select thread_id from found) returning thread_id, last_seq
                )
                insert into messages select $1, thread_id, last_seq, $3, $4, now() from bumped`,
            values: [tenant, session, messageId, body],
          });
        },
      },
      'pg, forTenant (RLS on), 1 statement': {
        schema: 'bench_rls',
        roundTrips: 1, // the setting travels in the statement's batch
        store: async (tenant, session, messageId) => {
          await db.forTenant(tenant).query(
            'store message',
            sql`with found as (
                  select thread_id from sessions where tenant_id = ${tenant} and session_id = ${session} and expires_at > now()
                ), bumped as (
                  update threads set last_seq = last_seq + 1
                  where tenant_id = ${tenant} and thread_id = (select thread_id from found) returning thread_id, last_seq
                )
                insert into messages select ${tenant}, thread_id, last_seq, ${messageId}, ${body}, now() from bumped`,
          );
        },
      },
    };

    if (process.env.POSTGRES_JS) {
      const { default: postgres } = await import(process.env.POSTGRES_JS);
      const js = postgres(url, {
        max: writers,
        connection: { search_path: 'bench_rls', application_name: 'bench-postgres-js' },
        onnotice: () => {},
      });
      cleanups.unshift(() => js.end());
      variants['postgres.js 3.4.9, tenant transaction (RLS on), 3 statements'] = {
        schema: 'bench_rls',
        roundTrips: 6,
        store: (tenant, session, messageId) =>
          js.begin(async (/** @type {any} */ tx) => {
            await tx`select set_config('parley.tenant_id', ${tenant}, true)`;
            const [found] =
              await tx`select thread_id from sessions where tenant_id = ${tenant} and session_id = ${session} and expires_at > now()`;
            const [thread] =
              await tx`update threads set last_seq = last_seq + 1 where tenant_id = ${tenant} and thread_id = ${found.thread_id} returning last_seq`;
            await tx`insert into messages values (${tenant}, ${found.thread_id}, ${thread.last_seq}, ${messageId}, ${body}, now())`;
          }),
      };
    } else {
      console.error('postgres.js skipped: set POSTGRES_JS (see the header of this script)');
    }

    console.log(
      `${writers} writers, 50 threads, ${seconds} s per run, ${rounds} round(s); server: PostgreSQL ${server.version} (defaults of scripts/infra/postgres.mjs)`,
    );
    console.log(
      'variant | msg/s | p50 ms | p99 ms | server CPU ms/msg | client CPU ms/msg | round trips/msg | failures',
    );
    for (let round = 1; round <= rounds; round += 1) {
      for (const [name, variant] of Object.entries(variants)) {
        await reset(variant.schema);
        await drive(variant.store, 1000); // warm-up: connections opened, statements prepared
        const serverBefore = serverCpuSeconds(server.pid);
        const clientBefore = process.cpuUsage();
        const started = performance.now();
        const { latencies, failures } = await drive(variant.store, seconds * 1000);
        const elapsed = (performance.now() - started) / 1000;
        const serverCpu = serverCpuSeconds(server.pid) - serverBefore;
        const client = process.cpuUsage(clientBefore);
        const count = latencies.length;
        const [stored] = (
          await admin.query(
            `select count(*)::int as n, count(distinct (tenant_id, thread_id, seq))::int as seqs from ${variant.schema}.messages`,
          )
        ).rows;
        if (stored.n !== stored.seqs) throw new Error(`${name}: duplicate seq`);
        console.log(
          [
            name,
            Math.round(count / elapsed),
            quantile(latencies, 0.5).toFixed(1),
            quantile(latencies, 0.99).toFixed(1),
            ((serverCpu * 1000) / count).toFixed(3),
            ((client.user + client.system) / 1000 / count).toFixed(3),
            variant.roundTrips,
            failures,
          ].join(' | '),
        );
      }
    }
  } finally {
    for (const cleanup of cleanups) await cleanup().catch((error) => console.error(error));
  }
}

await main();
