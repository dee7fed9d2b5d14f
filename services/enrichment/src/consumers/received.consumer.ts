import { createEventConsumer, type EventProducer } from '@parley/bus';
import type { MessageEnriched, MessageReceived } from '@parley/contracts';
import type { Logger } from '@parley/logger';
import { consumerMetrics, type MetricsRegistry } from '@parley/ops';
import type { Kafka } from 'kafkajs';

/**
 * Deprecated, for one release: enrichment's consumer of received messages (group `enrichment`),
 * draining what ingress pods of the previous release publish; threads in parallel as messages arrive.
 */
export function createReceivedConsumer(deps: {
  kafka: Kafka;
  topicPrefix: string;
  enrich: (event: MessageReceived) => Promise<MessageEnriched>;
  dlqProducer: EventProducer;
  logger: Logger;
  pipelineDepth: number;
  /** The service's metrics registry: the consumer's series (parley_consumer_*) go there. */
  registry: MetricsRegistry;
  onCrash: (crash: { error: unknown; restart: boolean }) => void;
}) {
  const { kafka, topicPrefix, enrich, dlqProducer, logger, registry, pipelineDepth, onCrash } = deps;
  return createEventConsumer({
    kafka,
    groupId: 'enrichment',
    fromBeginning: true,
    topicPrefix,
    dlqProducer,
    logger: logger.child({ consumer: 'received' }),
    metrics: consumerMetrics(registry, 'received'),
    // Messages are enriched as they arrive, each thread in order: a slow brand's threads never hold
    // back another brand's, even in the same partition.
    pipelineDepth,
    onCrash,
    handlers: {
      'chat.messages.received.v1': async (event) => void (await enrich(event)),
    },
  });
}
