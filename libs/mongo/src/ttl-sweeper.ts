import type { Db } from 'mongodb';
import type { SweptExpiry } from './ensure-indexes.js';

export interface TtlSweeper {
  /** Deletes every expired document now; returns how many. */
  sweepOnce(): Promise<number>;
  start(): void;
  stop(): void;
}

/**
 * Enforces TTL indexes the store could not create (see ensureIndexes) by deleting expired documents
 * periodically — like MongoDB's own TTL monitor, which also runs once a minute. Readers must still
 * treat a document past its expiry as absent, on any store.
 *
 * @example
 * const sweeper = createTtlSweeper({ db, expiries: await ensureIndexes(db, specs), onError: (err) => logger.warn({ err }, 'ttl sweep failed') });
 * sweeper.start();
 */
export function createTtlSweeper(options: {
  db: Db;
  expiries: readonly SweptExpiry[];
  intervalMs?: number;
  onError: (error: unknown) => void;
}): TtlSweeper {
  const { db, expiries, intervalMs = 60_000, onError } = options;
  let timer: NodeJS.Timeout | undefined;

  async function sweepOnce(): Promise<number> {
    let deleted = 0;
    for (const { collection, field, expireAfterSeconds } of expiries) {
      const cutoff = new Date(Date.now() - expireAfterSeconds * 1000);
      deleted += (await db.collection(collection).deleteMany({ [field]: { $lte: cutoff } })).deletedCount;
    }
    return deleted;
  }

  return {
    sweepOnce,
    start() {
      if (timer || expiries.length === 0) return;
      timer = setInterval(() => void sweepOnce().catch(onError), intervalMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
