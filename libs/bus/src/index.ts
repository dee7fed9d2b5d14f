export { createKafkaClient, type KafkaClientOptions } from './kafka-client.js';
export { type CloudEventAttributes, cloudEventHeaders, readCloudEventHeaders, newTraceparent } from './cloud-events.js';
export { createEventProducer, type EventProducer, type EventProducerOptions, type PublishOptions } from './event-producer.js';
export {
  createEventConsumer,
  type EventConsumer,
  type EventConsumerOptions,
  type EventHandlers,
  type EventMeta,
} from './event-consumer.js';
export { processInKeyOrder, type KeyedOutcome } from './keyed-concurrency.js';
export { ensureTopics, topicNameFor, dlqTopicFor, type EnsureTopicsOptions } from './topics.js';
