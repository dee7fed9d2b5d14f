import { createEventProducer, topicNameFor } from '@parley/bus';
import type { TopicName } from '@parley/contracts';
import { createLogger } from '@parley/logger';
import { type BrandServer, startBrandServer } from '@parley/test-brand';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../services/ingress/src/http/create-http-app.js';
import type { openApiDocument } from '../../services/ingress/src/http/openapi.js';
import { openDeviceStream } from '../support/device-stream.js';
import { freshTopics, randomName, testKafka, waitFor } from '../support/harness.js';
import {
  createTestApiKey,
  dropStore,
  pipelineTopics,
  putChannelOverHttp,
  signInOverHttp,
  startAuth,
  startHistory,
  startIngress,
} from '../support/services.js';

// Ingress publishes a customer's message enriched: auth fetched the data beside the introspection.
const topic = 'chat.messages.enriched.v1' as const;

/** How many events were ever published to a topic (under the test's prefix). */
async function publishedCount(kafka: Kafka, prefix: string, name: TopicName = topic) {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topicNameFor(prefix, name));
  await admin.disconnect();
  return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
}

// Strings PostgreSQL cannot hold: a NUL character, and an unpaired surrogate (not Unicode; the
// driver would silently store U+FFFD instead). JSON carries both as escapes.
const nul = 'before\u0000after';
const loneSurrogate = 'broken \ud83d emoji';

describe('ingress with the real auth service, brand, Kafka and store', () => {
  const logger = createLogger({
    service: 'ingress-test',
    version: 'test',
    level: process.env.TEST_LOG_LEVEL ?? 'silent',
  });
  let brand: BrandServer;
  let auth: Awaited<ReturnType<typeof startAuth>>;
  let ingress: Awaited<ReturnType<typeof startIngress>>;
  let history: Awaited<ReturnType<typeof startHistory>>;
  let api: string;
  let prefix: string;
  const received: KafkaMessage[] = [];
  const kafka = testKafka();
  const consumer = kafka.consumer({ groupId: randomName('ingress-test') });
  const adminKeys: Record<string, string> = {};

  const call = (
    path: string,
    init: { method?: string; body?: unknown; token?: string; tenant?: string; raw?: string } = {},
  ) =>
    fetch(`${api}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        ...(init.body !== undefined || init.raw !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...(init.tenant ? { 'parley-tenant': init.tenant } : {}),
      },
      ...(init.raw !== undefined
        ? { body: init.raw }
        : init.body !== undefined
          ? { body: JSON.stringify(init.body) }
          : {}),
    });
  const errorCode = async (response: Response) =>
    ((await response.json()) as { error: { code: string } }).error.code;

  async function signIn(sub: string) {
    const { code, codeVerifier, redirectUri, iss } = await brand.authorize(sub);
    const response = await call('/v1/channels/web/sessions', {
      method: 'POST',
      tenant: 'acme',
      body: { code, codeVerifier, redirectUri, iss, device: { id: 'laptop', platform: 'web' } },
    });
    expect(response.status).toBe(201);
    return (await response.json()) as {
      sessionToken: string;
      customer: { key: string; customFields: Record<string, unknown> };
      thread: { id: string };
    };
  }

  beforeAll(async () => {
    brand = await startBrandServer();
    brand.customers.set('c-1', { name: 'Ada', tier: 'gold' });
    brand.customers.set('c-2', { name: 'Grace', tier: 'silver' });
    prefix = await freshTopics(kafka, pipelineTopics);
    history = await startHistory(prefix, logger);
    auth = await startAuth(logger);
    ingress = await startIngress(
      prefix,
      { auth: auth.grpcAddress(), history: history.grpcAddress() },
      logger,
      {
        BODY_LIMIT_BYTES: '8192',
        RATE_LIMIT_PER_SESSION_PER_MINUTE: '8',
        CORS_ALLOWED_ORIGINS: 'https://www.acme.example',
      },
    );
    api = ingress.httpUrl();
    for (const tenant of ['acme', 'globex'])
      adminKeys[tenant] = await createTestApiKey(ingress, tenant, 'admin', ['admin']);
    await consumer.connect();
    await consumer.subscribe({ topic: topicNameFor(prefix, topic), fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void received.push(message) });

    const settings = {
      issuer: brand.issuer,
      client: { clientId: brand.client.clientId, clientSecret: brand.client.clientSecret },
      redirectUris: [brand.client.redirectUri],
      customerDataUrl: brand.endpoints.userinfo,
      mapping: { customFields: { tier: '$.tier' } },
    };
    const put = await call('/v1/admin/channels/web', {
      method: 'PUT',
      token: adminKeys.acme,
      body: settings,
    });
    expect(put.status).toBe(200);
  });

  afterAll(async () => {
    await consumer.disconnect();
    await ingress?.stop();
    await auth?.stop();
    await history?.stop();
    await Promise.all([dropStore(ingress), dropStore(auth), dropStore(history)]);
    await brand?.stop();
  });

  it('signs a device in and publishes its message, with no token in the event', async () => {
    const session = await signIn('c-1');
    expect(session.customer.customFields).toEqual({ tier: 'gold' });
    const sent = await call('/v1/messages', {
      method: 'POST',
      token: session.sessionToken,
      body: { clientMessageId: 'c-1-1', text: 'hello' },
    });
    expect(sent.status).toBe(202);
    const { messageId, threadId } = (await sent.json()) as { messageId: string; threadId: string };
    expect(threadId).toBe(session.thread.id);
    const event = await waitFor('the enriched event', () =>
      received.find((message) => JSON.parse(message.value?.toString() ?? '{}').messageId === messageId),
    );
    expect(event.key?.toString()).toBe(threadId);
    expect(JSON.parse(event.value?.toString() ?? '')).toMatchObject({
      text: 'hello',
      tenantId: 'acme',
      channelId: 'web',
      deviceId: 'laptop',
      // Fetched by auth from the brand beside the introspection, with the customer's token.
      customer: { customFields: { tier: 'gold' } },
      enrichment: { status: 'ok' },
    });
    const everything = `${event.value?.toString()} ${JSON.stringify(event.headers)}`;
    expect(everything).not.toContain(session.sessionToken);
    expect(everything).not.toMatch(/token/i);
  });

  it('collapses a duplicate clientMessageId into the same answer', async () => {
    const { sessionToken } = await signIn('c-1');
    const send = () =>
      call('/v1/messages', {
        method: 'POST',
        token: sessionToken,
        body: { clientMessageId: 'dup-1', text: 'once' },
      });
    const first = await (await send()).json();
    const second = await (await send()).json();
    expect(second).toEqual(first);
  });

  it('gives every bad request its own code and publishes nothing', async () => {
    const { sessionToken } = await signIn('c-2');
    const before = await publishedCount(kafka, prefix);
    const cases: [Promise<Response>, number, string][] = [
      [
        call('/v1/messages', {
          method: 'POST',
          token: sessionToken,
          raw: '{"clientMessageId": "x", "text": ',
        }),
        400,
        'invalid_argument',
      ],
      [
        call('/v1/messages', {
          method: 'POST',
          token: sessionToken,
          body: { clientMessageId: 'big', text: 'x'.repeat(4001) },
        }),
        400,
        'invalid_argument',
      ],
      [
        call('/v1/messages', {
          method: 'POST',
          token: sessionToken,
          raw: JSON.stringify({ clientMessageId: 'huge', text: 'x'.repeat(9000) }),
        }),
        413,
        'payload_too_large',
      ],
      [
        call('/v1/messages', { method: 'POST', body: { clientMessageId: 'anon', text: 'hi' } }),
        401,
        'unauthenticated',
      ],
      [
        call('/v1/messages', { method: 'POST', token: 'forged', body: { clientMessageId: 'f', text: 'hi' } }),
        401,
        'unauthenticated',
      ],
      [
        call('/v1/channels/nope/sessions', {
          method: 'POST',
          tenant: 'acme',
          body: {
            code: 'c',
            codeVerifier: 'v'.repeat(43),
            redirectUri: brand.client.redirectUri,
            device: { id: 'd', platform: 'web' },
          },
        }),
        404,
        'not_found',
      ],
      [call('/v1/admin/channels/web', { token: adminKeys.globex }), 404, 'not_found'],
      [
        call('/v1/admin/channels/web', {
          token: 'pk_unknownkey12.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        }),
        401,
        'unauthenticated',
      ],
      [call('/v1/nowhere'), 404, 'not_found'],
    ];
    for (const [response, status, code] of cases) {
      const answer = await response;
      expect(answer.status).toBe(status);
      expect(await errorCode(answer)).toBe(code);
    }
    expect(await publishedCount(kafka, prefix)).toBe(before);
  });

  it('refuses text the store cannot hold wherever it takes strings, and publishes nothing', async () => {
    const { sessionToken } = await signIn('c-2');
    const bot = await createTestApiKey(ingress, 'acme', 'unicode-bot', ['bot']);
    const agent = await createTestApiKey(ingress, 'acme', 'unicode-agent', ['agent']);
    const before = {
      received: await publishedCount(kafka, prefix),
      outbound: await publishedCount(kafka, prefix, 'chat.messages.outbound.v1'),
    };
    const cases: [Promise<Response>, RegExp][] = [
      [
        call('/v1/messages', {
          method: 'POST',
          token: sessionToken,
          body: { clientMessageId: 'n-1', text: nul },
        }),
        /text: contains a NUL character/,
      ],
      [
        call('/v1/messages', {
          method: 'POST',
          token: sessionToken,
          body: { clientMessageId: 'n-2', text: loneSurrogate },
        }),
        /text: is not valid Unicode/,
      ],
      [
        call('/v1/messages', {
          method: 'POST',
          token: sessionToken,
          body: { clientMessageId: 'n-\u0000', text: 'hi' },
        }),
        /clientMessageId/,
      ],
      [
        call('/v1/threads/t-unknown/messages', {
          method: 'POST',
          token: bot,
          body: { clientMessageId: 'b-1', text: loneSurrogate },
        }),
        /text: is not valid Unicode/,
      ],
      [
        call('/v1/customers/k-1/fields', { method: 'PATCH', token: agent, body: { note: nul } }),
        /note: contains a NUL character/,
      ],
      [
        call('/v1/customers/k-1/fields', { method: 'PATCH', token: agent, body: { [loneSurrogate]: 'x' } }),
        /a field named .* is not valid Unicode/,
      ],
      [
        call('/v1/admin/channels/web', {
          method: 'PUT',
          token: adminKeys.acme,
          body: { mapping: { name: loneSurrogate } },
        }),
        /mapping\.name: is not valid Unicode/,
      ],
      [
        call('/v1/bot/token', { method: 'POST', token: bot, body: { threadId: 't-1', reason: nul } }),
        /reason: contains a NUL character/,
      ],
    ];
    for (const [response, message] of cases) {
      const answer = await response;
      expect(answer.status).toBe(400);
      const { error } = (await answer.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('invalid_argument');
      expect(error.message).toMatch(message);
    }
    expect(await publishedCount(kafka, prefix)).toBe(before.received);
    expect(await publishedCount(kafka, prefix, 'chat.messages.outbound.v1')).toBe(before.outbound);
  });

  it('answers 429 with Retry-After when a session sends too fast', async () => {
    const { sessionToken } = await signIn('c-2');
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 10; i += 1) {
      const response = await call('/v1/messages', {
        method: 'POST',
        token: sessionToken,
        body: { clientMessageId: `r-${i}`, text: 'spam' },
      });
      statuses.push(response.status);
      if (response.status === 429) {
        retryAfter = response.headers.get('retry-after');
        expect(await errorCode(response)).toBe('rate_limited');
      }
    }
    expect(statuses.filter((status) => status === 202)).toHaveLength(8);
    expect(statuses.slice(8)).toEqual([429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });

  it('refuses the next message once the brand revoked the grant', async () => {
    brand.customers.set('c-3', { name: 'Leaving' });
    const { sessionToken } = await signIn('c-3');
    expect(
      (
        await call('/v1/messages', {
          method: 'POST',
          token: sessionToken,
          body: { clientMessageId: 'a', text: 'hi' },
        })
      ).status,
    ).toBe(202);
    await brand.revokeGrants('c-3');
    const refused = await call('/v1/messages', {
      method: 'POST',
      token: sessionToken,
      body: { clientMessageId: 'b', text: 'hi' },
    });
    expect(refused.status).toBe(401);
    expect(await errorCode(refused)).toBe('reauthentication_required');
  });

  it('logs out', async () => {
    const { sessionToken } = await signIn('c-1');
    const out = await call('/v1/session?allDevices=false', { method: 'DELETE', token: sessionToken });
    expect(out.status).toBe(200);
    const after = await call('/v1/messages', {
      method: 'POST',
      token: sessionToken,
      body: { clientMessageId: 'z', text: 'hi' },
    });
    expect(await errorCode(after)).toBe('unauthenticated');
  });

  it('runs the admin self-test over HTTP, applying the mapping to a sample of customer data', async () => {
    const response = await call('/v1/admin/channels/web/test', {
      method: 'POST',
      token: adminKeys.acme,
      body: { sampleCustomerData: { sub: 'c-9', name: 'Ada', tier: 'bronze', profile: { since: 2019 } } },
    });
    expect(response.status).toBe(200);
    const result = (await response.json()) as {
      ok: boolean;
      checks: { name: string; ok: boolean; status: string; detail: string }[];
    };
    expect(result.checks.map((check) => check.name)).toEqual(
      expect.arrayContaining(['discovery', 'client credentials (token)', 'clock skew', 'mapping']),
    );
    expect(result.checks.find((check) => check.name === 'mapping')).toMatchObject({
      status: 'passed',
      detail: expect.stringContaining('"tier":"bronze"'),
    });
    expect(result.ok).toBe(true);
  });

  it('lets only the configured brand origins call it from a browser (CORS)', async () => {
    const preflight = (origin: string) =>
      fetch(`${api}/v1/messages`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
    const allowed = await preflight('https://www.acme.example');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://www.acme.example');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
    const other = await preflight('https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('serves an OpenAPI document that lists exactly the routes it serves', async () => {
    const served = (await (await call('/openapi.json')).json()) as typeof openApiDocument;
    const documented = Object.entries(served.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    // The same app, built with inert dependencies, lists the routes it registered.
    const probe = createHttpApp({
      auth: {} as never,
      history: {} as never,
      producer: {} as never,
      connections: {} as never,
      sessionEnded: {} as never,
      integrations: {} as never,
      botStreams: {} as never,
      apiKeys: {} as never,
      logger,
      ipLimiter: { take: () => ({ allowed: true }) },
      apiKeyLimiter: { take: () => ({ allowed: true }) },
      sessionLimiter: { take: () => ({ allowed: true }) },
      bodyLimitBytes: 1024,
      trustedProxyHops: 0,
    });
    // Every route, as `METHOD /path/{param}` (the routes load at `ready()`, after this hook).
    const registered: string[] = [];
    probe.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) {
        if (method !== 'HEAD' && method !== 'OPTIONS')
          registered.push(`${method} ${route.url.replace(/:([A-Za-z]+)/g, '{$1}')}`);
      }
    });
    await probe.ready();
    expect([...registered].sort()).toEqual([...documented].sort());
    await probe.close();
  });
});

describe('ingress WebSocket stream', () => {
  const logger = createLogger({ service: 'ingress-test', version: 'test', level: 'silent' });
  let brand: BrandServer;
  let auth: Awaited<ReturnType<typeof startAuth>>;
  let ingress: Awaited<ReturnType<typeof startIngress>>;
  let history: Awaited<ReturnType<typeof startHistory>>;
  let prefix: string;
  const kafka = testKafka();
  const apiKeys: Record<string, string> = {};

  beforeAll(async () => {
    brand = await startBrandServer();
    for (const sub of ['c-1', 'c-2', 'c-7']) brand.customers.set(sub, { name: sub });
    prefix = await freshTopics(kafka, pipelineTopics);
    history = await startHistory(prefix, logger);
    auth = await startAuth(logger);
    ingress = await startIngress(
      prefix,
      { auth: auth.grpcAddress(), history: history.grpcAddress() },
      logger,
      {
        STREAM_REAUTHORIZE_SECONDS: '1',
      },
    );
    const token = await createTestApiKey(ingress, 'acme', 'admin', ['admin']);
    for (const [name, tenant, scope] of [
      ['crm-bot', 'acme', 'bot'],
      ['agent-desk', 'acme', 'agent'],
      ['other-bot', 'globex', 'bot'],
    ] as const) {
      apiKeys[name] = await createTestApiKey(ingress, tenant, name, [scope]);
    }
    const put = await putChannelOverHttp(ingress.httpUrl(), token, brand);
    expect(put.status).toBe(200);
    // The pod's consumer joins its own group; wait until it is in, so it sees what comes next.
    await waitFor('the pod consumer', async () => (await fetch(`${ingress.opsUrl()}/readyz`)).status === 200);
  });

  afterAll(async () => {
    await ingress?.stop();
    await auth?.stop();
    await history?.stop();
    await Promise.all([dropStore(ingress), dropStore(auth), dropStore(history)]);
    await brand?.stop();
  });

  const signIn = (sub: string, deviceId: string) =>
    signInOverHttp(ingress.httpUrl(), brand, sub, { tenantId: 'acme', deviceId });

  const connect = (token?: string) => openDeviceStream(ingress.httpUrl(), token);

  it('authorizes on connect (subprotocol or first frame) and fans deliveries out to every device', async () => {
    const laptop = await signIn('c-1', 'laptop');
    const phone = await signIn('c-1', 'phone');
    const first = connect(laptop.sessionToken);
    await first.opened;
    expect(first.socket.protocol).toBe('parley.v1');
    const second = connect();
    await second.opened;
    second.socket.send(JSON.stringify({ type: 'auth', token: phone.sessionToken }));
    for (const device of [first, second])
      await waitFor('ready', () => device.frames.find((frame) => frame.type === 'ready'));

    const producer = createEventProducer({ kafka, source: 'parley/test', topicPrefix: prefix, logger });
    await producer.connect();
    const now = new Date().toISOString();
    await producer.publish('chat.deliveries.v1', {
      tenantId: 'acme',
      customerKey: laptop.customer.key,
      threadId: laptop.thread.id,
      seq: 1,
      message: {
        messageId: 'm-1',
        author: { kind: 'bot', id: 'helper' },
        text: 'hi from the bot',
        sentAt: now,
        storedAt: now,
      },
    });
    await producer.disconnect();
    for (const device of [first, second]) {
      const delivered = await waitFor('the delivery', () =>
        device.frames.find((frame) => frame.type === 'message'),
      );
      expect(delivered).toMatchObject({ type: 'message', seq: 1, message: { text: 'hi from the bot' } });
    }
    first.socket.close();
    second.socket.close();
  });

  it('acknowledges send frames, and closes with 4401 once the brand revoked the grant', async () => {
    const session = await signIn('c-2', 'tablet');
    const device = connect(session.sessionToken);
    await device.opened;
    await waitFor('ready', () => device.frames.find((frame) => frame.type === 'ready'));
    device.socket.send(JSON.stringify({ type: 'send', clientMessageId: 'w-1', text: 'over the socket' }));
    const ack = await waitFor('the ack', () => device.frames.find((frame) => frame.type === 'ack'));
    expect(ack).toMatchObject({
      clientMessageId: 'w-1',
      messageId: expect.stringMatching(/^m_/),
      threadId: session.thread.id,
    });

    await brand.revokeGrants('c-2');
    device.socket.send(JSON.stringify({ type: 'send', clientMessageId: 'w-2', text: 'after revocation' }));
    const closed = await waitFor('the close', () => device.closed());
    expect(closed).toEqual({ code: 4401, reason: 'reauthentication_required' });
    expect(device.frames.find((frame) => frame.type === 'error')).toMatchObject({
      clientMessageId: 'w-2',
      code: 'reauthentication_required',
    });
  });

  it('answers a send frame with text the store cannot hold, or a control character, with invalid_argument, publishing nothing', async () => {
    const session = await signIn('c-1', 'unicode-tablet');
    const device = connect(session.sessionToken);
    await device.opened;
    await waitFor('ready', () => device.frames.find((frame) => frame.type === 'ready'));
    const before = await publishedCount(kafka, prefix);
    device.socket.send(JSON.stringify({ type: 'send', clientMessageId: 'u-1', text: nul }));
    device.socket.send(JSON.stringify({ type: 'send', clientMessageId: 'u-2', text: loneSurrogate }));
    device.socket.send(JSON.stringify({ type: 'send', clientMessageId: 'u-4', text: '\u001b[2Jfake' }));
    const errors = await waitFor('the three refusals', () => {
      const found = device.frames.filter((frame) => frame.type === 'error');
      return found.length === 3 ? found : undefined;
    });
    expect(errors).toEqual([
      {
        type: 'error',
        clientMessageId: 'u-1',
        code: 'invalid_argument',
        message: expect.stringMatching(/text: contains a NUL character/),
      },
      {
        type: 'error',
        clientMessageId: 'u-2',
        code: 'invalid_argument',
        message: expect.stringMatching(/text: is not valid Unicode/),
      },
      {
        type: 'error',
        clientMessageId: 'u-4',
        code: 'invalid_argument',
        message: expect.stringMatching(/text: contains a control character \(U\+001B\)/),
      },
    ]);
    expect(await publishedCount(kafka, prefix)).toBe(before);
    // The stream stays usable: the next message goes through.
    device.socket.send(JSON.stringify({ type: 'send', clientMessageId: 'u-3', text: 'fine 😀' }));
    expect(await waitFor('the ack', () => device.frames.find((frame) => frame.type === 'ack'))).toMatchObject(
      {
        clientMessageId: 'u-3',
      },
    );
    expect(device.closed()).toBeUndefined();
    device.socket.close();
  });

  it('closes a device’s stream soon after the customer logged out everywhere from another device', async () => {
    const tablet = await signIn('c-2', 'tablet-9');
    const phone = await signIn('c-2', 'phone-9');
    const device = connect(tablet.sessionToken);
    await device.opened;
    await waitFor('ready', () => device.frames.find((frame) => frame.type === 'ready'));
    const logout = await fetch(`${ingress.httpUrl()}/v1/session?allDevices=true`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${phone.sessionToken}` },
    });
    expect(logout.status).toBe(200);
    expect(await waitFor('the close', () => device.closed(), { timeoutMs: 10_000 })).toMatchObject({
      code: 4403,
    });
  });

  it('closes on a forged token (4403) and on a frame that is not JSON (4400)', async () => {
    const forged = connect('forged');
    await forged.opened;
    expect(await waitFor('the close', () => forged.closed())).toMatchObject({ code: 4403 });
    const garbage = connect();
    await garbage.opened;
    garbage.socket.send('not json');
    expect(await waitFor('the close', () => garbage.closed())).toMatchObject({ code: 4400 });
  });

  it('syncs what a device missed, over HTTP and on connect, and delivers a bot reply live', async () => {
    // A customer who has sent nothing yet: history has no thread of theirs.
    const laptop = await signIn('c-7', 'laptop-2');
    const device = connect(laptop.sessionToken);
    await device.opened;
    await waitFor('ready', () => device.frames.find((frame) => frame.type === 'ready'));

    const reply = await fetch(`${ingress.httpUrl()}/v1/threads/${laptop.thread.id}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKeys['crm-bot']}`, 'content-type': 'application/json' },
      body: JSON.stringify({ clientMessageId: 'b-1', text: 'Your order ships today' }),
    });
    // History knows a thread once a message was stored in it: before that, a bot cannot address it.
    expect(reply.status).toBe(404);
    const producer = createEventProducer({ kafka, source: 'parley/test', topicPrefix: prefix, logger });
    await producer.connect();
    await producer.publish('chat.messages.enriched.v1', {
      messageId: 'm-first',
      clientMessageId: 'c-first',
      tenantId: 'acme',
      channelId: 'web',
      threadId: laptop.thread.id,
      customerKey: laptop.customer.key,
      deviceId: 'laptop-2',
      text: 'Where is my order?',
      sentAt: new Date().toISOString(),
      customer: { id: 'c-7', name: 'c-7', customFields: { tier: 'gold' } },
      enrichment: { status: 'ok', fetchedAt: new Date().toISOString(), latencyMs: 5 },
    });
    await producer.disconnect();
    await waitFor('the thread in history', async () => {
      const retry = await fetch(`${ingress.httpUrl()}/v1/threads/${laptop.thread.id}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKeys['crm-bot']}`, 'content-type': 'application/json' },
        body: JSON.stringify({ clientMessageId: 'b-1', text: 'Your order ships today' }),
      });
      return retry.status === 202;
    });
    const live = await waitFor('the bot reply, live', () =>
      device.frames.find(
        (frame) =>
          frame.type === 'message' && (frame.message as { text: string }).text === 'Your order ships today',
      ),
    );
    expect(live).toMatchObject({ message: { author: { kind: 'bot', name: 'crm-bot' } } });

    const synced = await waitFor('the reply in sync', async () => {
      const response = await fetch(`${ingress.httpUrl()}/v1/thread/messages?after=0`, {
        headers: { authorization: `Bearer ${laptop.sessionToken}` },
      });
      const page = (await response.json()) as { messages: { text: string; seq: number }[] };
      return page.messages.some((message) => message.text === 'Your order ships today') ? page : undefined;
    });
    const lastSeq = synced.messages.at(-1)?.seq ?? 0;
    const later = connect(laptop.sessionToken);
    await later.opened;
    const sync = await waitFor('the sync frame', () => later.frames.find((frame) => frame.type === 'sync'));
    expect((sync.messages as { seq: number }[]).map((message) => message.seq).at(-1)).toBe(lastSeq);
    device.socket.close();
    later.socket.close();
  });

  it('hands bots an audited token for a thread of their tenant only', async () => {
    const session = await signIn('c-1', 'laptop-3');
    const ask = (key: string) =>
      fetch(`${ingress.httpUrl()}/v1/bot/token`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ threadId: session.thread.id, reason: 'look up the order' }),
      });
    const granted = await waitFor('the thread known to history', async () => {
      const response = await ask(apiKeys['crm-bot'] as string);
      return response.status === 200 ? response : undefined;
    });
    expect(await granted.json()).toMatchObject({ accessToken: expect.any(String), tokenType: 'Bearer' });
    const audit = await auth.stores.audit.listOfCustomer('acme', session.customer.key);
    // Auth audits the service its certificate proves (ingress) and the bot ingress asked for.
    expect(audit[0]).toMatchObject({
      tenantId: 'acme',
      caller: { kind: 'service', id: 'ingress' },
      botId: expect.stringMatching(/^crm-bot /),
      reason: 'look up the order',
    });
    const foreign = await ask(apiKeys['other-bot'] as string);
    expect(foreign.status).toBe(404);
    const wrongScope = await ask(apiKeys['agent-desk'] as string);
    expect(wrongScope.status).toBe(403);
  });

  it('shows agents the profile and refuses edits of OAuth-managed fields', async () => {
    // The customer whose stored message (the sync test's) carried the brand's tier.
    const session = await signIn('c-7', 'laptop-4');
    const agent = (path: string, init: { method?: string; body?: unknown } = {}) =>
      fetch(`${ingress.httpUrl()}${path}`, {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${apiKeys['agent-desk']}`, 'content-type': 'application/json' },
        ...(init.body ? { body: JSON.stringify(init.body) } : {}),
      });
    const profile = await waitFor('the profile', async () => {
      const response = await agent(`/v1/customers/${session.customer.key}`);
      return response.status === 200
        ? ((await response.json()) as { customFields: Record<string, { readOnly: boolean }> })
        : undefined;
    });
    expect(profile.customFields.tier).toMatchObject({ value: 'gold', readOnly: true });
    const refused = await agent(`/v1/customers/${session.customer.key}/fields`, {
      method: 'PATCH',
      body: { tier: 'platinum' },
    });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'field_managed_by_origin',
    );
    const accepted = await agent(`/v1/customers/${session.customer.key}/fields`, {
      method: 'PATCH',
      body: { note: 'VIP' },
    });
    expect(await accepted.json()).toMatchObject({
      customFields: { note: { value: 'VIP', readOnly: false } },
    });
    // The customer sees what the brand said about them, not what agents noted.
    const own = await fetch(`${ingress.httpUrl()}/v1/thread/customer`, {
      headers: { authorization: `Bearer ${session.sessionToken}` },
    });
    expect(own.status).toBe(200);
    const data = (await own.json()) as { customFields: Record<string, unknown>; fetchedAt: string };
    expect(data.customFields).toEqual({ tier: 'gold' });
    expect(Date.parse(data.fetchedAt)).not.toBeNaN();
  });
});
