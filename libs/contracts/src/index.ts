export * from './api/index.js';
export { customFieldName } from './custom-fields.js';
export * from './events.js';
export { identifiers } from './identifiers.js';
export { renderJsonSchemas } from './json-schemas.js';
export { type KafkaAccess, type KafkaPrincipal, loadKafkaAccess } from './kafka-access.js';
export { limits } from './limits.js';
export { type EventContract, type EventOf, eventContracts, type TopicName, topicNames } from './registry.js';
export { type StreamCloseCode, streamCloseCodes } from './stream-close-codes.js';
