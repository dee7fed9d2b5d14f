export * from './events.js';
export { renderJsonSchemas } from './json-schemas.js';
export { type EventContract, type EventOf, eventContracts, type TopicName, topicNames } from './registry.js';
