import { clientFrame, identifiers, type ServerFrame, streamCloseCodes } from '@parley/contracts';
import { type ParleyError, toParleyError } from '@parley/errors';
import { inSpan } from '@parley/ops';
import { z } from 'zod';
import { admitCustomerMessage, type CustomerMessageDeps, sendCustomerMessage } from './customer-messages.js';
import { authorizeCustomerSession } from './customer-sessions.js';
import { parse } from './input.js';
import type { ConnectionRegistry, HistoryPort } from './ports.js';
import { readThread } from './thread-sync.js';

/** The socket of one device, as the connection sees it (a WebSocket in http/stream-route.ts). */
export interface StreamSocket {
  /** Sends a frame if the socket is still open (dropped otherwise). */
  send(frame: object): void;
  close(code: number, reason: string): void;
  ping(): void;
  terminate(): void;
  isOpen(): boolean;
}

export interface StreamConnectionDeps extends CustomerMessageDeps {
  readonly history: HistoryPort;
  readonly connections: ConnectionRegistry;
  readonly heartbeatMs?: number;
  readonly authTimeoutMs?: number;
  /** How often an open stream asks auth (and so the brand) again whether its session still stands. */
  readonly reauthorizeMs?: number;
  /** Frames of one socket that may wait while one is handled (a send waits for the brand); past it: 1008. */
  readonly maxPendingFrames?: number;
}

/** What the transport tells a connection. */
export interface StreamConnection {
  /** A text frame from the device. */
  received(raw: string): void;
  /** The device answered a ping. */
  ponged(): void;
  /** The socket closed (whoever closed it). */
  closed(): void;
}

/** A client frame, or a send frame refused for its message (answered with an `error` frame). */
type ReadFrame =
  | z.output<typeof clientFrame>
  | { readonly type: 'refused'; readonly clientMessageId: string; readonly error: ParleyError };

const sendFrameId = z.object({
  type: z.literal('send'),
  clientMessageId: identifiers.clientMessageId,
});

/**
 * A client frame, by the same parsing as every HTTP body (so text the store cannot hold is refused
 * here too). A send frame that names its message but is otherwise refused (text too long, a NUL
 * character) is `refused`, to be answered for that message; anything else that is not a frame is
 * undefined (the stream closes with 4400).
 */
export function readFrame(raw: string): ReadFrame | undefined {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return undefined;
  }
  try {
    return parse(clientFrame, json, 'frame');
  } catch (error) {
    const named = sendFrameId.safeParse(json);
    return named.success
      ? { type: 'refused', clientMessageId: named.data.clientMessageId, error: toParleyError(error) }
      : undefined;
  }
}

/** The close code of a stream whose authorization failed (docs/api.md, "Close codes"). */
export function closeCodeFor(error: ParleyError): number {
  if (error.code === 'reauthentication_required') return streamCloseCodes.reauthenticationRequired;
  if (error.code === 'unauthenticated') return streamCloseCodes.unauthenticated;
  if (error.code === 'rate_limited') return streamCloseCodes.rateLimited;
  return streamCloseCodes.unavailable;
}

const refusalReasons = {
  session_limit: 'too many streams of this session',
  customer_limit: 'too many streams of this customer',
} as const;

/**
 * A device's live connection, free of any transport: authorization (by the first frame
 * `{type:"auth", token}` or a token the transport already has), `ready` and the sync from the
 * device's cursor, live frames (through the connection registry), periodic re-checks, `send`
 * frames (the customer-message use case, answered by `ack` or `error`), pings, and closing.
 * The session checks, quota and error codes are those of the HTTP routes (the same use cases).
 */
export function openStreamConnection(
  deps: StreamConnectionDeps,
  socket: StreamSocket,
  options: {
    /** The device's last seen seq (`?after=<seq>`). */
    readonly cursor: number;
    /** The token the transport carried (the subprotocol `parley.token.<token>`), if any. */
    readonly token?: string;
    /** A frame whose handling failed unexpectedly (logged by the transport). */
    readonly onFrameError: (error: unknown) => void;
  },
): StreamConnection {
  const {
    history,
    connections,
    heartbeatMs = 25_000,
    authTimeoutMs = 10_000,
    reauthorizeMs = 60_000,
    maxPendingFrames = 32,
  } = deps;
  const { cursor } = options;
  // Every frame this connection sends is one of the AsyncAPI document's (`serverFrame`).
  const send = (frame: ServerFrame) => socket.send(frame);
  const close = (code: number, reason: string) => socket.close(code, reason.slice(0, 120));
  let token: string | undefined;
  let authorizing: Promise<boolean> | undefined;
  let unregister: (() => void) | undefined;
  let closed = false;
  let alive = true;
  // Frames of one socket are handled one after another: a device's messages keep their order.
  // Bounded: a device that does not wait for its acks is closed, not buffered without end.
  let queue: Promise<void> = Promise.resolve();
  let pending = 0;

  const heartbeat = setInterval(() => {
    if (!alive) return socket.terminate();
    alive = false;
    socket.ping();
  }, heartbeatMs);
  const authTimer = setTimeout(() => {
    if (!token) close(streamCloseCodes.authTimeout, 'no credentials');
  }, authTimeoutMs);
  // A grant revoked at the brand, or an expiry, closes this stream at the next check (a logout
  // closes it at once, through the session.ended event). The check counts against the session's
  // quota like a message, and fails closed: a session whose quota is used up, or whose check
  // cannot reach auth or the brand, loses its stream (4429, 4503) rather than reading on unchecked.
  // Each wait is a random share (half to all) of the interval, so that streams opened together (a
  // reconnect storm after a rollout) do not all ask the brand at the same moment.
  let recheck: NodeJS.Timeout | undefined;
  const scheduleRecheck = () => {
    recheck = setTimeout(
      () => {
        if (closed) return;
        scheduleRecheck();
        if (!token || !unregister) return;
        authorizeCustomerSession(deps, token, 'stream checks').catch((error: unknown) => {
          const failure = toParleyError(error);
          close(closeCodeFor(failure), failure.code);
        });
      },
      reauthorizeMs * (0.5 + Math.random() / 2),
    );
  };
  scheduleRecheck();

  async function authorize(sessionToken: string, after: number): Promise<boolean> {
    token = sessionToken;
    try {
      const session = await authorizeCustomerSession(deps, sessionToken, 'stream connects');
      if (closed) return false; // the device left while it was being authorized
      // Registered before the sync is read, so nothing stored meanwhile is missed (the client
      // drops what it already has by seq).
      const registered = connections.add(session.tenantId, session.customerKey, {
        sessionId: session.sessionId,
        deviceId: session.deviceId,
        send,
        close,
      });
      if ('refused' in registered) {
        close(streamCloseCodes.tooManyStreams, refusalReasons[registered.refused]);
        return false;
      }
      unregister = registered.unregister;
      send({ type: 'ready', threadId: session.threadId, sessionId: session.sessionId });
      send({ type: 'sync', ...(await readThread(history, session, { after, limit: 200 })) });
      return true;
    } catch (error) {
      const failure = toParleyError(error);
      close(closeCodeFor(failure), failure.code);
      return false;
    }
  }

  async function handle(raw: string) {
    const frame = readFrame(raw);
    if (!frame) return close(streamCloseCodes.badFrame, 'invalid frame');
    if (frame.type === 'ping') return send({ type: 'pong' });
    if (frame.type === 'auth') {
      if (token) return close(streamCloseCodes.badFrame, 'already authorized');
      authorizing = authorize(frame.token, frame.after ?? cursor);
      return void (await authorizing);
    }
    // A send right after opening waits for the authorization under way.
    if (!token || !(await authorizing) || !unregister)
      return close(streamCloseCodes.unauthenticated, 'authorize first');
    // Nothing refused is published.
    if (frame.type === 'refused') {
      const { code, message } = frame.error.toPublic();
      return send({ type: 'error', clientMessageId: frame.clientMessageId, code, message });
    }
    try {
      admitCustomerMessage(deps, token);
    } catch (error) {
      const failure = toParleyError(error);
      const retryAfterSeconds = failure.context?.retryAfterSeconds;
      return send({
        type: 'error',
        clientMessageId: frame.clientMessageId,
        code: failure.code,
        ...(typeof retryAfterSeconds === 'number' ? { retryAfterSeconds } : {}),
      });
    }
    try {
      // Each send frame is a trace of its own (docs/operations.md, "Tracing").
      const sender = token;
      const { messageId, threadId } = await inSpan(
        'WebSocket send',
        { kind: 'server', root: true, attributes: { 'parley.stream.frame': 'send' } },
        () => sendCustomerMessage(deps, sender, { clientMessageId: frame.clientMessageId, text: frame.text }),
      );
      send({ type: 'ack', clientMessageId: frame.clientMessageId, messageId, threadId });
    } catch (error) {
      const failure = toParleyError(error);
      const { code, message } = failure.toPublic();
      send({ type: 'error', clientMessageId: frame.clientMessageId, code, message });
      if (failure.code === 'reauthentication_required' || failure.code === 'unauthenticated')
        close(closeCodeFor(failure), failure.code);
    }
  }

  if (options.token) authorizing = authorize(options.token, cursor);

  return {
    received(raw) {
      if (!socket.isOpen()) return; // closing: what is still in flight is dropped
      if (pending >= maxPendingFrames)
        return close(streamCloseCodes.tooManyPendingFrames, 'too many frames waiting');
      pending += 1;
      queue = queue
        .then(() => (closed ? undefined : handle(raw)))
        .catch(options.onFrameError)
        .finally(() => {
          pending -= 1;
        });
    },
    ponged() {
      alive = true;
    },
    closed() {
      closed = true;
      clearInterval(heartbeat);
      clearTimeout(recheck);
      clearTimeout(authTimer);
      unregister?.();
    },
  };
}
