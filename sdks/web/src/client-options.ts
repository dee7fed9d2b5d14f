import type { FetchLike } from './http-api.js';
import { ParleyClientError } from './parley-client-error.js';
import { platformTimers, type Timers } from './scheduling.js';
import {
  createMemoryStorage,
  type SessionStorage,
  toSessionStorage,
  type WebStorageLike,
} from './session-storage.js';
import type { WebSocketConstructorLike } from './stream-connection.js';
import { type CryptoLike, platformCrypto } from './web-crypto.js';

/**
 * How to reach Parley and who this device is. Only the first five are required.
 *
 * @example
 * const options: ParleyClientOptions = {
 *   baseUrl: 'https://chat.acme.example',
 *   tenantId: 'acme',
 *   channelId: 'web',
 *   redirectUri: 'https://www.acme.example/chat/callback',
 *   device: { id: 'laptop-1', platform: 'web' },
 *   storage: window.localStorage,
 * };
 */
export interface ParleyClientOptions {
  /** The ingress base URL, e.g. `http://127.0.0.1:8080`; the stream URL is derived (http→ws, https→wss). */
  baseUrl: string;
  /** Sent as the `Parley-Tenant` header on sign-in. */
  tenantId: string;
  channelId: string;
  /** The redirect URI used at the brand's authorization endpoint (it must match exactly). */
  redirectUri: string;
  /** A stable id of this device (keep it in storage), and its platform (default `web`). */
  device: { id: string; platform?: 'web' | 'ios' | 'android' };
  /**
   * Where the session token, thread id, customer and last seq are kept: in memory by default, so a
   * reload signs out. A browser passes `window.localStorage` (kept across reloads and shared by
   * tabs) or `window.sessionStorage` (one tab); both are adapted as they are.
   */
  storage?: SessionStorage | WebStorageLike;
  /**
   * Deliver the whole thread again when this client is created with a stored session, for a page
   * that keeps no messages of its own across reloads. By default (false) a new client continues
   * after the stored last seq, for apps that keep the messages they were given.
   */
  replayHistory?: boolean;
  /** Prefix of the storage keys (default `parley:<tenantId>:<channelId>:`). */
  storageKeyPrefix?: string;
  /** Default `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Default `globalThis.WebSocket`; in Node pass `WebSocket` from the `ws` package. */
  WebSocket?: WebSocketConstructorLike;
  /** Default `globalThis.crypto` (message ids). */
  crypto?: CryptoLike;
  /** Reconnects wait with exponential backoff and full jitter; the backoff starts over after a stable connection. */
  reconnect?: {
    initialDelayMs?: number;
    maxDelayMs?: number;
    /** How long a connection must have been live for the next reconnect to start at the first delay again. */
    stableAfterMs?: number;
  };
  /** How often a `ping` frame is sent; a connection that answers nothing until the next one is reopened (0: never). */
  heartbeatIntervalMs?: number;
  send?: {
    /** How often a message that failed retriably (network, timeout, 503) is tried again, with the same clientMessageId. */
    retries?: number;
    /** How long a message sent on the stream waits for its `ack` before it is tried again. */
    ackTimeoutMs?: number;
  };
  /** In [0, 1): backoff jitter. Default `Math.random`. */
  random?: () => number;
  /** Milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
  timers?: Timers;
}

export function resolveOptions(options: ParleyClientOptions) {
  const invalid = (message: string) => new ParleyClientError('invalid_argument', `options.${message}`);
  if (!/^https?:\/\/[^/]/.test(options.baseUrl ?? ''))
    throw invalid(`baseUrl must be an http(s) URL, got ${JSON.stringify(options.baseUrl)}`);
  for (const name of ['tenantId', 'channelId', 'redirectUri'] as const)
    if (!options[name]) throw invalid(`${name} is required`);
  if (!options.device?.id) throw invalid('device.id is required');

  const ambient = globalThis as { fetch?: unknown; WebSocket?: unknown };
  const platformFetch = ambient.fetch as FetchLike | undefined;
  const fetch: FetchLike | undefined =
    options.fetch ?? (platformFetch && ((url, init) => platformFetch(url, init))); // never called as a method
  const WebSocket = options.WebSocket ?? (ambient.WebSocket as WebSocketConstructorLike | undefined);
  if (!fetch) throw new ParleyClientError('unsupported_environment', 'no fetch here: pass options.fetch');
  if (!WebSocket)
    throw new ParleyClientError(
      'unsupported_environment',
      "no WebSocket here: pass options.WebSocket (in Node: WebSocket from the 'ws' package)",
    );

  const {
    initialDelayMs = 1000, // 1 s
    maxDelayMs = 30_000, // 30 s
    stableAfterMs = 10_000, // 10 s
  } = options.reconnect ?? {};
  const {
    retries = 3,
    ackTimeoutMs = 20_000, // above ingress's 5 s brand timeout, with room for a token refresh
  } = options.send ?? {};
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 30_000; // 30 s
  const numbers = { initialDelayMs, maxDelayMs, stableAfterMs, retries, ackTimeoutMs, heartbeatIntervalMs };
  for (const [name, value] of Object.entries(numbers))
    if (!Number.isFinite(value) || value < 0) throw invalid(`${name} must be a number ≥ 0, got ${value}`);
  if (initialDelayMs > maxDelayMs) throw invalid('reconnect.initialDelayMs must not exceed maxDelayMs');

  return Object.freeze({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    tenantId: options.tenantId,
    channelId: options.channelId,
    redirectUri: options.redirectUri,
    device: { id: options.device.id, platform: options.device.platform ?? 'web' },
    storage: toSessionStorage(options.storage ?? createMemoryStorage()),
    replayHistory: options.replayHistory ?? false,
    storageKeyPrefix: options.storageKeyPrefix ?? `parley:${options.tenantId}:${options.channelId}:`,
    fetch,
    WebSocket,
    crypto: options.crypto ?? platformCrypto(),
    backoff: { initialDelayMs, maxDelayMs, random: options.random ?? Math.random },
    stableAfterMs,
    heartbeatIntervalMs,
    retries,
    ackTimeoutMs,
    now: options.now ?? Date.now,
    timers: options.timers ?? platformTimers,
  });
}

export type ResolvedOptions = ReturnType<typeof resolveOptions>;
