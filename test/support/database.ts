import { randomBytes } from 'node:crypto';
import type { Logger } from '@parley/logger';
import {
  type PostgresComponent,
  type ServiceSchema,
  serviceStore as serviceStoreComponent,
} from '@parley/postgres';
import pg from 'pg';
import { afterAll } from 'vitest';
import { parleyDatabase, serviceDatabaseUrl } from '../../scripts/infra/postgres.mjs';
import { testInfra } from './harness.js';

export type StoreService = 'auth' | 'history' | 'ingress' | 'integrations';

let admin: pg.Pool | undefined;

/** The superuser's pool on the Parley database (for setup and for looking at rows at rest only). */
function adminPool(): pg.Pool {
  if (!admin) {
    const url = new URL(testInfra().databaseUrl);
    url.pathname = `/${parleyDatabase}`;
    admin = new pg.Pool({ connectionString: url.toString(), max: 2 });
    afterAll(async () => {
      await admin?.end();
      admin = undefined;
    });
  }
  return admin;
}

/** A fresh schema name for one service of one test, e.g. `auth_3f9a1c2b7d`. */
export function randomSchema(service: StoreService): string {
  return `${service}_${randomBytes(5).toString('hex')}`;
}

/** DATABASE_URL (the service's own role) and a fresh DATABASE_SCHEMA for one service under test. */
export function serviceStore(service: StoreService, schema = randomSchema(service)) {
  return { DATABASE_URL: serviceDatabaseUrl(testInfra().databaseUrl, service), DATABASE_SCHEMA: schema };
}

/** Drops a test's schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`not a schema name: ${schema}`);
  await adminPool().query(`drop schema if exists ${schema} cascade`);
}

/**
 * Rows as they are at rest, read as the superuser: for the few tests whose point is what the
 * database holds (sealed secrets, nothing in clear). Everything else reads through the ports.
 */
export async function rowsAtRest<Row extends pg.QueryResultRow>(text: string, values: unknown[] = []) {
  return (await adminPool().query<Row>(text, values)).rows;
}

/**
 * A service's store component built as the service builds it (libs/postgres `serviceStore`), on
 * its own role and the schema of `store` (see serviceStore above), migrated at start: for tests
 * that exercise the store's ports without the whole service.
 */
export function storeComponent(
  schema: ServiceSchema,
  store: { DATABASE_URL: string; DATABASE_SCHEMA: string },
  logger: Logger,
  { maxConnections = 10 }: { maxConnections?: number } = {},
): PostgresComponent {
  return serviceStoreComponent(
    {
      ...store,
      DATABASE_MIGRATIONS: 'apply',
      DATABASE_STATEMENT_TIMEOUT_MS: 5000,
      DATABASE_POOL_MAX: maxConnections,
      LOG_LEVEL: 'silent',
    },
    schema,
    logger,
  );
}
