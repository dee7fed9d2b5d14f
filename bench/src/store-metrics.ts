// What the store did during a measurement: statements by service role from pg_stat_statements (or,
// without it, transactions of the Parley database from pg_stat_database), and which process on this
// machine is the PostgreSQL server, so that its CPU can be sampled with its workers.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { parseProcStatFields } from './process-sampler.js';

/** One normalized statement and how often it ran so far (pg_stat_statements' cumulative `calls`). */
export interface StatementCount {
  /** The role that ran it, or `baseline` for the baseline's own statements. */
  readonly role: string;
  readonly queryId: string;
  readonly query: string;
  readonly calls: number;
}

/** The store's cumulative counters at one moment. */
export type StoreCounters =
  | { readonly source: 'pg_stat_statements'; readonly statements: readonly StatementCount[] }
  | { readonly source: 'pg_stat_database'; readonly transactions: number };

/** What the store counted between two readings. */
export interface StoreActivity {
  readonly source: StoreCounters['source'];
  /**
   * pg_stat_statements: statements (BEGIN, COMMIT and `set_config` included: each is a round trip)
   * by service (`auth`, `history`, `ingress`) and `baseline`. pg_stat_database: `{ database: n }`,
   * the transactions of everyone using the Parley database.
   */
  readonly counts: Readonly<Record<string, number>>;
  /** The statements that ran most, most first (pg_stat_statements only). */
  readonly top: readonly { readonly service: string; readonly query: string; readonly calls: number }[];
}

/**
 * The counts between two readings, by service (`labels` maps role names to service names).
 * A statement that left pg_stat_statements meanwhile (evicted at `pg_stat_statements.max`) and came
 * back counts only what it ran since.
 */
export function storeActivity(
  before: StoreCounters,
  after: StoreCounters,
  labels: Readonly<Record<string, string>>,
  topCount = 15,
): StoreActivity | undefined {
  if (before.source === 'pg_stat_database' && after.source === 'pg_stat_database')
    return {
      source: after.source,
      counts: { database: Math.max(0, after.transactions - before.transactions) },
      top: [],
    };
  if (before.source !== 'pg_stat_statements' || after.source !== 'pg_stat_statements') return undefined;
  const key = (statement: StatementCount) => `${statement.role}\u0000${statement.queryId}`;
  const earlier = new Map(before.statements.map((statement) => [key(statement), statement.calls]));
  const counts: Record<string, number> = {};
  const ran: { service: string; query: string; calls: number }[] = [];
  for (const statement of after.statements) {
    const calls = statement.calls - (earlier.get(key(statement)) ?? 0);
    if (calls <= 0) continue;
    const service = labels[statement.role] ?? statement.role;
    counts[service] = (counts[service] ?? 0) + calls;
    ran.push({ service, query: statement.query.replace(/\s+/g, ' ').trim().slice(0, 300), calls });
  }
  ran.sort((a, b) => b.calls - a.calls);
  return { source: after.source, counts, top: ran.slice(0, topCount) };
}

/**
 * The postmaster of the backend serving one of our connections, when that backend is a process of
 * this machine: the backend's process title names our client port (`postgres: user db
 * 127.0.0.1(51234) idle`, `[local]` over a socket), and its parent is a `postgres` process. A
 * server in a container or elsewhere gives undefined.
 */
export function postmasterOf(
  backend: { readonly pid: number; readonly clientPort: number | null },
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): number | undefined {
  try {
    const title = readFile(`/proc/${backend.pid}/cmdline`).replaceAll('\u0000', ' ');
    if (!title.includes(backend.clientPort === null ? '[local]' : `(${backend.clientPort})`))
      return undefined;
    const { ppid } = parseProcStatFields(readFile(`/proc/${backend.pid}/stat`));
    return readFile(`/proc/${ppid}/comm`).trim() === 'postgres' ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** Reads the store's counters over one superuser connection to the Parley database. */
export interface StoreProbe {
  readonly source: StoreCounters['source'];
  /** Why statements are not counted (pg_stat_statements unavailable), for the report. */
  readonly note: string | undefined;
  /** The PostgreSQL server's main process when it runs on this machine. */
  readonly postmasterPid: number | undefined;
  /** undefined when the store did not answer (the measurement goes on without store counts). */
  read(): Promise<StoreCounters | undefined>;
  close(): Promise<void>;
}

/**
 * Opens the probe: `create extension if not exists pg_stat_statements` (the local server preloads
 * the library; on another server without it the probe falls back to pg_stat_database). Statements
 * are those of `roles` in `database`, and the superuser's statements that name `baselineSchema`.
 */
export async function openStoreProbe(options: {
  /** A superuser's URL of the Parley database. */
  url: string;
  database: string;
  roles: readonly string[];
  baselineSchema: string;
}): Promise<StoreProbe> {
  const { database, roles, baselineSchema } = options;
  const pool = new pg.Pool({
    connectionString: options.url,
    max: 1,
    idleTimeoutMillis: 0,
    application_name: 'parley-bench-probe',
  });
  pool.on('error', () => {}); // an idle connection that drops is replaced on the next read
  const statements = async (): Promise<StoreCounters> => {
    const result = await pool.query<{ role: string; query_id: string; query: string; calls: number }>(
      `select case when strpos(s.query, $3) > 0 then 'baseline' else r.rolname end as role,
              s.queryid::text as query_id, min(s.query) as query, sum(s.calls)::float8 as calls
         from pg_stat_statements s
         join pg_roles r on r.oid = s.userid
        where s.dbid = (select oid from pg_database where datname = $1)
          and (r.rolname = any($2) or strpos(s.query, $3) > 0)
        group by 1, 2`,
      [database, roles, baselineSchema],
    );
    return {
      source: 'pg_stat_statements',
      statements: result.rows.map((row) => ({
        role: row.role,
        queryId: row.query_id,
        query: row.query,
        calls: Number(row.calls),
      })),
    };
  };
  const transactions = async (): Promise<StoreCounters> => {
    const result = await pool.query<{ transactions: number }>(
      'select (xact_commit + xact_rollback)::float8 as transactions from pg_stat_database where datname = $1',
      [database],
    );
    return { source: 'pg_stat_database', transactions: Number(result.rows[0]?.transactions ?? 0) };
  };

  let note: string | undefined;
  try {
    // Two runs creating it at once: one of them fails, and the extension is there either way.
    await pool.query('create extension if not exists pg_stat_statements').catch(() => {});
    await pool.query('select 1 from pg_stat_statements limit 1');
  } catch (error) {
    note = `pg_stat_statements is unavailable (${(error as Error).message}): counting transactions of database ${database} (pg_stat_database; everyone's, counted as connections flush their statistics) instead of statements`;
  }
  const backend = await pool
    .query<{ pid: number; port: number | null }>('select pg_backend_pid() as pid, inet_client_port() as port')
    .then((result) => result.rows[0]);
  return {
    source: note ? 'pg_stat_database' : 'pg_stat_statements',
    note,
    postmasterPid: backend ? postmasterOf({ pid: backend.pid, clientPort: backend.port }) : undefined,
    read: () => (note ? transactions() : statements()).catch(() => undefined),
    close: () => pool.end(),
  };
}
