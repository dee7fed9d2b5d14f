import type { WebSocket } from '@fastify/websocket';
import { type ParleyError, toParleyError } from '@parley/errors';
import type { AuthServiceDefinition, HistoryServiceDefinition, ServiceClient } from '@parley/grpc';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ConnectionRegistry } from '../domain/connection-registry.js';
import { streamCloseCodes } from '../domain/connection-registry.js';
import type { SessionQuota } from '../domain/session-quota.js';
import { type MessageSender, outgoingMessage } from './message-sender.js';
import { parse } from './request-parsing.js';
import { syncPage } from './thread-routes.js';

export interface StreamRouteDeps {
  readonly auth: ServiceClient<AuthServiceDefinition>;
  readonly history: ServiceClient<HistoryServiceDefinition>;
  readonly sendMessage: MessageSender;
  readonly connections: ConnectionRegistry;
  readonly sessionQuota: SessionQuota;
  readonly heartbeatMs?: number;
  readonly authTimeoutMs?: number;
  /** How often an open stream asks auth (and so the brand) again whether its session still stands. */
  readonly reauthorizeMs?: number;
  /** Frames of one socket that may wait while one is handled (a send waits for the brand); past it: 1008. */
  readonly maxPendingFrames?: number;
}

/** The subprotocol a client offers, and the one that carries its token: `parley.token.<token>`. */
export const streamProtocol = 'parley.v1';
const tokenProtocolPrefix = 'parley.token.';

const clientFrame = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('auth'),
      token: z.string().min(1).max(4096),
      after: z.number().int().min(0).optional(),
    })
    .strict(),
  z
    .object({ type: z.literal('send') })
    .extend(outgoingMessage.shape)
    .strict(),
  z.object({ type: z.literal('ping') }).strict(),
]);

/** A client frame, or a send frame refused for its message (answered with an `error` frame). */
type ReadFrame =
  | z.output<typeof clientFrame>
  | { readonly type: 'refused'; readonly clientMessageId: string; readonly error: ParleyError };

const sendFrameId = z.object({
  type: z.literal('send'),
  clientMessageId: outgoingMessage.shape.clientMessageId,
});

/**
 * A client frame, by the same parsing as every HTTP body (so text the store cannot hold is refused
 * here too). A send frame that names its message but is otherwise refused (text too long, a NUL
 * character) is `refused`, to be answered for that message; anything else that is not a frame is
 * undefined (the stream closes with 4400).
 */
function readFrame(raw: string): ReadFrame | undefined {
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

function closeCodeFor(error: ParleyError): number {
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
 * `GET /v1/stream`: a device's live connection. The session token comes in the first frame
 * (`{type:"auth", token}`) or as the subprotocol `parley.token.<token>` beside `parley.v1` — never
 * in the URL. After authorization the device gets `ready`, then live `message` frames; it sends
 * `send` frames (each authorized by the brand, answered by `ack` or `error`) and `ping`s.
 */
export function registerStreamRoute(app: FastifyInstance, deps: StreamRouteDeps): void {
  const {
    auth,
    history,
    sendMessage,
    connections,
    sessionQuota,
    heartbeatMs = 25_000,
    authTimeoutMs = 10_000,
    reauthorizeMs = 60_000,
    maxPendingFrames = 32,
  } = deps;

  app.get('/v1/stream', { websocket: true }, (socket: WebSocket, request) => {
    // The device's last seen seq, `?after=<seq>` (not a secret, so the URL is fine).
    const cursor = Math.max(
      0,
      Number.parseInt(String((request.query as { after?: string }).after ?? '0'), 10) || 0,
    );
    const send = (frame: object) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame));
    };
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
    socket.on('pong', () => {
      alive = true;
    });
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
          const sessionToken = token;
          Promise.resolve()
            .then(() => sessionQuota.take(sessionToken, 'stream checks'))
            .then(() => auth.call.AuthorizeMessage({ sessionToken }))
            .catch((error: unknown) => {
              const failure = toParleyError(error);
              close(closeCodeFor(failure), failure.code);
            });
        },
        reauthorizeMs * (0.5 + Math.random() / 2),
      );
    };
    scheduleRecheck();
    socket.on('close', () => {
      closed = true;
      clearInterval(heartbeat);
      clearTimeout(recheck);
      clearTimeout(authTimer);
      unregister?.();
    });

    async function authorize(sessionToken: string, after: number): Promise<boolean> {
      token = sessionToken;
      try {
        sessionQuota.take(sessionToken, 'stream connects');
        const session = await auth.call.AuthorizeMessage({ sessionToken });
        sessionQuota.learn(sessionToken, session.sessionId);
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
        const page = await history.call.Sync({
          tenantId: session.tenantId,
          customerKey: session.customerKey,
          threadId: session.threadId,
          afterSeq: after,
          limit: 200,
        });
        send({ type: 'sync', ...syncPage(page) });
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
        sessionQuota.take(token, 'messages');
      } catch (error) {
        const failure = toParleyError(error);
        return send({
          type: 'error',
          clientMessageId: frame.clientMessageId,
          code: failure.code,
          retryAfterSeconds: failure.context?.retryAfterSeconds,
        });
      }
      try {
        const { messageId, threadId, session } = await sendMessage(token, {
          clientMessageId: frame.clientMessageId,
          text: frame.text,
        });
        sessionQuota.learn(token, session.sessionId);
        send({ type: 'ack', clientMessageId: frame.clientMessageId, messageId, threadId });
      } catch (error) {
        const failure = toParleyError(error);
        const { code, message } = failure.toPublic();
        send({ type: 'error', clientMessageId: frame.clientMessageId, code, message });
        if (failure.code === 'reauthentication_required' || failure.code === 'unauthenticated')
          close(closeCodeFor(failure), failure.code);
      }
    }

    socket.on('message', (data) => {
      if (socket.readyState !== socket.OPEN) return; // closing: what is still in flight is dropped
      if (pending >= maxPendingFrames)
        return close(streamCloseCodes.tooManyPendingFrames, 'too many frames waiting');
      pending += 1;
      queue = queue
        .then(() => (closed ? undefined : handle(data.toString())))
        .catch((error: unknown) => request.log.error({ err: error }, 'stream frame failed'))
        .finally(() => {
          pending -= 1;
        });
    });

    const offered = String(request.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((protocol) => protocol.trim());
    const fromProtocol = offered.find((protocol) => protocol.startsWith(tokenProtocolPrefix));
    if (fromProtocol) authorizing = authorize(fromProtocol.slice(tokenProtocolPrefix.length), cursor);
  });
}

/**
 * Closes every stream on shutdown (`preClose` of the WebSocket plugin): each with 1001, so devices
 * reconnect to another pod and sync — those not authorized yet too. A client that does not answer
 * the close within `graceMs` is cut off, so that a silent peer cannot hold the pod's exit.
 */
export function closeStreamsOnShutdown(graceMs = 2000) {
  return function preClose(this: FastifyInstance, done: (error?: Error) => void): void {
    const clients = this.websocketServer.clients;
    for (const client of clients) client.close(streamCloseCodes.goingAway, 'server shutting down');
    if (clients.size > 0) {
      setTimeout(() => {
        for (const client of clients) client.terminate();
      }, graceMs).unref();
    }
    done();
  };
}

/** Picks `parley.v1` among the offered subprotocols (the token one is never echoed back). */
export function selectStreamProtocol(protocols: Set<string>): string | false {
  return protocols.has(streamProtocol) ? streamProtocol : false;
}
