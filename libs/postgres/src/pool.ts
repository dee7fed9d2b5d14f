import { ParleyError } from '@parley/errors';
import pg from 'pg';

/** A pool whose connections all work in the service's schema, with bounded statements. */
export function createPool(options: {
  url: string;
  schema: string;
  appName: string;
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
  maxConnections?: number;
}): pg.Pool {
  const {
    url,
    schema,
    appName,
    statementTimeoutMs = 5000, // 5 s
    connectTimeoutMs = 5000, // 5 s
    maxConnections = 10,
  } = options;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new ParleyError('invalid_config', `schema name "${schema}" is not a lower-case identifier`);
  return new pg.Pool({
    connectionString: url,
    application_name: appName,
    // The schema is checked above; `options` is the startup packet's, not SQL.
    options: `-c search_path=${schema}`,
    statement_timeout: statementTimeoutMs,
    // Client side too: a server that stops answering does not hold a caller for ever.
    query_timeout: statementTimeoutMs + 1000,
    connectionTimeoutMillis: connectTimeoutMs,
    // A server gone without a word (a dead host, a dropped route) is noticed by TCP keepalive.
    keepAlive: true,
    idleTimeoutMillis: 30_000,
    max: maxConnections,
  });
}
