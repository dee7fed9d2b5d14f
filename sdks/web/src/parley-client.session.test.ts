import { describe, expect, it, vi } from 'vitest';
import type { ParleyClientError } from './parley-client-error.js';
import type { WebStorageLike } from './session-storage.js';
import { messageFrame } from './test-support/fake-transport.js';
import {
  createTestClient,
  goLive,
  seqs,
  sessionAnswer,
  signedIn,
  syncRoute,
} from './test-support/test-client.js';

/** A Web Storage double, shaped like localStorage and touchy about `this` like it. */
function createWebStorage() {
  const entries = new Map<string, string>();
  const storage: WebStorageLike & { entries: Map<string, string> } = {
    entries,
    getItem(key) {
      if (this !== storage) throw new TypeError('Illegal invocation');
      return entries.get(key) ?? null;
    },
    setItem(key, value) {
      if (this !== storage) throw new TypeError('Illegal invocation');
      entries.set(key, value);
    },
    removeItem(key) {
      if (this !== storage) throw new TypeError('Illegal invocation');
      entries.delete(key);
    },
  };
  return storage;
}

describe('storage', () => {
  it('takes localStorage as it is', async () => {
    const storage = createWebStorage();
    const harness = createTestClient({ options: { storage } });
    await signedIn(harness, { messages: [1, 2] });
    expect(storage.entries.get('parley:acme:web:session')).toContain('tok-1');
    expect(JSON.parse(storage.entries.get('parley:acme:web:lastSeq') ?? 'null')).toMatchObject({ seq: 2 });
  });

  it('reports a storage that refuses writes and keeps chatting', async () => {
    const harness = createTestClient({
      storage: {
        get: () => null,
        set: () => {
          throw new Error('QuotaExceededError');
        },
        remove: () => {},
      },
    });
    const errors: ParleyClientError[] = [];
    harness.client.onError((error) => errors.push(error));
    const socket = await signedIn(harness, { messages: [1] });
    socket.receive(messageFrame(2));
    expect(seqs(harness.received)).toEqual([1, 2]);
    expect(errors.map((error) => error.code)).toContain('storage_error');
  });

  it('does not resume an expired session, and forgets it', () => {
    const storage = createWebStorage();
    storage.setItem(
      'parley:acme:web:session',
      JSON.stringify({
        token: 'old',
        session: { ...sessionAnswer, threadId: 'th_1', expiresAt: '2020-01-01T00:00:00Z' },
      }),
    );
    const harness = createTestClient({ options: { storage } });
    expect(harness.client.resume()).toBe(false);
    expect(harness.client.session).toBeNull();
    expect(storage.entries.has('parley:acme:web:session')).toBe(false);
    expect(harness.sockets.sockets).toHaveLength(0);
  });
});

describe('after a reload', () => {
  it('continues after the stored last seq by default, and replays the thread with replayHistory', async () => {
    const storage = createWebStorage();
    const before = createTestClient({ options: { storage } });
    await signedIn(before, { messages: [1, 2, 3] });
    before.client.close();

    const resuming = createTestClient({ options: { storage } });
    resuming.client.resume();
    expect(resuming.sockets.last().url).toBe('ws://127.0.0.1:8080/v1/stream?after=3');

    const replaying = createTestClient({ options: { storage, replayHistory: true } });
    expect(replaying.client.lastSeq).toBe(0);
    replaying.client.resume();
    expect(replaying.sockets.last().url).toBe('ws://127.0.0.1:8080/v1/stream?after=0');
    goLive(replaying, { messages: [1, 2, 3] });
    expect(seqs(replaying.received)).toEqual([1, 2, 3]);
  });
});

describe('customer data', () => {
  it('reads the customer’s brand data with the session', async () => {
    const data = {
      id: 'c-42',
      name: 'Ada',
      customFields: { tier: 'gold' },
      fetchedAt: '2025-01-01T00:00:00.000Z',
    };
    const harness = createTestClient({
      routes: { 'GET /v1/thread/customer': () => ({ status: 200, body: data }) },
    });
    await harness.client.authorize('code-1', 'verifier-1');
    await expect(harness.client.getCustomerData()).resolves.toEqual(data);
    expect(harness.http.to('/v1/thread/customer')[0]?.headers.authorization).toBe('Bearer tok-1');
  });

  it('gives null before the first message (404)', async () => {
    const harness = createTestClient({
      routes: {
        'GET /v1/thread/customer': () => ({
          status: 404,
          body: { error: { code: 'not_found', message: 'none' } },
        }),
      },
    });
    await harness.client.authorize('code-1', 'verifier-1');
    await expect(harness.client.getCustomerData()).resolves.toBeNull();
  });

  it('needs a session', async () => {
    const harness = createTestClient();
    await expect(harness.client.getCustomerData()).rejects.toMatchObject({ code: 'not_signed_in' });
    expect(harness.http.requests).toHaveLength(0);
  });
});

describe('the session over time', () => {
  it('after a refusal, signing in again continues the same thread from its last seq', async () => {
    const harness = createTestClient();
    const first = await signedIn(harness, { messages: [1, 2, 3] });
    first.serverClose(4401, 'reauthentication_required');

    await harness.client.authorize('code-2', 'verifier-2');

    expect(harness.sockets.last().url).toBe('ws://127.0.0.1:8080/v1/stream?after=3');
    expect(seqs(harness.client.messages)).toEqual([1, 2, 3]);
  });

  it('starts over when signing in gives another thread', async () => {
    const harness = createTestClient();
    await signedIn(harness, { messages: [1, 2, 3] });
    harness.routes.set('POST /v1/channels/web/sessions', () => ({
      status: 201,
      body: { ...sessionAnswer, thread: { id: 'th_2' } },
    }));

    await harness.client.authorize('code-2', 'verifier-2');

    expect(harness.sockets.last().url).toBe('ws://127.0.0.1:8080/v1/stream?after=0');
    expect(harness.client.messages).toEqual([]);
    expect(harness.client.lastSeq).toBe(0);
  });

  it('close() stops the stream without logging out; sends go over HTTP; resume() reconnects', async () => {
    const harness = createTestClient({
      routes: { 'POST /v1/messages': () => ({ status: 202, body: { messageId: 'm_9', threadId: 'th_1' } }) },
    });
    const socket = await signedIn(harness, { messages: [1] });

    harness.client.close();

    expect(harness.client.status).toBe('idle');
    expect(socket.closedByClient?.code).toBe(1000);
    harness.clock.advance(600_000);
    expect(harness.sockets.sockets).toHaveLength(1);
    await expect(harness.client.send('still here')).resolves.toEqual({ messageId: 'm_9', threadId: 'th_1' });
    expect(harness.client.resume()).toBe(true);
    expect(harness.sockets.last().url).toBe('ws://127.0.0.1:8080/v1/stream?after=1');
  });

  it('retries a failed gap sync with backoff and reports the failure', async () => {
    let calls = 0;
    const serve = syncRoute([1, 2, 3]);
    const harness = createTestClient({
      routes: {
        'GET /v1/thread/messages': (request) => {
          calls += 1;
          return calls === 1
            ? { status: 503, body: { error: { code: 'auth_unavailable', message: 'try again' } } }
            : serve(request);
        },
      },
    });
    const errors: ParleyClientError[] = [];
    harness.client.onError((error) => errors.push(error));
    const socket = await signedIn(harness, { messages: [1] });
    socket.receive(messageFrame(3));

    await vi.waitFor(() => expect(errors).toMatchObject([{ code: 'auth_unavailable', status: 503 }]));
    expect(seqs(harness.received)).toEqual([1]);
    harness.clock.advance(500);
    await vi.waitFor(() => expect(seqs(harness.received)).toEqual([1, 2, 3]));
  });

  it('keeps delivering to other listeners when one throws, and rethrows that error on its own', async () => {
    const harness = createTestClient();
    const rethrows: (() => void)[] = [];
    vi.stubGlobal('queueMicrotask', (task: () => void) => rethrows.push(task));
    try {
      harness.client.onMessage(() => {
        throw new Error('listener bug');
      });
      const after = vi.fn();
      harness.client.onMessage(after);
      await harness.client.authorize('code-1', 'verifier-1');
      goLive(harness).receive(messageFrame(1));
      expect(after).toHaveBeenCalledTimes(1);
      expect(seqs(harness.received)).toEqual([1]);
      expect(rethrows).toHaveLength(1);
      expect(rethrows[0]).toThrow('listener bug');
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
