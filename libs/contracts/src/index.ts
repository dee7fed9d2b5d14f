export * from './events.js';
export { renderJsonSchemas } from './json-schemas.js';
export { type KafkaAccess, type KafkaPrincipal, loadKafkaAccess } from './kafka-access.js';
export { type EventContract, type EventOf, eventContracts, type TopicName, topicNames } from './registry.js';
