import { createEventConsumer, type EventProducer } from '@parley/bus';
import { liveMessageFrame } from '@parley/contracts';
import type { Logger } from '@parley/logger';
import { consumerMetrics, type MetricsRegistry } from '@parley/ops';
import type { Kafka } from 'kafkajs';
import type { ConnectionRegistry } from '../domain/ports.js';

/**
 * Every ingress pod reads, in a consumer group of its own, what its open streams must act on now
 * (docs/kafka.md):
 * - each delivery, pushed to the customer's devices connected to it (a device not connected here
 *   gets it from another pod, or by syncing after its next reconnect: nothing is lost in between);
 * - each logout, closing its streams of the sessions that ended (4403), so a device signed out
 *   elsewhere stops receiving within a second instead of at its stream's next re-check. The pod
 *   that served the logout has closed its own already.
 */
export function createPodEventsConsumer(deps: {
  kafka: Kafka;
  instanceId: string;
  topicPrefix: string;
  connections: ConnectionRegistry;
  dlqProducer: EventProducer;
  logger: Logger;
  /** The service's metrics registry: the consumer's series (parley_consumer_*) go there. */
  registry: MetricsRegistry;
  onCrash: (crash: { error: unknown; restart: boolean }) => void;
}) {
  const { kafka, instanceId, topicPrefix, connections, dlqProducer, logger, registry, onCrash } = deps;
  return createEventConsumer({
    kafka,
    groupId: `ingress-pod-${instanceId}`,
    // A new pod acts on what arrives from now on: earlier messages reach devices through sync, and
    // it has no streams of sessions that ended before it started.
    fromBeginning: false,
    topicPrefix,
    dlqProducer,
    logger: logger.child({ consumer: 'pod-events' }),
    metrics: consumerMetrics(registry, 'pod-events'),
    onCrash,
    // Both events are keyed by customer: one for a customer with no stream here would do nothing,
    // so it is not even decoded (most of a pod's deliveries; docs/scaling.md, "Step 0").
    skip: (_topic, key) => key === null || !connections.holdsCustomerKey(key),
    handlers: {
      'chat.deliveries.v1': async (delivery) => {
        connections.broadcast(delivery.tenantId, delivery.customerKey, liveMessageFrame(delivery));
      },
      'chat.sessions.ended.v1': async (ended) => {
        connections.endSessions(ended);
      },
    },
  });
}
