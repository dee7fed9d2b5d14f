import { createEventConsumer, type EventProducer } from '@parley/bus';
import type { Logger } from '@parley/logger';
import type { Kafka } from 'kafkajs';
import type { ConnectionRegistry } from '../domain/connection-registry.js';

/**
 * Every ingress pod reads all deliveries in a consumer group of its own and pushes each to the
 * customer's devices connected to it. A device not connected here gets it from another pod, or by
 * syncing after its next reconnect: nothing is lost in between.
 */
export function createDeliveriesConsumer(deps: {
  kafka: Kafka;
  instanceId: string;
  topicPrefix: string;
  connections: ConnectionRegistry;
  dlqProducer: EventProducer;
  logger: Logger;
  onCrash: (crash: { error: unknown; restart: boolean }) => void;
}) {
  const { kafka, instanceId, topicPrefix, connections, dlqProducer, logger, onCrash } = deps;
  return createEventConsumer({
    kafka,
    groupId: `ingress-deliveries-${instanceId}`,
    // A new pod pushes what arrives from now on; earlier messages reach devices through sync.
    fromBeginning: false,
    topicPrefix,
    dlqProducer,
    logger: logger.child({ consumer: 'deliveries' }),
    onCrash,
    handlers: {
      'chat.deliveries.v1': async (delivery) => {
        connections.broadcast(delivery.tenantId, delivery.customerKey, {
          type: 'message',
          threadId: delivery.threadId,
          seq: delivery.seq,
          message: delivery.message,
        });
      },
    },
  });
}
