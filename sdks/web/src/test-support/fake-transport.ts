import type { FetchLike, FetchResponseLike } from '../http-api.js';
import type { ThreadMessage } from '../protocol.js';
import type { Timers } from '../scheduling.js';
import type { WebSocketLike } from '../stream-connection.js';

type Handler<E> = ((event: E) => void) | null;

/** An in-memory WebSocket: the test plays the server with `open`, `receive` and `serverClose`. */
export class FakeSocket implements WebSocketLike {
  readyState = 0;
  readonly sent: Record<string, unknown>[] = [];
  closedByClient: { code: number | undefined; reason: string | undefined } | undefined;
  onopen: Handler<unknown> = null;
  onmessage: Handler<{ data: unknown }> = null;
  onclose: Handler<{ code: number; reason: string }> = null;
  onerror: Handler<unknown> = null;

  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('InvalidStateError: not open');
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(code?: number, reason?: string): void {
    this.closedByClient = { code, reason };
    this.readyState = 3;
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  receive(frame: object | string): void {
    this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
  }

  serverClose(code: number, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  framesOfType(type: string): Record<string, unknown>[] {
    return this.sent.filter((frame) => frame.type === type);
  }
}

/** A WebSocket class whose every instance is recorded. */
export function createFakeWebSockets() {
  const sockets: FakeSocket[] = [];
  class RecordedSocket extends FakeSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      sockets.push(this);
    }
  }
  return {
    WebSocket: RecordedSocket,
    sockets,
    last(): FakeSocket {
      const socket = sockets.at(-1);
      if (!socket) throw new Error('no socket was opened');
      return socket;
    },
  };
}

export interface RecordedRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body: Record<string, unknown> | undefined;
}

export type FakeReply = { status: number; body?: unknown; headers?: Record<string, string> } | Error;

/** A fetch answered by `route`; an Error reply is thrown as a network failure. */
export function createFakeFetch(route: (request: RecordedRequest) => FakeReply | Promise<FakeReply>) {
  const requests: RecordedRequest[] = [];
  const fetch: FetchLike = async (url, init) => {
    const request: RecordedRequest = {
      method: init.method,
      url: new URL(url),
      headers: init.headers,
      body: init.body === undefined ? undefined : (JSON.parse(init.body) as Record<string, unknown>),
    };
    requests.push(request);
    const reply = await route(request);
    if (reply instanceof Error) throw reply;
    const response: FetchResponseLike = {
      status: reply.status,
      ok: reply.status >= 200 && reply.status < 300,
      headers: { get: (name) => reply.headers?.[name.toLowerCase()] ?? null },
      text: async () =>
        typeof reply.body === 'string'
          ? reply.body
          : reply.body === undefined
            ? ''
            : JSON.stringify(reply.body),
    };
    return response;
  };
  return { fetch, requests, to: (path: string) => requests.filter((r) => r.url.pathname === path) };
}

/** Timers that run only when the test advances the clock. */
export function createManualTimers(start = 1_700_000_000_000) {
  let clock = start;
  let nextId = 1;
  const due = new Map<number, { at: number; run: () => void }>();
  const timers: Timers = {
    setTimeout(run, ms) {
      const id = nextId++;
      due.set(id, { at: clock + ms, run });
      return id;
    },
    clearTimeout(handle) {
      due.delete(handle as number);
    },
  };
  return {
    timers,
    now: () => clock,
    /** Moves the clock, running every timer that falls due on the way, in order. */
    advance(ms: number): void {
      const target = clock + ms;
      for (;;) {
        const next = [...due.entries()]
          .filter(([, t]) => t.at <= target)
          .sort((a, b) => a[1].at - b[1].at)[0];
        if (!next) break;
        due.delete(next[0]);
        clock = next[1].at;
        next[1].run();
      }
      clock = target;
    },
    /** Milliseconds until each pending timer. */
    pending(): number[] {
      return [...due.values()].map((t) => t.at - clock).sort((a, b) => a - b);
    },
  };
}

/** A stored message as the server sends it. */
export function storedMessage(seq: number, text = `message ${seq}`): ThreadMessage {
  return {
    messageId: `m_${seq}`,
    seq,
    author: { kind: seq % 2 === 0 ? 'bot' : 'customer', id: seq % 2 === 0 ? 'bot-1' : 'c-42' },
    text,
    sentAt: '2025-01-01T00:00:00.000Z',
    storedAt: '2025-01-01T00:00:01.000Z',
  };
}

/** A live `message` frame as ingress broadcasts it: the message as sync pages carry it. */
export function messageFrame(seq: number, threadId = 'th_1') {
  return { type: 'message', threadId, seq, message: storedMessage(seq) };
}
