import type { ParleyClientError } from './parley-client-error.js';
import { type ClientFrame, readServerFrame, type ServerFrame } from './protocol.js';
import type { Timers } from './scheduling.js';

// Handlers typed as methods are checked bivariantly, so both the DOM WebSocket (whose handlers take
// DOM events) and the `ws` package's (whose handlers take its own event classes) fit.
type Handler<E> = { handle(event: E): void }['handle'];

/**
 * The part of a WebSocket the client uses: the browser's `WebSocket` and the `ws` package's fit.
 *
 * @example
 * const socket: WebSocketLike = new WebSocket('wss://chat.acme.example/v1/stream', ['parley.v1']);
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ readonly data: unknown }> | null;
  onclose: Handler<{ readonly code: number; readonly reason: string }> | null;
  onerror: Handler<unknown> | null;
}

/**
 * A WebSocket class: `globalThis.WebSocket` in browsers, `WebSocket` from `ws` in Node.
 *
 * @example
 * import WebSocket from 'ws';
 * const WebSocketClass: WebSocketConstructorLike = WebSocket;
 */
export type WebSocketConstructorLike = new (url: string, protocols?: string | string[]) => WebSocketLike;

const openState = 1;
const ignore = () => {};

/** One live connection: frames out, frames in, and a heartbeat that notices a dead link. */
export interface StreamConnection {
  /** Sends a frame when the socket is open; false otherwise. */
  send(frame: ClientFrame): boolean;
  /** Closes the socket on purpose: no close is reported. */
  close(): void;
}

/**
 * Opens one WebSocket. Every `heartbeatIntervalMs` it sends a `ping` frame; when nothing at all
 * came back by the next beat the link is taken as dead (a browser cannot see the server's
 * protocol pings, and a half-open TCP connection may never report a close). A close, by the server
 * or the heartbeat, is reported once through `onClose`.
 */
export function openStreamConnection(deps: {
  WebSocket: WebSocketConstructorLike;
  url: string;
  protocols: string[];
  heartbeatIntervalMs: number;
  timers: Timers;
  onFrame: (frame: ServerFrame) => void;
  onClose: (code: number, reason: string) => void;
  onProblem: (error: ParleyClientError) => void;
}): StreamConnection {
  const { timers, heartbeatIntervalMs } = deps;
  const socket = new deps.WebSocket(deps.url, deps.protocols);
  let finished = false;
  let heardSinceBeat = true;
  let beat: unknown;

  function send(frame: ClientFrame): boolean {
    if (finished || socket.readyState !== openState) return false;
    try {
      socket.send(JSON.stringify(frame));
      return true;
    } catch {
      return false; // closing under our feet: the close event follows
    }
  }

  function detach(): void {
    finished = true;
    if (beat !== undefined) timers.clearTimeout(beat);
    // No-ops rather than null: the `ws` package throws on an 'error' nobody listens to.
    socket.onopen = ignore;
    socket.onmessage = ignore;
    socket.onclose = ignore;
    socket.onerror = ignore;
  }

  function finish(code: number, reason: string): void {
    if (finished) return;
    detach();
    deps.onClose(code, reason);
  }

  function scheduleBeat(): void {
    if (heartbeatIntervalMs <= 0) return;
    beat = timers.setTimeout(() => {
      if (!heardSinceBeat) {
        closeSocket(4000, 'heartbeat timeout');
        return finish(1006, 'heartbeat timeout');
      }
      heardSinceBeat = false;
      send({ type: 'ping' });
      scheduleBeat();
    }, heartbeatIntervalMs);
  }

  function closeSocket(code: number, reason: string): void {
    try {
      socket.close(code, reason);
    } catch {
      // already closed
    }
  }

  socket.onopen = () => scheduleBeat();
  socket.onmessage = (event) => {
    heardSinceBeat = true;
    let frame: ServerFrame | null;
    try {
      frame = readServerFrame(event.data);
    } catch (error) {
      return deps.onProblem(error as ParleyClientError);
    }
    if (frame) deps.onFrame(frame);
  };
  socket.onclose = (event) => finish(event.code, event.reason);
  socket.onerror = ignore; // a close event follows with the code

  return {
    send,
    close() {
      if (finished) return;
      detach();
      closeSocket(1000, 'client closed');
    },
  };
}
