import type { WebSocket } from '@fastify/websocket';
import { streamCloseCodes } from '@parley/contracts';
import type { FastifyInstance } from 'fastify';
import { openStreamConnection, type StreamConnectionDeps } from '../domain/stream-connection.js';

export type StreamRouteDeps = StreamConnectionDeps;

/** The subprotocol a client offers, and the one that carries its token: `parley.token.<token>`. */
export const streamProtocol = 'parley.v1';
const tokenProtocolPrefix = 'parley.token.';

/**
 * `GET /v1/stream`: a device's live connection (domain/stream-connection.ts). The session token
 * comes in the first frame (`{type:"auth", token}`) or as the subprotocol `parley.token.<token>`
 * beside `parley.v1` — never in the URL. After authorization the device gets `ready`, then live
 * `message` frames; it sends `send` frames (each authorized by the brand, answered by `ack` or
 * `error`) and `ping`s.
 */
export function registerStreamRoute(app: FastifyInstance, deps: StreamRouteDeps): void {
  app.get('/v1/stream', { websocket: true }, (socket: WebSocket, request) => {
    // The device's last seen seq, `?after=<seq>` (not a secret, so the URL is fine).
    const cursor = Math.max(
      0,
      Number.parseInt(String((request.query as { after?: string }).after ?? '0'), 10) || 0,
    );
    const offered = String(request.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((protocol) => protocol.trim());
    const fromProtocol = offered.find((protocol) => protocol.startsWith(tokenProtocolPrefix));
    const connection = openStreamConnection(
      deps,
      {
        send: (frame) => {
          if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame));
        },
        close: (code, reason) => socket.close(code, reason),
        ping: () => socket.ping(),
        terminate: () => socket.terminate(),
        isOpen: () => socket.readyState === socket.OPEN,
      },
      {
        cursor,
        ...(fromProtocol ? { token: fromProtocol.slice(tokenProtocolPrefix.length) } : {}),
        onFrameError: (error) => request.log.error({ err: error }, 'stream frame failed'),
      },
    );
    socket.on('pong', () => connection.ponged());
    socket.on('close', () => connection.closed());
    socket.on('message', (data) => connection.received(data.toString()));
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
