import { limits } from '@parley/contracts/limits';
import type { ClientStatus, ParleyClient } from './client-api.js';
import { type ParleyClientOptions, resolveOptions } from './client-options.js';
import { createHttpApi } from './http-api.js';
import { createListenerSet } from './listener-set.js';
import { createMessageSending } from './message-sending.js';
import { createMessageSync } from './message-sync.js';
import { isSessionRefused, ParleyClientError } from './parley-client-error.js';
import {
  type ServerFrame,
  streamCloseCodes,
  streamProtocol,
  type ThreadMessage,
  tokenProtocolPrefix,
} from './protocol.js';
import { backoffDelay } from './scheduling.js';
import { createSessionStore } from './session-storage.js';
import { openStreamConnection, type StreamConnection } from './stream-connection.js';
import { randomMessageId } from './web-crypto.js';

/** The error a server-side close is reported as (4503 carries the failure's code as its reason). */
function closeError(code: number, reason: string): ParleyClientError {
  const errorCode =
    code === streamCloseCodes.badFrame ? 'bad_frame' : /^[a-z_]+$/.test(reason) ? reason : 'stream_closed';
  return new ParleyClientError(
    errorCode,
    `the server closed the stream (${code}${reason ? ` ${reason}` : ''})`,
    {
      closeCode: code,
    },
  );
}

/**
 * Creates a chat client for one customer on this device. It does nothing until `authorize()` or
 * `resume()`. Throws `invalid_argument` for bad options and `unsupported_environment` when fetch,
 * WebSocket or Web Crypto is missing.
 *
 * @example
 * const client = createParleyClient({
 *   baseUrl: 'https://chat.acme.example',
 *   tenantId: 'acme',
 *   channelId: 'web',
 *   redirectUri: 'https://www.acme.example/chat/callback',
 *   device: { id: deviceId },
 *   storage: window.localStorage,
 * });
 * client.onMessage((message) => render(message));
 * client.onReauthenticationRequired(() => showSignIn());
 * if (!client.resume()) showSignIn();
 */
export function createParleyClient(options: ParleyClientOptions): ParleyClient {
  const config = resolveOptions(options);
  const { timers, now } = config;
  const events = {
    message: createListenerSet<ThreadMessage>(),
    reauthenticationRequired: createListenerSet<void>(),
    status: createListenerSet<ClientStatus>(),
    error: createListenerSet<ParleyClientError>(),
  };
  const report = (error: ParleyClientError) => events.error.emit(error);
  const api = createHttpApi(config);
  const store = createSessionStore({
    storage: config.storage,
    keyPrefix: config.storageKeyPrefix,
    onError: report,
  });
  const retryDelay = (attempt: number, error?: ParleyClientError) =>
    error?.retryAfterSeconds === undefined
      ? backoffDelay(attempt, config.backoff)
      : error.retryAfterSeconds * 1000;

  /** Where a thread's messages start for this client: after the stored last seq, or from the start. */
  const startingSeq = (thread: string | null) =>
    thread && !config.replayHistory ? store.loadLastSeq(thread) : 0;

  let current = store.loadSession();
  let threadId = current?.session.threadId ?? null; // the thread `delivered` and `lastSeq` belong to
  let status: ClientStatus = 'idle';
  let delivered: ThreadMessage[] = [];
  let snapshot: readonly ThreadMessage[] | null = null;
  let stream: StreamConnection | null = null;
  let live = false; // the stream is authorized: sends go over it
  let synced = false; // its sync frame arrived: from now on gaps are filled over HTTP
  let liveSince: number | undefined;
  let reconnectTimer: unknown;
  let reconnectAttempt = 0;

  /** An HTTP call with the session; a refused session ends here, whoever made the call. */
  async function withSession<T>(call: (token: string) => Promise<T>): Promise<T> {
    const token = current?.token;
    if (!token) throw new ParleyClientError('not_signed_in', 'there is no session: sign in first');
    try {
      return await call(token);
    } catch (error) {
      if (isSessionRefused(error) && current?.token === token) endSession('reauthentication_required');
      throw error;
    }
  }

  const sync = createMessageSync({
    lastSeq: startingSeq(threadId),
    pageSize: limits.syncPageSize.max, // as many as ingress serves per page
    fetchPage: (after, limit) => withSession((token) => api.syncMessages(token, after, limit)),
    deliver(batch) {
      delivered.push(...batch);
      snapshot = null;
      if (threadId) store.saveLastSeq(threadId, sync.lastSeq);
      for (const message of batch) events.message.emit(message);
    },
    shouldRetry(error) {
      if (isSessionRefused(error) || error.code === 'not_signed_in') return false;
      report(error);
      return true;
    },
    retryDelay,
    timers,
  });

  const sending = createMessageSending({
    signedIn: () => current !== null,
    sendOverHttp: (message) => withSession((token) => api.sendMessage(token, message)),
    sendFrame: (frame) => live && (stream?.send(frame) ?? false),
    newMessageId: () => randomMessageId(config.crypto),
    retries: config.retries,
    ackTimeoutMs: config.ackTimeoutMs,
    retryDelay,
    timers,
  });

  function setStatus(next: ClientStatus): void {
    if (status === next) return;
    status = next;
    events.status.emit(next);
  }

  function handleFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'ready':
        live = true;
        liveSince = now();
        setStatus('live');
        return;
      case 'sync':
        if (frame.threadId !== threadId) return;
        synced = true;
        sync.acceptPage(frame.messages);
        // More than one page missed, or live frames that came first are still ahead of it.
        if (frame.hasMore || sync.hasGap) sync.catchUp();
        return;
      case 'message':
        // Frames go to all the customer's devices: in live-chat mode other sessions have other threads.
        if (frame.threadId === threadId) sync.acceptLive(frame.message, synced);
        return;
      case 'ack':
      case 'error':
        sending.answer(frame);
        return;
      case 'pong':
        return;
    }
  }

  function handleClose(code: number, reason: string): void {
    stream = null;
    live = false;
    synced = false;
    sending.interrupt();
    if (code === streamCloseCodes.reauthenticationRequired || code === streamCloseCodes.unauthenticated) {
      endSession('reauthentication_required');
      return;
    }
    if (code >= 4000) report(closeError(code, reason));
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (liveSince !== undefined && now() - liveSince >= config.stableAfterMs) reconnectAttempt = 0;
    liveSince = undefined;
    const delay = backoffDelay(reconnectAttempt, config.backoff);
    reconnectAttempt += 1;
    setStatus('offline');
    reconnectTimer = timers.setTimeout(() => {
      reconnectTimer = undefined;
      connect();
    }, delay);
  }

  function cancelReconnect(): void {
    if (reconnectTimer !== undefined) timers.clearTimeout(reconnectTimer);
    reconnectTimer = undefined;
  }

  function closeStream(): void {
    const open = stream;
    stream = null;
    live = false;
    synced = false;
    liveSince = undefined;
    if (!open) return;
    open.close();
    sending.interrupt();
  }

  function connect(): void {
    cancelReconnect();
    closeStream();
    if (!current) return;
    setStatus('connecting');
    try {
      stream = openStreamConnection({
        WebSocket: config.WebSocket,
        // The cursor is no secret; the token goes in a subprotocol, never in the URL.
        url: `${config.baseUrl.replace(/^http/, 'ws')}/v1/stream?after=${sync.lastSeq}`,
        protocols: [streamProtocol, `${tokenProtocolPrefix}${current.token}`],
        heartbeatIntervalMs: config.heartbeatIntervalMs,
        timers,
        onFrame: handleFrame,
        onClose: handleClose,
        onProblem: report,
      });
    } catch (error) {
      // The WebSocket constructor refused (a malformed URL, say): retried like a dropped stream.
      report(new ParleyClientError('stream_closed', 'the stream could not be opened', { cause: error }));
      scheduleReconnect();
    }
  }

  function endSession(next: 'reauthentication_required' | 'signed_out'): void {
    current = null;
    cancelReconnect();
    closeStream();
    sync.stop();
    if (next === 'signed_out') {
      store.clearAll();
      threadId = null;
      delivered = [];
      snapshot = null;
      sync.reset(0);
    } else {
      store.clearSession();
    }
    setStatus(next);
    if (next === 'reauthentication_required') events.reauthenticationRequired.emit();
  }

  return {
    async authorize(code, codeVerifier, extra = {}) {
      const { token, session } = await api.createSession({
        code,
        redirectUri: config.redirectUri,
        device: config.device,
        ...(codeVerifier ? { codeVerifier } : {}),
        ...(extra.iss ? { iss: extra.iss } : {}),
      });
      current = { token, session };
      store.saveSession(current);
      if (session.threadId !== threadId) {
        threadId = session.threadId;
        delivered = [];
        snapshot = null;
        sync.reset(startingSeq(threadId));
      }
      reconnectAttempt = 0;
      connect();
      return session;
    },

    resume() {
      if (!current) return false;
      const expiresAt = Date.parse(current.session.expiresAt);
      if (expiresAt <= now()) {
        current = null;
        store.clearSession();
        return false;
      }
      if (stream === null && reconnectTimer === undefined) connect();
      return true;
    },

    send: (text) => sending.send(text),
    getCustomerData: () => withSession((token) => api.getCustomerData(token)),
    onMessage: (listener) => events.message.add(listener),
    onReauthenticationRequired: (listener) => events.reauthenticationRequired.add(listener),
    onStatus: (listener) => events.status.add(listener),
    onError: (listener) => events.error.add(listener),

    async logout({ allDevices = false } = {}) {
      const token = current?.token;
      // Closed first, so the server ending the session does not look like a refusal.
      cancelReconnect();
      closeStream();
      sync.stop();
      try {
        if (token) await api.endSession(token, allDevices);
      } catch (error) {
        if (!isSessionRefused(error)) throw error; // a session the server had already ended is fine
      } finally {
        endSession('signed_out');
      }
    },

    close() {
      cancelReconnect();
      closeStream();
      sync.stop();
      if (status === 'connecting' || status === 'live' || status === 'offline') setStatus('idle');
    },

    get session() {
      return current?.session ?? null;
    },
    get messages() {
      snapshot ??= Object.freeze(delivered.slice());
      return snapshot;
    },
    get lastSeq() {
      return sync.lastSeq;
    },
    get status() {
      return status;
    },
  };
}
