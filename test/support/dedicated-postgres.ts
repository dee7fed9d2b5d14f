import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bootstrapParleyDatabase,
  ensurePostgres,
  serviceDatabaseUrl,
  stopPostgres,
} from '../../scripts/infra/postgres.mjs';
import { infraSettings } from '../../scripts/infra/settings.mjs';
import type { StoreService } from './database.js';
import { freePort } from './harness.js';

/**
 * A PostgreSQL server of one test's own, started by the launcher in a scratch data dir on a free
 * port, for tests that stop the store: never the shared server others test against.
 */
export async function startDedicatedPostgres() {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-pg-'));
  // The server runs as an unprivileged user under root: it must reach the folder to keep its cluster there.
  chmodSync(dataDir, 0o755);
  const settings = infraSettings({
    PARLEY_INFRA_DATA_DIR: dataDir,
    PARLEY_POSTGRES_PORT: String(await freePort()),
  });
  const { url: adminUrl } = await ensurePostgres(settings);
  await bootstrapParleyDatabase(adminUrl);
  return {
    adminUrl,
    /** The URL a service connects with: its own role, the Parley database. */
    serviceUrl: (service: StoreService) => serviceDatabaseUrl(adminUrl, service),
    /** Fast shutdown: open sessions are ended, as in a restart or failover. */
    stop: () => stopPostgres(settings),
    start: () => ensurePostgres(settings),
    /** Stops the server and deletes its data. */
    async remove() {
      await stopPostgres(settings);
      const pointer = join(dataDir, 'postgres', 'data-dir');
      if (existsSync(pointer)) rmSync(readFileSync(pointer, 'utf8').trim(), { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
