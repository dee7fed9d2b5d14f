import type { ParleyClientOptions } from '../client-options.js';
import { createParleyClient } from '../parley-client.js';
import type { ThreadMessage } from '../protocol.js';
import { createMemoryStorage, type SessionStorage } from '../session-storage.js';
import {
  createFakeFetch,
  createFakeWebSockets,
  createManualTimers,
  type FakeReply,
  type FakeSocket,
  type RecordedRequest,
  storedMessage,
} from './fake-transport.js';

export const sessionAnswer = {
  sessionToken: 'tok-1',
  expiresAt: '2099-01-01T00:00:00.000Z',
  customer: { key: 'ck_1', id: 'c-42', name: 'Ada', customFields: { tier: 'gold' } },
  thread: { id: 'th_1' },
};

type Route = (request: RecordedRequest) => FakeReply | Promise<FakeReply>;

/** A client over fake transports, a manual clock and `random` fixed at 0.5. */
export function createTestClient(
  setup: {
    storage?: SessionStorage;
    options?: Partial<ParleyClientOptions>;
    routes?: Record<string, Route>;
  } = {},
) {
  const sockets = createFakeWebSockets();
  const clock = createManualTimers();
  const routes = new Map<string, Route>([
    ['POST /v1/channels/web/sessions', () => ({ status: 201, body: sessionAnswer })],
    ...Object.entries(setup.routes ?? {}),
  ]);
  const http = createFakeFetch((request) => {
    const route = routes.get(`${request.method} ${request.url.pathname}`);
    return route
      ? route(request)
      : { status: 404, body: { error: { code: 'not_found', message: 'no route' } } };
  });
  const storage = setup.storage ?? createMemoryStorage();
  const client = createParleyClient({
    baseUrl: 'http://127.0.0.1:8080',
    tenantId: 'acme',
    channelId: 'web',
    redirectUri: 'https://www.acme.example/chat/callback',
    device: { id: 'laptop-1' },
    storage,
    fetch: http.fetch,
    WebSocket: sockets.WebSocket,
    timers: clock.timers,
    now: clock.now,
    random: () => 0.5,
    ...setup.options,
  });
  const received: ThreadMessage[] = [];
  client.onMessage((message) => received.push(message));
  return { client, sockets, http, clock, storage, routes, received };
}

export type TestClient = ReturnType<typeof createTestClient>;

/** Opens the last socket and plays the server's `ready` and `sync` frames. */
export function goLive(
  harness: TestClient,
  sync: { messages?: number[]; hasMore?: boolean } = {},
): FakeSocket {
  const socket = harness.sockets.last();
  socket.open();
  socket.receive({ type: 'ready', threadId: 'th_1', sessionId: 's_1' });
  const messages = (sync.messages ?? []).map((seq) => storedMessage(seq));
  socket.receive({
    type: 'sync',
    threadId: 'th_1',
    messages,
    lastSeq: messages.at(-1)?.seq ?? 0,
    hasMore: sync.hasMore ?? false,
  });
  return socket;
}

/** Signs in and goes live. */
export async function signedIn(
  harness: TestClient,
  sync: { messages?: number[]; hasMore?: boolean } = {},
): Promise<FakeSocket> {
  await harness.client.authorize('code-1', 'verifier-1');
  return goLive(harness, sync);
}

/** An HTTP sync route serving `seqs` after the requested cursor, at most `pageSize` at a time. */
export function syncRoute(seqs: number[], pageSize = 200): Route {
  return (request) => {
    const after = Number(request.url.searchParams.get('after'));
    const limit = Math.min(pageSize, Number(request.url.searchParams.get('limit')));
    const rest = seqs.filter((seq) => seq > after);
    const page = rest.slice(0, limit).map((seq) => storedMessage(seq));
    return {
      status: 200,
      body: {
        threadId: 'th_1',
        messages: page,
        lastSeq: page.at(-1)?.seq ?? after,
        hasMore: rest.length > limit,
      },
    };
  };
}

export const seqs = (messages: readonly ThreadMessage[]) => messages.map((message) => message.seq);
