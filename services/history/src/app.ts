import { createEventProducer, createKafkaClient, producerComponent } from '@parley/bus';
import { createGrpcServerComponent, implementService, loadParleyProtos } from '@parley/grpc';
import type { Logger } from '@parley/logger';
import { createMongoComponent } from '@parley/mongo';
import { composeService, createMetricsRegistry, stopProcessOnFatalCrash } from '@parley/ops';
import { historyIndexes } from './adapters/history-indexes.js';
import { createHistoryStores } from './adapters/history-store.js';
import type { HistoryConfig } from './config.js';
import { createHistoryConsumer } from './consumers/history.consumer.js';
import { createHistory } from './domain/history-use-cases.js';
import type { Clock } from './domain/ports.js';
import { historyServiceHandlers } from './grpc/history-service.js';

export interface HistoryDeps {
  readonly config: HistoryConfig;
  readonly logger: Logger;
  readonly version: string;
  readonly clock?: Clock;
}

const systemClock: Clock = { now: () => new Date() };

/**
 * The history service: stores every enriched and outbound message once with its thread number,
 * publishes deliveries for every device, keeps customer profiles, and serves sync over gRPC.
 */
export function createApp({ config, logger, version, clock = systemClock }: HistoryDeps) {
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
  const history = createHistory({
    ...createHistoryStores(() => store.db()),
    clock,
    deliver: (delivery) =>
      producer.publish('chat.deliveries.v1', delivery, { id: `${delivery.threadId}:${delivery.seq}` }),
  });
  const consumer = createHistoryConsumer({
    kafka,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    history,
    dlqProducer: producer,
    logger,
    onCrash: stopProcessOnFatalCrash,
  });
  const definition = loadParleyProtos().history.HistoryService.service;
  const grpc = createGrpcServerComponent({
    address: `${config.BIND_HOST}:${config.GRPC_PORT}`,
    services: [
      {
        name: 'parley.history.v1.HistoryService',
        definition,
        implementation: implementService(definition, historyServiceHandlers(history), logger),
      },
    ],
    logger,
  });
  const service = composeService({
    logger,
    registry,
    opsPort: config.OPS_PORT,
    bindHost: config.BIND_HOST,
    components: [
      store,
      producerComponent(producer),
      grpc,
      {
        name: 'consumer',
        start: () => consumer.start(),
        stop: () => consumer.stop(),
        isReady: () => consumer.isReady(),
      },
    ],
  });
  return { ...service, grpcAddress: () => grpc.address(), db: () => store.db() };
}
