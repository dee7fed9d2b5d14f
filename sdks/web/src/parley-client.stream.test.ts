import { describe, expect, it, vi } from 'vitest';
import type { ClientStatus } from './client-api.js';
import type { ParleyClientError } from './parley-client-error.js';
import { createMemoryStorage } from './session-storage.js';
import { messageFrame, storedMessage } from './test-support/fake-transport.js';
import { createTestClient, goLive, seqs, signedIn, syncRoute } from './test-support/test-client.js';

describe('signing in', () => {
  it('exchanges the code, stores the session and connects with the token as a subprotocol only', async () => {
    const harness = createTestClient();
    const statuses: ClientStatus[] = [];
    harness.client.onStatus((status) => statuses.push(status));

    const session = await harness.client.authorize('code-1', 'verifier-1', {
      iss: 'https://login.acme.example',
    });

    const [request] = harness.http.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url.pathname).toBe('/v1/channels/web/sessions');
    expect(request?.headers['parley-tenant']).toBe('acme');
    expect(request?.body).toEqual({
      code: 'code-1',
      codeVerifier: 'verifier-1',
      iss: 'https://login.acme.example',
      redirectUri: 'https://www.acme.example/chat/callback',
      device: { id: 'laptop-1', platform: 'web' },
    });
    expect(session).toEqual({
      customer: { key: 'ck_1', id: 'c-42', name: 'Ada', customFields: { tier: 'gold' } },
      threadId: 'th_1',
      expiresAt: '2099-01-01T00:00:00.000Z',
    });
    expect(harness.client.session).toEqual(session);
    expect(JSON.stringify(harness.client.session)).not.toContain('tok-1');
    expect(harness.storage.get('parley:acme:web:session')).toContain('tok-1');

    const socket = harness.sockets.last();
    expect(socket.url).toBe('ws://127.0.0.1:8080/v1/stream?after=0');
    expect(socket.url).not.toContain('tok-1');
    expect(socket.protocols).toEqual(['parley.v1', 'parley.token.tok-1']);
    expect(harness.client.status).toBe('connecting');
    goLive(harness);
    expect(statuses).toEqual(['connecting', 'live']);
  });

  it('uses wss for an https base URL', async () => {
    const harness = createTestClient({ options: { baseUrl: 'https://chat.acme.example/' } });
    await harness.client.authorize('code-1', 'verifier-1');
    expect(harness.sockets.last().url).toBe('wss://chat.acme.example/v1/stream?after=0');
  });

  it('rejects a refused code with the server’s code and status, and does not connect', async () => {
    const harness = createTestClient({
      routes: {
        'POST /v1/channels/web/sessions': () => ({
          status: 400,
          body: { error: { code: 'invalid_argument', message: 'invalid body: code: required' } },
        }),
      },
    });
    await expect(harness.client.authorize('', 'v')).rejects.toMatchObject({
      name: 'ParleyClientError',
      code: 'invalid_argument',
      status: 400,
      message: 'invalid body: code: required',
      retriable: false,
    });
    expect(harness.sockets.sockets).toHaveLength(0);
    expect(harness.client.session).toBeNull();
  });
});

describe('receiving messages', () => {
  it('delivers the sync frame, then live frames, in seq order and persists the last seq', async () => {
    const harness = createTestClient();
    const socket = await signedIn(harness, { messages: [1, 2] });
    socket.receive(messageFrame(3));

    expect(seqs(harness.received)).toEqual([1, 2, 3]);
    expect(seqs(harness.client.messages)).toEqual([1, 2, 3]);
    expect(harness.received[2]).toEqual(storedMessage(3));
    expect(harness.client.lastSeq).toBe(3);
    expect(JSON.parse(harness.storage.get('parley:acme:web:lastSeq') ?? 'null')).toEqual({
      threadId: 'th_1',
      seq: 3,
    });
  });

  it('drops duplicates and orders frames that arrive out of order', async () => {
    const harness = createTestClient({ routes: { 'GET /v1/thread/messages': syncRoute([1, 2, 3, 4]) } });
    const socket = await signedIn(harness, { messages: [1, 2] });

    socket.receive(messageFrame(2)); // already delivered by the sync frame
    socket.receive(messageFrame(4)); // ahead: waits for 3
    expect(seqs(harness.received)).toEqual([1, 2]);
    socket.receive(messageFrame(3));
    socket.receive(messageFrame(4));

    expect(seqs(harness.received)).toEqual([1, 2, 3, 4]);
    // The gap also asked the HTTP sync, whose answer (3 and 4 again) must not be delivered twice.
    await vi.waitFor(() => expect(harness.http.to('/v1/thread/messages')).toHaveLength(1));
    await new Promise((resolve) => setImmediate(resolve));
    expect(seqs(harness.received)).toEqual([1, 2, 3, 4]);
  });

  it('fills a gap from the HTTP sync, from the last seq, with the session as bearer', async () => {
    const harness = createTestClient({ routes: { 'GET /v1/thread/messages': syncRoute([1, 2, 3, 4, 5]) } });
    const socket = await signedIn(harness, { messages: [1, 2] });

    socket.receive(messageFrame(5));

    await vi.waitFor(() => expect(seqs(harness.received)).toEqual([1, 2, 3, 4, 5]));
    const [request] = harness.http.to('/v1/thread/messages');
    expect(request?.url.search).toBe('?after=2&limit=200');
    expect(request?.headers.authorization).toBe('Bearer tok-1');
    socket.receive(messageFrame(5));
    expect(seqs(harness.received)).toEqual([1, 2, 3, 4, 5]);
  });

  it('pages the HTTP sync while the sync frame says there is more', async () => {
    const harness = createTestClient({
      routes: { 'GET /v1/thread/messages': syncRoute([1, 2, 3, 4, 5], 2) },
    });
    await signedIn(harness, { messages: [1], hasMore: true });

    await vi.waitFor(() => expect(seqs(harness.received)).toEqual([1, 2, 3, 4, 5]));
    expect(harness.http.to('/v1/thread/messages').map((r) => r.url.searchParams.get('after'))).toEqual([
      '1',
      '3',
    ]);
  });

  it('waits for the sync frame before filling a gap over HTTP', async () => {
    const harness = createTestClient({ routes: { 'GET /v1/thread/messages': syncRoute([1, 2, 3]) } });
    await harness.client.authorize('code-1', 'verifier-1');
    const socket = harness.sockets.last();
    socket.open();
    socket.receive({ type: 'ready', threadId: 'th_1', sessionId: 's_1' });
    socket.receive(messageFrame(3)); // registered before the sync was read, so it may come first

    socket.receive({
      type: 'sync',
      threadId: 'th_1',
      messages: [1, 2, 3].map((s) => storedMessage(s)),
      lastSeq: 3,
      hasMore: false,
    });

    expect(seqs(harness.received)).toEqual([1, 2, 3]);
    expect(harness.http.to('/v1/thread/messages')).toHaveLength(0);
  });

  it('fills over HTTP a gap that a live frame opened before the sync frame came', async () => {
    const harness = createTestClient({ routes: { 'GET /v1/thread/messages': syncRoute([1, 2, 3, 4]) } });
    await harness.client.authorize('code-1', 'verifier-1');
    const socket = harness.sockets.last();
    socket.open();
    socket.receive(messageFrame(4));
    socket.receive({
      type: 'sync',
      threadId: 'th_1',
      messages: [storedMessage(1)],
      lastSeq: 1,
      hasMore: false,
    });

    expect(seqs(harness.received)).toEqual([1]);
    await vi.waitFor(() => expect(seqs(harness.received)).toEqual([1, 2, 3, 4]));
    expect(harness.http.to('/v1/thread/messages')[0]?.url.searchParams.get('after')).toBe('1');
  });

  it('takes a sync page as complete: a seq it skips no longer exists', async () => {
    const harness = createTestClient();
    const socket = await signedIn(harness, { messages: [41, 42] }); // 1–40 removed from the store
    socket.receive(messageFrame(43));
    expect(seqs(harness.received)).toEqual([41, 42, 43]);
    expect(harness.http.requests.filter((r) => r.method === 'GET')).toHaveLength(0);
  });

  it('ignores frames of another thread of the customer', async () => {
    const harness = createTestClient();
    const socket = await signedIn(harness, { messages: [1] });
    socket.receive(messageFrame(2, 'th_other'));
    expect(seqs(harness.received)).toEqual([1]);
  });

  it('reports an unreadable frame and carries on', async () => {
    const harness = createTestClient();
    const errors: ParleyClientError[] = [];
    harness.client.onError((error) => errors.push(error));
    const socket = await signedIn(harness);
    socket.receive('not json');
    socket.receive(messageFrame(1));
    expect(errors.map((error) => error.code)).toEqual(['invalid_response']);
    expect(seqs(harness.received)).toEqual([1]);
  });
});

describe('reconnecting', () => {
  it('reconnects with growing, jittered delays and resumes from the last seq', async () => {
    const harness = createTestClient({
      options: { reconnect: { initialDelayMs: 1000, maxDelayMs: 30_000 } },
    });
    const first = await signedIn(harness, { messages: [1, 2, 3] });

    first.serverClose(1001, 'going away');
    expect(harness.client.status).toBe('offline');
    expect(harness.clock.pending()).toEqual([500]); // random 0.5 × 1000
    harness.clock.advance(499);
    expect(harness.sockets.sockets).toHaveLength(1);
    harness.clock.advance(1);
    const second = harness.sockets.last();
    expect(second.url).toBe('ws://127.0.0.1:8080/v1/stream?after=3');
    expect(second.protocols).toEqual(['parley.v1', 'parley.token.tok-1']);

    second.serverClose(1006); // fails again before going live: the delay doubles
    expect(harness.clock.pending()).toEqual([1000]);
    harness.clock.advance(1000);
    const third = harness.sockets.last();
    expect(harness.sockets.sockets).toHaveLength(3);

    third.open();
    third.receive({ type: 'ready', threadId: 'th_1', sessionId: 's_1' });
    third.receive({
      type: 'sync',
      threadId: 'th_1',
      messages: [storedMessage(4)],
      lastSeq: 4,
      hasMore: false,
    });
    expect(seqs(harness.received)).toEqual([1, 2, 3, 4]);
    harness.clock.advance(10_000); // stable: the next reconnect starts over at the first delay
    third.serverClose(4503, 'auth_unavailable');
    expect(harness.clock.pending()).toEqual([500]);
  });

  it('resumes a stored session from the stored last seq after a reload', async () => {
    const storage = createMemoryStorage();
    const before = createTestClient({ storage });
    await signedIn(before, { messages: [1, 2, 3, 4, 5, 6, 7] });
    before.client.close();

    const after = createTestClient({ storage });
    expect(after.client.session?.threadId).toBe('th_1');
    expect(after.client.lastSeq).toBe(7);
    expect(after.client.resume()).toBe(true);
    expect(after.sockets.last().url).toBe('ws://127.0.0.1:8080/v1/stream?after=7');
    expect(after.http.requests).toHaveLength(0);
  });

  it('does not resume without a stored session', () => {
    const harness = createTestClient();
    expect(harness.client.resume()).toBe(false);
    expect(harness.sockets.sockets).toHaveLength(0);
  });

  it('reports 4400 (a client bug) and reconnects', async () => {
    const harness = createTestClient();
    const errors: ParleyClientError[] = [];
    harness.client.onError((error) => errors.push(error));
    const socket = await signedIn(harness);
    socket.serverClose(4400, 'invalid frame');
    expect(errors).toMatchObject([{ code: 'bad_frame', closeCode: 4400 }]);
    harness.clock.advance(1000);
    expect(harness.sockets.sockets).toHaveLength(2);
  });

  it('pings, and reopens a connection that stops answering', async () => {
    const harness = createTestClient({ options: { heartbeatIntervalMs: 30_000 } });
    const socket = await signedIn(harness);
    harness.clock.advance(30_000);
    expect(socket.framesOfType('ping')).toHaveLength(1);
    socket.receive({ type: 'pong' });
    harness.clock.advance(30_000);
    expect(socket.framesOfType('ping')).toHaveLength(2);
    expect(socket.closedByClient).toBeUndefined();

    harness.clock.advance(30_000); // nothing came back since the last ping
    expect(socket.closedByClient?.code).toBe(4000);
    expect(harness.client.status).toBe('offline');
    harness.clock.advance(1000);
    expect(harness.sockets.sockets).toHaveLength(2);
  });
});

describe('a refused session', () => {
  it.each([4401, 4403])(
    'on close %i: clears the session, tells the page once and stops reconnecting',
    async (code) => {
      const harness = createTestClient();
      const refused = vi.fn();
      harness.client.onReauthenticationRequired(refused);
      const socket = await signedIn(harness, { messages: [1] });

      socket.serverClose(code, 'reauthentication_required');

      expect(refused).toHaveBeenCalledTimes(1);
      expect(harness.client.status).toBe('reauthentication_required');
      expect(harness.client.session).toBeNull();
      expect(harness.storage.get('parley:acme:web:session')).toBeNull();
      expect(harness.client.resume()).toBe(false);
      harness.clock.advance(600_000);
      expect(harness.sockets.sockets).toHaveLength(1);
    },
  );

  it('on an HTTP 401 during a sync: the same', async () => {
    const harness = createTestClient({
      routes: {
        'GET /v1/thread/messages': () => ({
          status: 401,
          body: { error: { code: 'reauthentication_required', message: 'sign in again' } },
        }),
      },
    });
    const refused = vi.fn();
    harness.client.onReauthenticationRequired(refused);
    const socket = await signedIn(harness, { messages: [1] });
    socket.receive(messageFrame(3));

    await vi.waitFor(() => expect(refused).toHaveBeenCalledTimes(1));
    expect(harness.client.status).toBe('reauthentication_required');
    expect(socket.closedByClient).toBeDefined();
    harness.clock.advance(600_000);
    expect(harness.sockets.sockets).toHaveLength(1);
    expect(harness.http.to('/v1/thread/messages')).toHaveLength(1);
  });
});
