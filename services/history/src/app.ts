import { createEventProducer, createKafkaClient, producerComponent } from '@parley/bus';
import { createGrpcServerComponent } from '@parley/grpc';
import type { Logger } from '@parley/logger';
import { createMongoComponent } from '@parley/mongo';
import { composeService, createMetricsRegistry } from '@parley/ops';
import { historyIndexes } from './adapters/history-indexes.js';
import type { HistoryConfig } from './config.js';

export interface HistoryDeps {
  readonly config: HistoryConfig;
  readonly logger: Logger;
  readonly version: string;
}

/**
 * The history service: its MongoDB database, the producer of deliveries, and the gRPC server
 * (health for now; HistoryService arrives with the history issue).
 */
export function createApp({ config, logger, version }: HistoryDeps) {
  const registry = createMetricsRegistry({ service: 'history', version });
  const store = createMongoComponent({
    url: config.MONGO_URL,
    database: config.MONGO_DATABASE,
    appName: 'parley-history',
    indexes: historyIndexes,
    logger,
  });
  const kafka = createKafkaClient({ brokers: config.KAFKA_BROKERS, clientId: 'parley-history', logger });
  const producer = createEventProducer({
    kafka,
    source: 'parley/history',
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    logger,
  });
  const grpc = createGrpcServerComponent({
    address: `${config.BIND_HOST}:${config.GRPC_PORT}`,
    services: [],
    logger,
  });
  const service = composeService({
    logger,
    registry,
    opsPort: config.OPS_PORT,
    bindHost: config.BIND_HOST,
    components: [store, producerComponent(producer), grpc],
  });
  return { ...service, grpcAddress: () => grpc.address(), db: () => store.db() };
}
