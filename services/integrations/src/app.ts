import { createBrandHttpClient } from '@parley/brand-http';
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
import { createSecretBox, parseKeyRing } from '@parley/secrets';
import { integrationsSchema } from './adapters/integrations-schema.js';
import { createIntegrationsStores } from './adapters/integrations-stores.js';
import { createWebhookSender } from './adapters/webhook-sender.js';
import type { IntegrationsConfig } from './config.js';
import { createIntegrationsConsumer } from './consumers/integrations.consumer.js';
import { createAppendSignal } from './domain/append-signal.js';
import { createDeliveryLog } from './domain/delivery-log.js';
import { createDispatcher } from './domain/dispatcher.js';
import type { Clock, IntegrationsStores } from './domain/ports.js';
import { defaultRetryPolicy } from './domain/retry-schedule.js';
import { createSubscriptions } from './domain/subscriptions.js';
import { createTenantEventLog } from './domain/tenant-event-log.js';
import { integrationsServiceCallers, integrationsServiceHandlers } from './grpc/integrations-service.js';
import { createIntegrationsMetrics } from './metrics.js';

export interface IntegrationsDeps {
  readonly config: IntegrationsConfig;
  readonly logger: Logger;
  readonly version: string;
  readonly clock?: Clock;
  /** The store; absent: PostgreSQL (DATABASE_URL), migrated or verified at start. */
  readonly stores?: IntegrationsStores;
}

const systemClock: Clock = { now: () => new Date() };

/** Records of one partition taken and not yet appended (each thread in order). */
const pipelineDepth = 500;
/** Bytes of an endpoint's answer read at most: a longer answer fails the attempt. */
const maxResponseBytes = 64 * 1024; // 64 KiB
/** A lease outlives the longest attempt by this much, so it never runs out while one is sent. */
const leaseMarginMs = 30_000;

/** The PostgreSQL store (DATABASE_URL, integrations' own schema) and the ports on it. */
function postgresStore(config: IntegrationsConfig, logger: Logger, registry: MetricsRegistry) {
  const postgres = serviceStore(config, integrationsSchema, logger, { statements: storeMetrics(registry) });
  return { stores: createIntegrationsStores(() => postgres.database()), components: [postgres] };
}

/**
 * The integrations service: appends the events tenants get to each tenant's event log, delivers
 * them to the tenant's webhook subscriptions signed per Standard Webhooks, and serves the
 * subscriptions, the delivery log and the event stream over gRPC (docs/integrations.md).
 */
export function createApp({ config, logger, version, clock = systemClock, stores: given }: IntegrationsDeps) {
  const registry = createMetricsRegistry({ service: 'integrations', version });
  const { stores, components: storeComponents } = given
    ? { stores: given, components: [] }
    : postgresStore(config, logger, registry);
  // Only for dead-lettering what cannot be read: integrations publishes no events.
  const { kafka, producer } = createServiceBus(config, 'integrations', logger);
  const secretBox = createSecretBox({
    keys: parseKeyRing(config.SECRET_KEYS),
    activeKid: config.SECRET_ACTIVE_KID,
  });
  const metrics = createIntegrationsMetrics(registry, stores.deliveries);
  const dispatcher = createDispatcher({
    queue: stores.deliveries,
    sender: createWebhookSender({
      http: createBrandHttpClient({
        logger,
        allowHosts: config.WEBHOOK_HOST_ALLOW_LIST,
        timeoutMs: config.WEBHOOK_TIMEOUT_MS,
        maxResponseBytes,
        maxConcurrentPerHost: config.WEBHOOK_MAX_IN_FLIGHT_PER_SUBSCRIPTION,
      }),
      secretBox,
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    }),
    clock,
    logger: logger.child({ component: 'dispatcher' }),
    limits: {
      perSubscription: config.WEBHOOK_MAX_IN_FLIGHT_PER_SUBSCRIPTION,
      perTenant: config.WEBHOOK_MAX_IN_FLIGHT_PER_TENANT,
      total: config.WEBHOOK_MAX_IN_FLIGHT,
    },
    leaseMs: config.WEBHOOK_TIMEOUT_MS + leaseMarginMs,
    pollIntervalMs: config.WEBHOOK_POLL_INTERVAL_MS,
    retry: { ...defaultRetryPolicy, baseDelayMs: config.WEBHOOK_RETRY_BASE_MS },
    pauseAfterMs: config.WEBHOOK_PAUSE_AFTER_SECONDS * 1000,
    onAttempt: metrics.attempt,
  });
  const eventLog = createTenantEventLog({
    events: stores.events,
    clock,
    signal: createAppendSignal(),
    retentionMs: config.EVENT_RETENTION_HOURS * 3_600_000,
    pollIntervalMs: config.EVENTS_POLL_INTERVAL_MS,
    onAppended(event, deliveries) {
      metrics.appended(event.type);
      if (deliveries > 0) dispatcher.wake();
    },
  });
  const subscriptions = createSubscriptions({
    store: stores.subscriptions,
    secretBox,
    clock,
    allowHosts: config.WEBHOOK_HOST_ALLOW_LIST,
    onChanged: () => dispatcher.wake(),
  });
  const deliveryLog = createDeliveryLog({
    deliveries: stores.deliveries,
    subscriptions: stores.subscriptions,
    clock,
    onQueued: () => dispatcher.wake(),
  });
  const consumer = createIntegrationsConsumer({
    kafka,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    log: eventLog,
    dlqProducer: producer,
    logger,
    registry,
    pipelineDepth,
    onCrash: stopProcessOnFatalCrash,
  });
  const definition = loadParleyProtos().integrations.IntegrationsService.service;
  const grpc = createGrpcServerComponent({
    address: `${config.BIND_HOST}:${config.GRPC_PORT}`,
    tls: loadGrpcTls(config, 'integrations'),
    services: [
      {
        name: 'parley.integrations.v1.IntegrationsService',
        definition,
        implementation: implementService(
          definition,
          integrationsServiceHandlers({ subscriptions, deliveryLog, eventLog }),
          logger,
        ),
        callers: integrationsServiceCallers,
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
    components: [
      ...storeComponents,
      producerComponent(producer),
      grpc,
      consumerComponent(consumer),
      {
        name: 'dispatcher',
        start: async () => dispatcher.start(),
        stop: () => dispatcher.stop(),
        isReady: () => dispatcher.isRunning(),
      },
    ],
  });
  return { ...service, grpcAddress: () => grpc.address() };
}
