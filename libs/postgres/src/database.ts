import { createHash } from 'node:crypto';
import { ParleyError } from '@parley/errors';
import { inSpan, type StatementObserver } from '@parley/ops';
import type pg from 'pg';
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { sqlState, toStoreError } from './postgres-errors.js';
import { ScopedQuery } from './scoped-query.js';
import type { SqlStatement } from './sql.js';

/** Runs statements; every failure arrives as a ParleyError (see toStoreError). */
export interface Queryable {
  /** The rows of one statement; `operation` names it in errors and logs. */
  query<Row extends QueryResultRow = QueryResultRow>(
    operation: string,
    statement: SqlStatement,
  ): Promise<Row[]>;
}

/** Statements confined to one tenant: PostgreSQL's row-level security shows them that tenant's rows only. */
export interface TenantDatabase extends Queryable {
  readonly tenantId: string;
  /** Runs `work` in one transaction (committed when it resolves, rolled back when it throws). */
  transaction<T>(operation: string, work: (tx: Queryable) => Promise<T>): Promise<T>;
}

/**
 * A service's database. Tenant data is reached only through `forTenant`, which sets the tenant that
 * the tables' row-level-security policies compare every row with (`parley.tenant_id`, local to the
 * transaction, so it is safe behind a transaction-mode pooler, and sent in the statement's own round
 * trip): a query that forgets its tenant
 * filter still sees one tenant's rows, and a query outside `forTenant` sees none.
 */
export interface Database {
  forTenant(tenantId: string): TenantDatabase;
  /**
   * Statements that span tenants by design, for tables without tenant rows or looked up by a key
   * unique across tenants (API key ids). They run with `parley.global = on`: tables under
   * row-level security show no rows here unless a policy lets such statements read them (api_keys).
   */
  readonly global: Queryable;
  /**
   * The periodic removal of expired rows of every tenant (`parley.maintenance` on): the policies
   * let this see rows past their `expires_at`, and nothing else.
   */
  readonly maintenance: Queryable;
}

// Named (prepared) statements: parsed and planned once per connection, not on every call.
const statementNames = new Map<string, string>();
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `parley_${createHash('sha256').update(text).digest('base64url').slice(0, 20)}`;
    if (statementNames.size < 10_000) statementNames.set(text, name);
  }
  return name;
}

/** A transaction-local setting sent with a statement (see ScopedQuery). */
type Setting = readonly [name: string, value: string];

/** Sends one statement (with its setting, when given); driver errors are thrown as they are. */
async function execute<Row extends QueryResultRow>(
  client: PoolClient,
  statement: SqlStatement,
  setting?: Setting,
): Promise<Row[]> {
  const config = {
    name: statementName(statement.text),
    text: statement.text,
    values: statement.values as unknown[],
  };
  if (!setting) return (await client.query<Row>(config)).rows;
  const scoped = new ScopedQuery(config, setting);
  // A submittable answers through its callback, with both results of the batch.
  const results = await new Promise<pg.QueryResult<Row>[]>((resolve, reject) => {
    client.query(
      scoped as never,
      ((error: Error | null, answer: pg.QueryResult<Row>[]) =>
        error ? reject(error) : resolve(answer)) as never,
    );
  });
  return results.at(-1)?.rows ?? [];
}

/** `execute`, reported to the observer (when there is one) with its operation, outcome and time. */
async function observed<Row extends QueryResultRow>(
  statements: StatementObserver | undefined,
  operation: string,
  send: () => Promise<Row[]>,
): Promise<Row[]> {
  if (!statements) return send();
  const started = process.hrtime.bigint();
  let outcome: 'ok' | 'error' = 'error';
  try {
    const rows = await send();
    outcome = 'ok';
    return rows;
  } finally {
    statements.statement({ operation, outcome, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
  }
}

/**
 * `execute` in a client span of its own: the statement's name and its first keyword, never its
 * text's values nor the tenant's setting (docs/operations.md, "Tracing").
 */
function traced<Row extends QueryResultRow>(
  operation: string,
  statement: SqlStatement,
  send: () => Promise<Row[]>,
): Promise<Row[]> {
  const keyword = /^\s*([a-z]+)/i.exec(statement.text)?.[1]?.toUpperCase() ?? 'QUERY';
  return inSpan(
    operation,
    {
      kind: 'client',
      attributes: {
        'db.system': 'postgresql',
        'db.system.name': 'postgresql',
        'db.operation.name': keyword,
        'db.query.summary': operation,
      },
    },
    send,
  );
}

/**
 * Whether the connection is still good after `error`: the server refused a statement (a
 * constraint, a value, a timeout) but kept the session. Anything else, a lost socket, a client-side
 * read timeout or a FATAL from the server, retires it.
 */
function keepsConnection(error: unknown): boolean {
  // A statement of a transaction arrives mapped already (a ParleyError with the server's error as
  // its cause); only the server's errors carry a severity.
  const severity = sqlState(error) ? serverSeverity(error) : undefined;
  return severity !== undefined && severity !== 'FATAL' && severity !== 'PANIC';
}

function serverSeverity(error: unknown): string | undefined {
  for (let current = error, depth = 0; depth < 5 && current; depth += 1) {
    const severity = (current as { severity?: unknown }).severity;
    if (typeof severity === 'string') return severity;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

async function checkout(pool: Pool, operation: string): Promise<PoolClient> {
  try {
    return await pool.connect();
  } catch (error) {
    throw toStoreError(error, operation);
  }
}

/**
 * Runs `use` on a checked-out connection and hands it back: kept after a statement the server
 * refused (pool.query would discard it, and with it every prepared statement), retired after a
 * connection-level failure.
 */
async function withConnection<T>(
  pool: Pool,
  operation: string,
  use: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await checkout(pool, operation);
  // While checked out, a client has no error listener of the pool's: a connection that drops
  // meanwhile would otherwise be an unhandled 'error' event, which ends the process.
  let broken: Error | undefined;
  const onError = (error: Error) => {
    broken = error;
  };
  client.on('error', onError);
  try {
    return await use(client);
  } catch (error) {
    if (!keepsConnection(error)) broken ??= error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}

/** One statement on a connection of the pool, errors as ParleyErrors. */
function run<Row extends QueryResultRow>(
  pool: Pool,
  statements: StatementObserver | undefined,
  operation: string,
  statement: SqlStatement,
  setting?: Setting,
): Promise<Row[]> {
  return withConnection(pool, operation, (client) =>
    observed(statements, operation, () =>
      traced(operation, statement, () => execute<Row>(client, statement, setting)),
    ),
  ).catch((error: unknown) => {
    throw toStoreError(error, operation);
  });
}

/** Several statements in one explicit transaction, each sent with the setting. */
function inTransaction<T>(
  pool: Pool,
  statements: StatementObserver | undefined,
  operation: string,
  setting: Setting,
  work: (tx: Queryable) => Promise<T>,
): Promise<T> {
  return withConnection(pool, operation, async (client) => {
    await client.query('begin');
    try {
      const tx: Queryable = {
        query: <Row extends QueryResultRow>(op: string, statement: SqlStatement) =>
          observed(statements, op, () =>
            traced(op, statement, () => execute<Row>(client, statement, setting)),
          ).catch((error: unknown) => {
            throw toStoreError(error, op);
          }),
      };
      const result = await work(tx);
      await client.query('commit');
      return result;
    } catch (error) {
      // A failed rollback means the connection is gone: withConnection then retires it.
      await client.query('rollback');
      throw error;
    }
  }).catch((error: unknown) => {
    throw toStoreError(error, operation);
  });
}

/**
 * The database of a service over a connection pool; `statements` is told the time of each
 * statement (`storeMetrics` from @parley/ops exports it on /metrics).
 *
 * @example
 * const db = createDatabase(pool);
 * const [session] = await db.forTenant(tenantId).query('find session',
 *   sql`select * from sessions where tenant_id = ${tenantId} and session_id = ${sessionId}`);
 */
export function createDatabase(pool: Pool, options: { statements?: StatementObserver } = {}): Database {
  const { statements } = options;
  return {
    forTenant(tenantId) {
      if (typeof tenantId !== 'string' || tenantId.length === 0)
        throw new ParleyError('invalid_argument', 'tenant scope is empty');
      const setting: Setting = ['parley.tenant_id', tenantId];
      return {
        tenantId,
        // One round trip: the setting and the statement in one implicit transaction.
        query: (operation, statement) => run(pool, statements, operation, statement, setting),
        transaction: (operation, work) => inTransaction(pool, statements, operation, setting, work),
      };
    },
    global: {
      query: (operation, statement) => run(pool, statements, operation, statement, ['parley.global', 'on']),
    },
    maintenance: {
      query: (operation, statement) =>
        run(pool, statements, operation, statement, ['parley.maintenance', 'on']),
    },
  };
}
