import { createEventConsumer, type EventProducer } from '@parley/bus';
import type { Logger } from '@parley/logger';
import { consumerMetrics, type MetricsRegistry } from '@parley/ops';
import type { Kafka } from 'kafkajs';
import type { History } from '../domain/history-use-cases.js';

/** History's consumer: enriched and outbound messages, and profile updates, in group `history`. */
export function createHistoryConsumer(deps: {
  kafka: Kafka;
  topicPrefix: string;
  history: History;
  dlqProducer: EventProducer;
  logger: Logger;
  /** The service's metrics registry: the consumer's series (parley_consumer_*) go there. */
  registry: MetricsRegistry;
  onCrash: (crash: { error: unknown; restart: boolean }) => void;
}) {
  const { kafka, topicPrefix, history, dlqProducer, logger, registry, onCrash } = deps;
  return createEventConsumer({
    kafka,
    groupId: 'history',
    fromBeginning: true,
    topicPrefix,
    dlqProducer,
    logger: logger.child({ consumer: 'history' }),
    metrics: consumerMetrics(registry, 'history'),
    onCrash,
    handlers: {
      'chat.messages.enriched.v1': async (event) => void (await history.recordEnriched(event)),
      'chat.messages.outbound.v1': async (event) => void (await history.recordOutbound(event)),
      'chat.customers.updated.v1': (event) => history.recordCustomerUpdate(event),
    },
  });
}
