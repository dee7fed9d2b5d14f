import { describe, expect, it, vi } from 'vitest';
import type { FakeReply } from './test-support/fake-transport.js';
import { createTestClient, signedIn } from './test-support/test-client.js';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const accepted = (request: { body?: Record<string, unknown> | undefined }): FakeReply => ({
  status: 202,
  body: { messageId: `m_for_${String(request.body?.clientMessageId)}`, threadId: 'th_1' },
});

describe('sending over the stream', () => {
  it('sends a send frame and resolves on the matching ack', async () => {
    const harness = createTestClient();
    const socket = await signedIn(harness);

    const sent = harness.client.send('Where is my order?');
    const [frame] = socket.framesOfType('send');
    expect(frame).toEqual({
      type: 'send',
      clientMessageId: expect.stringMatching(uuid),
      text: 'Where is my order?',
    });
    socket.receive({ type: 'ack', clientMessageId: 'someone-else', messageId: 'm_other', threadId: 'th_1' });
    socket.receive({
      type: 'ack',
      clientMessageId: frame?.clientMessageId,
      messageId: 'm_1',
      threadId: 'th_1',
    });

    await expect(sent).resolves.toEqual({ messageId: 'm_1', threadId: 'th_1' });
    expect(harness.http.to('/v1/messages')).toHaveLength(0);
  });

  it('rejects with the code of a matching error frame', async () => {
    const harness = createTestClient();
    const socket = await signedIn(harness);
    const sent = harness.client.send('hello');
    const [frame] = socket.framesOfType('send');
    socket.receive({
      type: 'error',
      clientMessageId: frame?.clientMessageId,
      code: 'rate_limited',
      retryAfterSeconds: 12,
    });
    await expect(sent).rejects.toMatchObject({
      code: 'rate_limited',
      retryAfterSeconds: 12,
      status: undefined,
    });
  });

  it('sends again over HTTP, with the same clientMessageId, when the stream drops before the ack', async () => {
    const harness = createTestClient({ routes: { 'POST /v1/messages': accepted } });
    const socket = await signedIn(harness);
    const sent = harness.client.send('hello');
    const clientMessageId = socket.framesOfType('send')[0]?.clientMessageId;

    socket.serverClose(1001, 'going away');
    // The reconnect and the send's retry, both after 500 ms; the new socket is not live yet: HTTP it is.
    await vi.waitFor(() => expect(harness.clock.pending()).toEqual([500, 500]));
    harness.clock.advance(500);

    await expect(sent).resolves.toEqual({ messageId: `m_for_${clientMessageId}`, threadId: 'th_1' });
    expect(harness.http.to('/v1/messages').map((r) => r.body)).toEqual([{ clientMessageId, text: 'hello' }]);
  });
});

describe('sending over HTTP', () => {
  it('posts the message with the session as bearer when no stream is live', async () => {
    const harness = createTestClient({ routes: { 'POST /v1/messages': accepted } });
    await harness.client.authorize('code-1', 'verifier-1'); // the socket never opens

    const { messageId } = await harness.client.send('hello');

    const [request] = harness.http.to('/v1/messages');
    expect(request?.headers.authorization).toBe('Bearer tok-1');
    expect(request?.body).toEqual({ clientMessageId: expect.stringMatching(uuid), text: 'hello' });
    expect(messageId).toBe(`m_for_${String(request?.body?.clientMessageId)}`);
  });

  it('retries a network failure with the same clientMessageId', async () => {
    let calls = 0;
    const harness = createTestClient({
      routes: {
        'POST /v1/messages': (request) => {
          calls += 1;
          return calls === 1 ? new TypeError('fetch failed') : accepted(request);
        },
      },
    });
    await harness.client.authorize('code-1', 'verifier-1');

    const sent = harness.client.send('hello');
    await vi.waitFor(() => expect(harness.clock.pending()).toContain(500));
    harness.clock.advance(500);

    await expect(sent).resolves.toMatchObject({ threadId: 'th_1' });
    const ids = harness.http.to('/v1/messages').map((r) => r.body?.clientMessageId);
    expect(ids).toHaveLength(2);
    expect(ids[1]).toBe(ids[0]);
  });

  it('gives up after the configured retries with network_error', async () => {
    const harness = createTestClient({
      options: { send: { retries: 1 } },
      routes: { 'POST /v1/messages': () => new TypeError('fetch failed') },
    });
    await harness.client.authorize('code-1', 'verifier-1');
    const sent = harness.client.send('hello');
    const outcome = expect(sent).rejects.toMatchObject({ code: 'network_error', retriable: true });
    await vi.waitFor(() => expect(harness.clock.pending()).toContain(500));
    harness.clock.advance(500);
    await outcome;
    expect(harness.http.to('/v1/messages')).toHaveLength(2);
  });

  it('does not retry a refusal, and passes its code, status and Retry-After on', async () => {
    const harness = createTestClient({
      routes: {
        'POST /v1/messages': () => ({
          status: 429,
          headers: { 'retry-after': '30' },
          body: { error: { code: 'rate_limited', message: 'too many messages from this session' } },
        }),
      },
    });
    await harness.client.authorize('code-1', 'verifier-1');
    await expect(harness.client.send('hello')).rejects.toMatchObject({
      code: 'rate_limited',
      status: 429,
      retryAfterSeconds: 30,
      message: 'too many messages from this session',
    });
    expect(harness.http.to('/v1/messages')).toHaveLength(1);
  });

  it('reads a proxy’s error page as http_error', async () => {
    const harness = createTestClient({
      routes: { 'POST /v1/messages': () => ({ status: 502, body: '<html>Bad gateway</html>' }) },
      options: { send: { retries: 0 } },
    });
    await harness.client.authorize('code-1', 'verifier-1');
    await expect(harness.client.send('hello')).rejects.toMatchObject({
      code: 'http_error',
      status: 502,
      retriable: true,
    });
  });

  it('ends the session on 401 reauthentication_required', async () => {
    const harness = createTestClient({
      routes: {
        'POST /v1/messages': () => ({
          status: 401,
          body: { error: { code: 'reauthentication_required', message: 'sign in again' } },
        }),
      },
    });
    const refused = vi.fn();
    harness.client.onReauthenticationRequired(refused);
    await harness.client.authorize('code-1', 'verifier-1');

    await expect(harness.client.send('hello')).rejects.toMatchObject({
      code: 'reauthentication_required',
      status: 401,
    });
    expect(refused).toHaveBeenCalledTimes(1);
    expect(harness.client.status).toBe('reauthentication_required');
    await expect(harness.client.send('again')).rejects.toMatchObject({ code: 'not_signed_in' });
  });
});

describe('logging out', () => {
  it('ends the session at the server, closes the stream and clears the storage', async () => {
    const harness = createTestClient({
      routes: {
        'DELETE /v1/session': () => ({ status: 200, body: { sessionsEnded: 2, revokedAtBrand: true } }),
      },
    });
    const socket = await signedIn(harness, { messages: [1, 2] });

    await harness.client.logout({ allDevices: true });

    const [request] = harness.http.to('/v1/session');
    expect(request?.url.search).toBe('?allDevices=true');
    expect(request?.headers.authorization).toBe('Bearer tok-1');
    expect(socket.closedByClient?.code).toBe(1000);
    expect(harness.client.status).toBe('signed_out');
    expect(harness.client.session).toBeNull();
    expect(harness.client.messages).toEqual([]);
    expect(harness.storage.get('parley:acme:web:session')).toBeNull();
    expect(harness.storage.get('parley:acme:web:lastSeq')).toBeNull();
    harness.clock.advance(600_000);
    expect(harness.sockets.sockets).toHaveLength(1);
  });

  it('clears local state even when the server cannot be reached, and says so', async () => {
    const harness = createTestClient({
      routes: { 'DELETE /v1/session': () => new TypeError('fetch failed') },
    });
    await signedIn(harness);
    await expect(harness.client.logout()).rejects.toMatchObject({ code: 'network_error' });
    expect(harness.client.status).toBe('signed_out');
    expect(harness.storage.get('parley:acme:web:session')).toBeNull();
    expect(harness.http.to('/v1/session')[0]?.url.search).toBe('');
  });
});
