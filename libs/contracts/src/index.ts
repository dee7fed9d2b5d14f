export * from './events.js';
export { renderJsonSchemas } from './json-schemas.js';
export { type EventContract, eventContracts, type TopicName, type EventOf, topicNames } from './registry.js';
