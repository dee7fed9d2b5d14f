import { createEventConsumer, type EventProducer } from '@parley/bus';
import type { MessageEnriched } from '@parley/contracts';
import type { Logger } from '@parley/logger';
import { consumerMetrics, type MetricsRegistry } from '@parley/ops';
import type { Kafka } from 'kafkajs';

/**
 * Enrichment's consumer of enriched messages (group `enrichment-changes`), off the message's path:
 * announces what the brand changed about a customer. It starts at the newest message when the
 * group is new (an upgrade does not announce the past again).
 */
export function createChangesConsumer(deps: {
  kafka: Kafka;
  topicPrefix: string;
  announceChanges: (event: MessageEnriched) => Promise<unknown>;
  dlqProducer: EventProducer;
  logger: Logger;
  registry: MetricsRegistry;
  onCrash: (crash: { error: unknown; restart: boolean }) => void;
}) {
  const { kafka, topicPrefix, announceChanges, dlqProducer, logger, registry, onCrash } = deps;
  return createEventConsumer({
    kafka,
    groupId: 'enrichment-changes',
    fromBeginning: false,
    topicPrefix,
    dlqProducer,
    logger: logger.child({ consumer: 'changes' }),
    metrics: consumerMetrics(registry, 'changes'),
    onCrash,
    handlers: {
      'chat.messages.enriched.v1': async (event) => void (await announceChanges(event)),
    },
  });
}
