export { aclsFor, type EnsureAclsOptions, ensureAcls } from './acls.js';
export {
  type CloudEventAttributes,
  cloudEventHeaders,
  readCloudEventHeaders,
} from './cloud-events.js';
export type { EventConsumer, EventConsumerOptions, EventHandlers, EventMeta } from './consumer-options.js';
export { consumerComponent, createEventConsumer } from './event-consumer.js';
export {
  createEventProducer,
  type EventProducer,
  type EventProducerOptions,
  type PublishOptions,
  producerComponent,
} from './event-producer.js';
export {
  createKafkaClient,
  type KafkaClientOptions,
  type KafkaConfig,
  type KafkaConnectionOptions,
  kafkaClientOptions,
} from './kafka-client.js';
export { type KeyedOutcome, processInKeyOrder } from './keyed-concurrency.js';
export { createServiceBus } from './service-bus.js';
export { dlqTopicFor, type EnsureTopicsOptions, ensureTopics, topicNameFor } from './topics.js';
