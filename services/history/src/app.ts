import { consumerComponent, createServiceBus, producerComponent } from '@parley/bus';
import { createGrpcServerComponent, implementService, loadGrpcTls, loadParleyProtos } from '@parley/grpc';
import type { Logger } from '@parley/logger';
import {
  composeService,
  createMetricsRegistry,
  type MetricsRegistry,
  stopProcessOnFatalCrash,
  storeMetrics,
} from '@parley/ops';
import { serviceStore } from '@parley/postgres';
import { historySchema } from './adapters/history-schema.js';
import { createHistoryStores } from './adapters/history-store.js';
import type { HistoryConfig } from './config.js';
import { createHistoryConsumer } from './consumers/history.consumer.js';
import { createHistory } from './domain/history-use-cases.js';
import type { Clock, HistoryStores } from './domain/ports.js';
import { historyServiceCallers, historyServiceHandlers } from './grpc/history-service.js';

export interface HistoryDeps {
  readonly config: HistoryConfig;
  readonly logger: Logger;
  readonly version: string;
  readonly clock?: Clock;
  /** The store; absent: PostgreSQL (DATABASE_URL), migrated or verified at start. */
  readonly stores?: HistoryStores;
}

const systemClock: Clock = { now: () => new Date() };

/** The PostgreSQL store (DATABASE_URL, history's own schema) and the ports on it. */
function postgresStore(config: HistoryConfig, logger: Logger, registry: MetricsRegistry) {
  const postgres = serviceStore(config, historySchema, logger, { statements: storeMetrics(registry) });
  return { stores: createHistoryStores(() => postgres.database()), components: [postgres] };
}

/**
 * The history service: stores every enriched and outbound message once with its thread number,
 * publishes deliveries for every device, keeps customer profiles, and serves sync over gRPC.
 */
export function createApp({ config, logger, version, clock = systemClock, stores: given }: HistoryDeps) {
  const registry = createMetricsRegistry({ service: 'history', version });
  const { stores, components: storeComponents } = given
    ? { stores: given, components: [] }
    : postgresStore(config, logger, registry);
  const { kafka, producer } = createServiceBus(config, 'history', logger);
  const history = createHistory({
    ...stores,
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
    registry,
    onCrash: stopProcessOnFatalCrash,
  });
  const definition = loadParleyProtos().history.HistoryService.service;
  const grpc = createGrpcServerComponent({
    address: `${config.BIND_HOST}:${config.GRPC_PORT}`,
    tls: loadGrpcTls(config, 'history'),
    services: [
      {
        name: 'parley.history.v1.HistoryService',
        definition,
        implementation: implementService(definition, historyServiceHandlers(history), logger),
        callers: historyServiceCallers,
      },
    ],
    logger,
    registry,
  });
  const service = composeService({
    logger,
    registry,
    opsPort: config.OPS_PORT,
    bindHost: config.BIND_HOST,
    components: [...storeComponents, producerComponent(producer), grpc, consumerComponent(consumer)],
  });
  return { ...service, grpcAddress: () => grpc.address() };
}
