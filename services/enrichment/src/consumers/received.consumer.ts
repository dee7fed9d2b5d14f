import { createEventConsumer, type EventProducer } from '@parley/bus';
import type { MessageEnriched, MessageReceived } from '@parley/contracts';
import type { Logger } from '@parley/logger';
import type { Kafka } from 'kafkajs';

/** Enrichment's consumer of received messages (group `enrichment`); distinct threads in parallel. */
export function createReceivedConsumer(deps: {
  kafka: Kafka;
  topicPrefix: string;
  enrich: (event: MessageReceived) => Promise<MessageEnriched>;
  dlqProducer: EventProducer;
  logger: Logger;
  keyConcurrency: number;
  partitionConcurrency: number;
  onCrash: (crash: { error: unknown; restart: boolean }) => void;
}) {
  const { kafka, topicPrefix, enrich, dlqProducer, logger, keyConcurrency, partitionConcurrency, onCrash } =
    deps;
  return createEventConsumer({
    kafka,
    groupId: 'enrichment',
    fromBeginning: true,
    topicPrefix,
    dlqProducer,
    logger: logger.child({ consumer: 'received' }),
    keyConcurrency,
    // A slow brand's batch then delays only the threads of its own partition.
    partitionConcurrency,
    onCrash,
    handlers: {
      'chat.messages.received.v1': async (event) => void (await enrich(event)),
    },
  });
}
