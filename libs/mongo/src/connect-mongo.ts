import { ParleyError } from '@parley/errors';
import { MongoClient } from 'mongodb';

export interface ConnectMongoOptions {
  readonly url: string;
  /** Shown in the server's logs and `currentOp`; use the service name. */
  readonly appName: string;
  readonly serverSelectionTimeoutMs?: number;
  readonly maxPoolSize?: number;
}

/**
 * Connects a MongoDB client and proves the server answers (`ping`) before returning it.
 *
 * @example
 * const client = await connectMongo({ url: config.MONGO_URL, appName: 'history' });
 * const db = client.db(config.MONGO_DATABASE);
 */
export async function connectMongo(options: ConnectMongoOptions): Promise<MongoClient> {
  const { url, appName, serverSelectionTimeoutMs = 5000, maxPoolSize = 20 } = options;
  const client = new MongoClient(url, {
    appName,
    serverSelectionTimeoutMS: serverSelectionTimeoutMs,
    maxPoolSize,
  });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    return client;
  } catch (error) {
    await client.close().catch(() => {});
    throw new ParleyError('dependency_unavailable', 'MongoDB did not answer', {
      cause: error,
      context: { appName },
    });
  }
}
