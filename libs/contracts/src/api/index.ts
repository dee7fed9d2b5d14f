export * from './admin-api.js';
export * from './agent-bot-api.js';
export * from './channels.js';
export * from './customer-api.js';
export * from './error-body.js';
export * from './stream-frames.js';
export * from './thread-message.js';
