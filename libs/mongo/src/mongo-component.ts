import type { Logger } from '@parley/logger';
import type { Db, MongoClient } from 'mongodb';
import { connectMongo } from './connect-mongo.js';
import { ensureIndexes, type IndexSpec } from './ensure-indexes.js';
import { createTtlSweeper, type TtlSweeper } from './ttl-sweeper.js';

export interface MongoComponent {
  readonly name: 'mongo';
  start(): Promise<void>;
  stop(): Promise<void>;
  isReady(): Promise<boolean>;
  /** The service's own database; only after start. */
  db(): Db;
}

/**
 * A service's MongoDB database as a lifecycle component: connects, creates the service's indexes
 * (and sweeps TTL indexes the store cannot keep), pings for readiness, closes on stop.
 *
 * @example
 * const store = createMongoComponent({ url: config.MONGO_URL, database: config.MONGO_DATABASE, appName: 'history', indexes, logger });
 */
export function createMongoComponent(options: {
  url: string;
  database: string;
  appName: string;
  indexes: readonly IndexSpec[];
  logger: Logger;
}): MongoComponent {
  const { url, database, appName, indexes, logger } = options;
  let client: MongoClient | undefined;
  let sweeper: TtlSweeper | undefined;

  return {
    name: 'mongo',
    async start() {
      client = await connectMongo({ url, appName });
      const db = client.db(database);
      const expiries = await ensureIndexes(db, indexes);
      if (expiries.length > 0) {
        logger.info({ expiries }, 'store lacks TTL indexes; expired documents are swept instead');
        sweeper = createTtlSweeper({
          db,
          expiries,
          onError: (error) => logger.warn({ err: error }, 'TTL sweep failed'),
        });
        sweeper.start();
      }
    },
    async stop() {
      sweeper?.stop();
      await client?.close();
      client = undefined;
    },
    async isReady() {
      if (!client) return false;
      await client.db('admin').command({ ping: 1 });
      return true;
    },
    db() {
      if (!client) throw new Error('mongo component not started');
      return client.db(database);
    },
  };
}
