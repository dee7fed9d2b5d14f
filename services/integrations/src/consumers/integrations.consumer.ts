import { createEventConsumer, type EventProducer } from '@parley/bus';
import type { Logger } from '@parley/logger';
import { consumerMetrics, type MetricsRegistry } from '@parley/ops';
import type { Kafka } from 'kafkajs';
import type { TenantEventLog } from '../domain/tenant-event-log.js';

/**
 * Integrations' consumer in group `integrations`: every event tenants get, appended once each to
 * the tenant event log (redelivered records are the same event). Records are taken as they arrive,
 * each key in order, so a slow append of one thread holds back only that thread.
 */
export function createIntegrationsConsumer(deps: {
  kafka: Kafka;
  topicPrefix: string;
  log: TenantEventLog;
  dlqProducer: EventProducer;
  logger: Logger;
  pipelineDepth: number;
  /** The service's metrics registry: the consumer's series (parley_consumer_*) go there. */
  registry: MetricsRegistry;
  onCrash: (crash: { error: unknown; restart: boolean }) => void;
}) {
  const { kafka, topicPrefix, log, dlqProducer, logger, registry, pipelineDepth, onCrash } = deps;
  return createEventConsumer({
    kafka,
    groupId: 'integrations',
    fromBeginning: true,
    topicPrefix,
    dlqProducer,
    logger: logger.child({ consumer: 'integrations' }),
    metrics: consumerMetrics(registry, 'integrations'),
    pipelineDepth,
    onCrash,
    handlers: {
      'chat.messages.enriched.v1': async (event, meta) =>
        void (await log.record({ topic: 'chat.messages.enriched.v1', event }, meta.cloudEvent.id)),
      'chat.deliveries.v1': async (event, meta) =>
        void (await log.record({ topic: 'chat.deliveries.v1', event }, meta.cloudEvent.id)),
      'chat.customers.updated.v1': async (event, meta) =>
        void (await log.record({ topic: 'chat.customers.updated.v1', event }, meta.cloudEvent.id)),
      'chat.sessions.ended.v1': async (event, meta) =>
        void (await log.record({ topic: 'chat.sessions.ended.v1', event }, meta.cloudEvent.id)),
    },
  });
}
