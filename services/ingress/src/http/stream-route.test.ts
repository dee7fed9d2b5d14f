import { readFileSync } from 'node:fs';
import { streamCloseCodes } from '@parley/contracts';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createConnectionRegistry } from '../adapters/connection-registry.js';
import { createInMemoryApiKeyRepository } from '../adapters/in-memory-api-key-repository.js';
import { createRateLimiter } from '../adapters/rate-limiter.js';
import { createHttpApp, type HttpAppDeps } from './create-http-app.js';
import {
  createInMemoryAuth,
  createInMemoryHistory,
  createRecordingAnnouncer,
  createRecordingProducer,
  testLogger,
  testSession,
  unlimited,
} from './edge.fixture.js';
import { openApiDocument } from './openapi.js';

// The stream route over a real socket, with in-memory auth, history and producer: no server.

const sessionOf = testSession;

/** A fake auth: `tokens` maps each token to its session; `down` makes every call fail as unreachable. */
const fakeAuth = (tokens: Record<string, ReturnType<typeof sessionOf>>) => createInMemoryAuth(tokens);

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function start(overrides: Partial<HttpAppDeps>): Promise<string> {
  app = createHttpApp({
    history: createInMemoryHistory(),
    producer: createRecordingProducer().producer,
    sessionEnded: createRecordingAnnouncer().sessionEnded,
    integrations: {} as never,
    botStreams: {} as never,
    connections: createConnectionRegistry({ perSession: 5, perCustomer: 20 }),
    apiKeys: createInMemoryApiKeyRepository(),
    logger: testLogger,
    ipLimiter: unlimited,
    sessionLimiter: unlimited,
    apiKeyLimiter: unlimited,
    bodyLimitBytes: 1024,
    trustedProxyHops: 0,
    auth: createInMemoryAuth().auth,
    ...overrides,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address() as { port: number };
  return `127.0.0.1:${address.port}`;
}

/** A device's socket, its frames and how it closed. */
function connect(host: string, token?: string) {
  const protocols = ['parley.v1', ...(token ? [`parley.token.${token}`] : [])];
  const socket = new WebSocket(`ws://${host}/v1/stream`, protocols);
  const frames: Record<string, unknown>[] = [];
  let closed: { code: number; reason: string } | undefined;
  socket.on('message', (data) => frames.push(JSON.parse(data.toString())));
  socket.on('close', (code, reason) => {
    closed = { code, reason: reason.toString() };
  });
  socket.on('error', () => {});
  return {
    socket,
    frames,
    closed: () => closed,
    ready: () => until(() => frames.some((frame) => frame.type === 'ready') || closed !== undefined),
  };
}

/** Waits for a condition (at most `timeoutMs`), then asserts it. */
async function until(condition: () => boolean, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}

describe('the stream’s limits', () => {
  it('closes a socket with 1008 once more than 32 frames wait behind a send', async () => {
    const { auth } = fakeAuth({ 'tok-1': sessionOf('s-1') });
    let release: () => void = () => {};
    const stuck = new Promise<void>((resolve) => {
      release = resolve;
    });
    const host = await start({
      auth,
      producer: { publish: () => stuck } as never,
    });
    const device = connect(host, 'tok-1');
    await device.ready();
    for (let i = 0; i < 40; i += 1)
      device.socket.send(JSON.stringify({ type: 'send', clientMessageId: `c-${i}`, text: 'hi' }));
    await until(() => device.closed() !== undefined);
    expect(device.closed()).toEqual({ code: 1008, reason: 'too many frames waiting' });
    release();
  });

  it('closes a frame over the size limit with 1009', async () => {
    const { auth } = fakeAuth({ 'tok-1': sessionOf('s-1') });
    const device = connect(await start({ auth }), 'tok-1');
    await device.ready();
    device.socket.send(JSON.stringify({ type: 'send', clientMessageId: 'c-1', text: 'x'.repeat(2000) }));
    await until(() => device.closed() !== undefined);
    expect(device.closed()?.code).toBe(1009);
  });

  it('refuses streams past the per-session and per-customer caps with 4409', async () => {
    const tokens = {
      'tok-a': sessionOf('s-a', 'k-1'),
      'tok-b': sessionOf('s-b', 'k-1'),
      'tok-c': sessionOf('s-c', 'k-2'),
    };
    const { auth } = fakeAuth(tokens);
    const host = await start({
      auth,
      connections: createConnectionRegistry({ perSession: 2, perCustomer: 3 }),
    });
    const a = [connect(host, 'tok-a'), connect(host, 'tok-a'), connect(host, 'tok-a')];
    for (const device of a) await device.ready();
    expect(a.filter((device) => device.closed()).map((device) => device.closed())).toEqual([
      { code: 4409, reason: 'too many streams of this session' },
    ]);
    const b = [connect(host, 'tok-b'), connect(host, 'tok-b')];
    for (const device of b) await device.ready();
    expect(b.filter((device) => device.closed()).map((device) => device.closed())).toEqual([
      { code: 4409, reason: 'too many streams of this customer' },
    ]);
    // Another customer is not affected.
    const other = connect(host, 'tok-c');
    await other.ready();
    expect(other.closed()).toBeUndefined();
  });

  it('closes a stream refused by the session’s rate limit with 4429, not 4503', async () => {
    const { auth } = fakeAuth({ 'tok-1': sessionOf('s-1') });
    const host = await start({ auth, sessionLimiter: createRateLimiter({ limit: 1, windowMs: 60_000 }) });
    const first = connect(host, 'tok-1');
    await first.ready();
    const second = connect(host, 'tok-1');
    await until(() => second.closed() !== undefined);
    expect(second.closed()).toEqual({ code: 4429, reason: 'rate_limited' });
  });

  it('makes re-checks of open streams take from the session’s quota', async () => {
    const { auth, state } = fakeAuth({ 'tok-1': sessionOf('s-1') });
    const host = await start({
      auth,
      reauthorizeMs: 20,
      sessionLimiter: createRateLimiter({ limit: 6, windowMs: 60_000 }),
    });
    const devices = [connect(host, 'tok-1'), connect(host, 'tok-1'), connect(host, 'tok-1')];
    for (const device of devices) await device.ready();
    // Re-checks use up the quota; past it the streams close instead of asking the brand again.
    await until(() => devices.every((device) => device.closed() !== undefined));
    expect(devices.map((device) => device.closed()?.code)).toEqual([4429, 4429, 4429]);
    expect(state.authorizeCalls).toBeLessThanOrEqual(6);
  });
});

describe('the rate limits', () => {
  it('counts the addresses of one IPv6 /64 as one client', async () => {
    const { auth } = fakeAuth({});
    await start({ auth, ipLimiter: createRateLimiter({ limit: 2, windowMs: 60_000 }) });
    const statuses: number[] = [];
    for (const remoteAddress of ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:ffff::3'])
      statuses.push((await app?.inject({ url: '/openapi.json', remoteAddress }))?.statusCode ?? 0);
    expect(statuses).toEqual([200, 200, 429]);
    const other = await app?.inject({ url: '/openapi.json', remoteAddress: '2001:db8:1:3::1' });
    expect(other?.statusCode).toBe(200);
  });

  it('keys on the session id: two tokens of one session share one quota', async () => {
    const { auth } = fakeAuth({ 'tok-a': sessionOf('s-1'), 'tok-b': sessionOf('s-1') });
    const host = await start({
      auth,
      sessionLimiter: createRateLimiter({ limit: 3, windowMs: 60_000 }),
    });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      const response = await fetch(`http://${host}/v1/messages`, {
        method: 'POST',
        headers: {
          authorization: `Bearer tok-${i % 2 === 0 ? 'a' : 'b'}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ clientMessageId: `c-${i}`, text: 'hi' }),
      });
      statuses.push(response.status);
    }
    expect(statuses.filter((status) => status === 202)).toHaveLength(3);
  });
});

describe('a stream whose session ends', () => {
  it('closes with 4503 when a re-check cannot reach auth (fail closed)', async () => {
    const { auth, state } = fakeAuth({ 'tok-1': sessionOf('s-1') });
    const host = await start({ auth, reauthorizeMs: 20 });
    const device = connect(host, 'tok-1');
    await device.ready();
    state.down = true;
    await until(() => device.closed() !== undefined);
    expect(device.closed()).toEqual({ code: 4503, reason: 'auth_unavailable' });
  });

  it('closes at once, on the pod that served the logout, with 4403', async () => {
    const { auth } = fakeAuth({ 'tok-1': sessionOf('s-1'), 'tok-2': sessionOf('s-2') });
    const host = await start({ auth });
    const device = connect(host, 'tok-1');
    const other = connect(host, 'tok-2');
    await device.ready();
    await other.ready();
    const logout = await fetch(`http://${host}/v1/session`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer tok-1' },
    });
    expect(logout.status).toBe(200);
    await until(() => device.closed() !== undefined, 500);
    expect(device.closed()).toEqual({ code: 4403, reason: 'session_ended' });
    expect(other.closed()).toBeUndefined();
  });

  it('closes with 1001 on shutdown, a stream not yet authorized too', async () => {
    const { auth } = fakeAuth({ 'tok-1': sessionOf('s-1') });
    const host = await start({ auth });
    const ready = connect(host, 'tok-1');
    await ready.ready();
    const waiting = connect(host);
    await until(() => waiting.socket.readyState === WebSocket.OPEN);
    await app?.close();
    app = undefined;
    await until(() => ready.closed() !== undefined && waiting.closed() !== undefined);
    expect([ready.closed()?.code, waiting.closed()?.code]).toEqual([1001, 1001]);
  });
});

describe('the close codes’ documentation', () => {
  it('lists every close code the server uses, in docs/api.md and the OpenAPI document', () => {
    const readme = readFileSync(new URL('../../../../docs/api.md', import.meta.url), 'utf8');
    const described = openApiDocument.paths['/v1/stream'].get.description;
    for (const code of Object.values(streamCloseCodes)) {
      expect(readme, `docs/api.md lists ${code}`).toMatch(new RegExp(`\\| \`${code}\` \\|`));
      expect(described, `OpenAPI lists ${code}`).toMatch(new RegExp(`\\b${code} `));
    }
  });
});
