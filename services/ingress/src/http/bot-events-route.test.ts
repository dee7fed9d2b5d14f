import { get, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { createLogger } from '@parley/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEventStream as openStream } from '../../../../test/support/event-stream.js';
import { createInMemoryApiKeyRepository } from '../adapters/in-memory-api-key-repository.js';
import { newApiKey } from '../domain/api-keys.js';
import { createBotStreams } from '../domain/bot-streams.js';
import type { BotStreamObserver } from './bot-events-route.js';
import { createHttpApp } from './create-http-app.js';
import { createInMemoryIntegrations } from './edge.fixture.js';

// GET /v1/bot/events against an in-memory integrations log, over a real socket (streaming, backpressure).

async function until<T>(what: string, condition: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const integrations = createInMemoryIntegrations();
const apiKeys = createInMemoryApiKeyRepository();
const acmeBot = newApiKey('acme', 'crm-bot', ['bot'], new Date());
const globexBot = newApiKey('globex', 'other-bot', ['bot'], new Date());
const adminOnly = newApiKey('acme', 'admin', ['admin'], new Date());
const adminAndBot = newApiKey('acme', 'ops', ['admin', 'bot'], new Date());
const limited = newApiKey('acme', 'limited', ['bot'], new Date());
const botStreams = createBotStreams({ perKey: 2, perTenant: 50 });
const observed: string[] = [];
const observer: BotStreamObserver = {
  opened: () => observed.push('opened'),
  refused: (reason) => observed.push(`refused:${reason}`),
  closed: (reason) => observed.push(`closed:${reason}`),
  sent: () => {},
};
const unlimited = { take: () => ({ allowed: true as const }) };
const app = createHttpApp({
  auth: {} as never,
  history: {} as never,
  producer: {} as never,
  sessionEnded: {} as never,
  integrations: integrations.integrations,
  botStreams,
  botStreamObserver: observer,
  botStreamTiming: { waitMs: 300, heartbeatMs: 100, drainTimeoutMs: 2000, keyRecheckMs: 60_000 },
  connections: { closeAll() {} } as never,
  apiKeys,
  logger: createLogger({ service: 'ingress-test', version: 'test', level: 'silent' }),
  ipLimiter: unlimited,
  apiKeyLimiter: unlimited,
  sessionLimiter: unlimited,
  bodyLimitBytes: 16_384,
  trustedProxyHops: 0,
});
let base: string;
const sockets: Socket[] = [];
const bearer = (key: { token: string }) => ({ authorization: `Bearer ${key.token}` });

beforeAll(async () => {
  for (const key of [acmeBot, globexBot, adminOnly, adminAndBot, limited]) await apiKeys.create(key.key);
  await app.listen({ port: 0, host: '127.0.0.1' });
  app.server.on('connection', (socket) => sockets.push(socket));
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('not listening');
  base = `http://127.0.0.1:${address.port}`;
});
afterAll(async () => {
  // As ingress stops: streams first, then the server. fetch keeps a spare connection open that
  // never carried a request (the server would wait for it to time out).
  botStreams.closeAll();
  for (const socket of sockets) socket.destroy();
  await app.close();
});

describe('GET /v1/bot/events', () => {
  it('streams only the key’s tenant, framed as id, event and data, live as events come', async () => {
    const first = integrations.append('acme', 'message.enriched', { text: 'one' });
    integrations.append('globex', 'message.enriched', { text: 'not yours' });
    const stream = openStream(`${base}/v1/bot/events`, bearer(acmeBot));
    const answer = await stream.response;
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(answer.headers.get('cache-control')).toContain('no-cache');
    await until('the first event', () => stream.events.length === 1);
    const live = integrations.append('acme', 'session.ended', { reason: 'customer_logout' });
    await until('the live event', () => stream.events.length === 2);
    stream.close();
    expect(stream.events).toEqual([
      {
        id: first,
        event: 'message.enriched',
        data: JSON.stringify({ id: `e-${first}`, type: 'message.enriched', data: { text: 'one' } }),
      },
      { id: live, event: 'session.ended', data: expect.stringContaining('customer_logout') },
    ]);
    expect(integrations.reads.every((read) => read.tenantId === 'acme' || read.tenantId === 'globex')).toBe(
      true,
    );
    expect(integrations.reads.filter((read) => read.tenantId !== 'acme')).toEqual([]);
  });

  it('resumes after Last-Event-ID, which wins over ?after=, and filters by type', async () => {
    const a = integrations.append('acme', 'message.enriched', { n: 1 });
    const b = integrations.append('acme', 'customer.updated', { n: 2 });
    const c = integrations.append('acme', 'message.enriched', { n: 3 });
    const resumed = openStream(`${base}/v1/bot/events?after=0&types=message.enriched`, {
      ...bearer(acmeBot),
      'last-event-id': a,
    });
    await until('the event after the cursor', () => resumed.events.length >= 1);
    resumed.close();
    expect(resumed.events.map((event) => event.id)).toEqual([c]);
    expect(integrations.reads.at(-1)).toMatchObject({ eventTypes: ['message.enriched'] });
    const fromQuery = openStream(`${base}/v1/bot/events?after=${a}`, bearer(acmeBot));
    await until('both events', () => fromQuery.events.length >= 2);
    fromQuery.close();
    expect(fromQuery.events.slice(0, 2).map((event) => event.id)).toEqual([b, c]);
  });

  it('needs the bot scope: an admin key without it is refused, one with both is not', async () => {
    const refused = await fetch(`${base}/v1/bot/events`, { headers: bearer(adminOnly) });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: 'permission_denied' } });
    const anonymous = await fetch(`${base}/v1/bot/events`);
    expect(anonymous.status).toBe(401);
    const both = openStream(`${base}/v1/bot/events`, bearer(adminAndBot));
    expect((await both.response).status).toBe(200);
    both.close();
  });

  it.each([
    ['an unknown type', '?types=message.received', {}],
    ['an unknown parameter', '?tenant=globex', {}],
    ['a malformed cursor', '?after=a%20b', {}],
    ['a malformed Last-Event-ID', '', { 'last-event-id': 'x\u00e9' }],
  ])('refuses %s before streaming (invalid_argument)', async (_case, query, headers) => {
    const refused = await fetch(`${base}/v1/bot/events${query}`, {
      headers: { ...bearer(acmeBot), ...headers },
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { code: 'invalid_argument' } });
  });

  it('answers 410 cursor_expired for a cursor older than the log keeps', async () => {
    integrations.state.expiredBelow = 2;
    try {
      const refused = await fetch(`${base}/v1/bot/events`, {
        headers: { ...bearer(acmeBot), 'last-event-id': '1' },
      });
      expect(refused.status).toBe(410);
      expect(await refused.json()).toMatchObject({ error: { code: 'cursor_expired' } });
      expect(observed).toContain('refused:cursor_expired');
    } finally {
      integrations.state.expiredBelow = 0;
    }
  });

  it('limits the streams of one key, and frees the slot when the client leaves', async () => {
    const one = openStream(`${base}/v1/bot/events`, bearer(limited));
    const two = openStream(`${base}/v1/bot/events`, bearer(limited));
    expect([(await one.response).status, (await two.response).status]).toEqual([200, 200]);
    const third = await fetch(`${base}/v1/bot/events`, { headers: bearer(limited) });
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('5');
    expect(await third.json()).toMatchObject({ error: { code: 'rate_limited' } });
    one.close();
    let again = openStream(`${base}/v1/bot/events`, bearer(limited));
    for (let attempt = 0; (await again.response).status === 429 && attempt < 100; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20)); // the server has not seen the close yet
      again = openStream(`${base}/v1/bot/events`, bearer(limited));
    }
    expect((await again.response).status).toBe(200);
    two.close();
    again.close();
  });

  it('sends heartbeat comments while nothing happens', async () => {
    const quiet = openStream(
      `${base}/v1/bot/events?types=customer.updated&after=${integrations.state.seq}`,
      bearer(globexBot),
    );
    await until(
      'two heartbeats',
      () => quiet.comments.filter((comment) => comment === 'heartbeat').length >= 2,
    );
    quiet.close();
    expect(quiet.events).toEqual([]);
  });

  it('stops reading while the client does not take what it was sent', async () => {
    const tenant = 'backpressure';
    const key = newApiKey(tenant, 'slow-bot', ['bot'], new Date());
    await apiKeys.create(key.key);
    const big = 'x'.repeat(64 * 1024);
    for (let n = 0; n < 400; n += 1) integrations.append(tenant, 'message.enriched', { big });
    const readsOf = () => integrations.reads.filter((read) => read.tenantId === tenant).length;
    const url = new URL(`${base}/v1/bot/events`);
    let received = 0;
    const request = get(url, { headers: bearer(key) });
    const response = await new Promise<IncomingMessage>((resolve) => request.once('response', resolve));
    response.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    response.pause(); // a client that stops reading
    await until('the first page', () => readsOf() >= 1);
    // 400 events of 64 KiB are far more than the socket buffers hold: while the client does not
    // read, no further page is asked for (an absence, so it is watched for a while).
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stalled = readsOf();
    expect(stalled).toBeLessThanOrEqual(2);
    expect(received).toBeLessThan(400 * 64 * 1024);
    response.resume();
    await until('everything', () => received >= 400 * 64 * 1024);
    expect(readsOf()).toBeGreaterThan(stalled);
    request.destroy();
  });

  it('ends every stream on shutdown', async () => {
    const open = openStream(`${base}/v1/bot/events`, bearer(globexBot));
    expect((await open.response).status).toBe(200);
    botStreams.closeAll();
    await open.done;
    expect(observed).toContain('closed:shutdown');
  });
});
