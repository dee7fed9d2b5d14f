import type { Logger } from '@parley/logger';
import type { Kafka } from 'kafkajs';
import { createEventProducer, type EventProducer } from './event-producer.js';
import { createKafkaClient, type KafkaConfig, kafkaClientOptions } from './kafka-client.js';

/**
 * A service's Kafka client and event producer, set up the same way in every service: client id
 * `parley-<service>`, CloudEvents source `parley/<service>`, the service's SASL/TLS settings and
 * topic prefix (docs/kafka.md). The producer connects when its component starts.
 *
 * @example
 * const { kafka, producer } = createServiceBus(config, 'history', logger);
 */
export function createServiceBus(
  config: KafkaConfig & { readonly KAFKA_TOPIC_PREFIX: string },
  service: string,
  logger: Logger,
): { kafka: Kafka; producer: EventProducer } {
  const kafka = createKafkaClient({ ...kafkaClientOptions(config), clientId: `parley-${service}`, logger });
  const producer = createEventProducer({
    kafka,
    source: `parley/${service}`,
    topicPrefix: config.KAFKA_TOPIC_PREFIX,
    logger,
  });
  return { kafka, producer };
}
