import type { Logger } from '@parley/logger';
import type { Database } from './database.js';
import type { SqlStatement } from './sql.js';

/** One batched delete of expired rows; it must return one row per deleted row (`returning 1`). */
export interface ExpirySweep {
  readonly operation: string;
  /** Deletes at most `batchSize` expired rows, e.g. `… where ctid in (select ctid … limit 1000)`. */
  readonly statement: SqlStatement;
  readonly batchSize: number;
}

export interface ExpirySweeper {
  /** Deletes every expired row now, batch by batch; returns how many. */
  sweepOnce(): Promise<number>;
  start(): void;
  stop(): void;
}

/**
 * Removes expired rows periodically in small batches, so no sweep holds locks for long. Readers
 * still compare `expires_at` with the time, so a row is gone for them the moment it expires.
 *
 * @example
 * const sweeper = createExpirySweeper({ db, sweeps, logger });
 * sweeper.start();
 */
export function createExpirySweeper(options: {
  db: Database;
  sweeps: readonly ExpirySweep[];
  logger: Logger;
  intervalMs?: number;
  /** Most batches of one sweep per run, so a huge backlog cannot keep a run going for ever. */
  maxBatches?: number;
}): ExpirySweeper {
  const { db, sweeps, logger, intervalMs = 60_000, maxBatches = 100 } = options;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  async function sweepAll(): Promise<number> {
    let deleted = 0;
    for (const sweep of sweeps) {
      for (let batch = 0; batch < maxBatches; batch += 1) {
        const rows = await db.maintenance.query(sweep.operation, sweep.statement);
        deleted += rows.length;
        if (rows.length < sweep.batchSize) break;
      }
    }
    return deleted;
  }

  function sweepOnce(): Promise<number> {
    running ??= sweepAll().finally(() => {
      running = undefined;
    });
    return running;
  }

  return {
    sweepOnce,
    start() {
      if (timer || sweeps.length === 0) return;
      timer = setInterval(() => {
        sweepOnce().then(
          (deleted) => deleted > 0 && logger.debug({ deleted }, 'expired rows removed'),
          (error) => logger.warn({ err: error }, 'expiry sweep failed; retried at the next interval'),
        );
      }, intervalMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
