export type { ClientStatus, ParleyClient } from './client-api.js';
export type { ParleyClientOptions } from './client-options.js';
export type { FetchLike, FetchResponseLike, SentMessage } from './http-api.js';
export { createOAuthState, verifyOAuthState } from './oauth-state.js';
export { createParleyClient } from './parley-client.js';
export {
  ParleyClientError,
  type ParleyErrorCode,
  type ParleyLocalErrorCode,
  type ParleyServerErrorCode,
} from './parley-client-error.js';
export { createPkcePair, type PkcePair } from './pkce.js';
export {
  type CustomerData,
  type CustomerInfo,
  type MessageAuthor,
  type SessionInfo,
  streamCloseCodes,
  type ThreadMessage,
} from './protocol.js';
export type { Timers } from './scheduling.js';
export { createMemoryStorage, type SessionStorage, type WebStorageLike } from './session-storage.js';
export type { WebSocketConstructorLike, WebSocketLike } from './stream-connection.js';
export type { CryptoLike } from './web-crypto.js';
