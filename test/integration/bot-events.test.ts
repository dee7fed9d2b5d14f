import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type BrandServer, startBrandServer } from '@parley/test-brand';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../docs/examples/verify-webhook.mjs';
import { type EventStreamClient, openEventStream } from '../support/event-stream.js';
import { freshTopics, randomName, testKafka, testLogger, waitFor } from '../support/harness.js';
import {
  createTestApiKey,
  dropStore,
  pipelineTopics,
  putChannelOverHttp,
  signInOverHttp,
  startAuth,
  startEnrichment,
  startHistory,
  startIngress,
  startIntegrations,
} from '../support/services.js';

/** One event of a bot stream, its CloudEvents body parsed. */
interface StreamEvent {
  readonly cursor: string;
  readonly type: string;
  readonly body: { id: string; type: string; subject?: string; data: Record<string, unknown> };
}

const eventsOf = (stream: EventStreamClient): StreamEvent[] =>
  stream.events.map((event) => ({
    cursor: event.id ?? '',
    type: event.event ?? '',
    body: JSON.parse(event.data),
  }));
const enrichedTexts = (stream: EventStreamClient) =>
  eventsOf(stream)
    .filter((event) => event.type === 'message.enriched')
    .map((event) => event.body.data.text as string);

/** A webhook endpoint on loopback that records what it is sent and answers 200. */
async function startReceiver() {
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    received,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The bot integration paths with the real services (auth, enrichment, history, integrations,
 * ingress) on Kafka, PostgreSQL and an oidc-provider brand: two tenants, each with its bot's event
 * stream, only ever its own events; resuming from a cursor; the admin webhook API; logout events.
 */
describe('bots get their own tenant’s events: the event stream and the webhook admin API', () => {
  const logger = testLogger('bot-events-test');
  let brand: BrandServer;
  let apps: { stop(): Promise<void> }[] = [];
  let api: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const streams: EventStreamClient[] = [];
  const tenants = {
    a: { id: randomName('acme'), admin: '', bot: '', adminOnly: '', adminAndBot: '' },
    b: { id: randomName('globex'), admin: '', bot: '', adminOnly: '', adminAndBot: '' },
  };

  beforeAll(async () => {
    brand = await startBrandServer();
    for (const sub of ['a-1', 'a-2', 'a-3', 'a-4', 'b-1']) brand.customers.set(sub, { name: sub });
    receiver = await startReceiver();
    const prefix = await freshTopics(testKafka(), pipelineTopics);
    const auth = await startAuth(logger);
    const history = await startHistory(prefix, logger);
    const enrichment = await startEnrichment(prefix, auth.grpcAddress(), logger);
    const integrations = await startIntegrations(prefix, logger, { WEBHOOK_HOST_ALLOW_LIST: '127.0.0.1' });
    const ingress = await startIngress(
      prefix,
      { auth: auth.grpcAddress(), history: history.grpcAddress(), integrations: integrations.grpcAddress() },
      logger,
    );
    apps = [ingress, integrations, enrichment, history, auth];
    api = ingress.httpUrl();
    for (const app of [ingress, enrichment, integrations])
      await waitFor('ready', async () => (await fetch(`${app.opsUrl()}/readyz`)).status === 200);
    for (const tenant of Object.values(tenants)) {
      tenant.admin = await createTestApiKey(ingress, tenant.id, 'admin', ['admin']);
      tenant.bot = await createTestApiKey(ingress, tenant.id, 'bot', ['bot']);
      tenant.adminOnly = await createTestApiKey(ingress, tenant.id, 'admin-2', ['admin']);
      tenant.adminAndBot = await createTestApiKey(ingress, tenant.id, 'ops', ['admin', 'bot']);
      expect((await putChannelOverHttp(api, tenant.admin, brand)).status).toBe(200);
    }
  }, 180_000);

  afterAll(async () => {
    for (const stream of streams) stream.close();
    for (const app of apps) await app.stop();
    await Promise.all(apps.map((app) => dropStore(app)));
    await receiver?.stop();
    await brand?.stop();
  });

  const stream = (token: string, query = '', headers: Record<string, string> = {}) => {
    const opened = openEventStream(`${api}/v1/bot/events${query}`, {
      authorization: `Bearer ${token}`,
      ...headers,
    });
    streams.push(opened);
    return opened;
  };
  const call = (path: string, token: string, init: { method?: string; body?: unknown } = {}) =>
    fetch(`${api}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${token}`,
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });

  const signIn = (tenantId: string, sub: string, deviceId = 'laptop') =>
    signInOverHttp(api, brand, sub, { tenantId, deviceId });

  async function send(sessionToken: string, text: string) {
    const response = await fetch(`${api}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sessionToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ clientMessageId: randomName('c'), text }),
    });
    expect(response.status).toBe(202);
  }

  it('gives each tenant’s bot exactly its own tenant’s events, every one once, each thread in order', async () => {
    const streamA = stream(tenants.a.bot);
    const streamB = stream(tenants.b.bot);
    expect((await streamA.response).status).toBe(200);
    expect((await streamB.response).status).toBe(200);
    const [a1, a2, b1] = await Promise.all([
      signIn(tenants.a.id, 'a-1'),
      signIn(tenants.a.id, 'a-2'),
      signIn(tenants.b.id, 'b-1'),
    ]);
    const sent: Record<string, string[]> = { [a1.thread.id]: [], [a2.thread.id]: [], [b1.thread.id]: [] };
    for (let n = 1; n <= 3; n += 1) {
      for (const [session, who] of [
        [a1, 'a1'],
        [a2, 'a2'],
        [b1, 'b1'],
      ] as const) {
        const text = `${who} message ${n}`;
        await send(session.sessionToken, text);
        sent[session.thread.id]?.push(text);
      }
    }
    await waitFor('tenant A’s six messages', () => enrichedTexts(streamA).length >= 6, { timeoutMs: 45_000 });
    await waitFor('tenant B’s three messages', () => enrichedTexts(streamB).length >= 3, {
      timeoutMs: 45_000,
    });

    for (const [received, tenant, threads] of [
      [eventsOf(streamA), tenants.a, [a1.thread.id, a2.thread.id]],
      [eventsOf(streamB), tenants.b, [b1.thread.id]],
    ] as const) {
      // Only its own tenant's events, none twice, cursors increasing.
      expect(received.every((event) => event.body.data.tenantId === tenant.id)).toBe(true);
      expect(new Set(received.map((event) => event.body.id)).size).toBe(received.length);
      const cursors = received.map((event) => Number(event.cursor));
      expect(cursors).toEqual([...cursors].sort((x, y) => x - y));
      expect(new Set(cursors).size).toBe(cursors.length);
      for (const threadId of threads) {
        const texts = received
          .filter((event) => event.type === 'message.enriched' && event.body.subject === threadId)
          .map((event) => event.body.data.text);
        expect(texts).toEqual(sent[threadId]);
      }
    }
    expect(enrichedTexts(streamA)).toHaveLength(6);
    expect(enrichedTexts(streamB)).toHaveLength(3);
    // The body is the CloudEvents JSON webhooks get too.
    expect(eventsOf(streamB).find((event) => event.type === 'message.enriched')?.body).toMatchObject({
      specversion: '1.0',
      source: 'parley',
      type: 'parley.message.enriched.v1',
      subject: b1.thread.id,
      datacontenttype: 'application/json',
      data: { threadId: b1.thread.id, customer: { name: 'b-1' } },
    });
    streamA.close();
    streamB.close();
  });

  it('resumes a bot that disconnected from its cursor: nothing lost, nothing twice', async () => {
    const types = '?types=message.enriched';
    const session = await signIn(tenants.a.id, 'a-3');
    const before = stream(tenants.a.bot, types);
    const mine = (client: EventStreamClient) =>
      eventsOf(client).filter((event) => event.body.subject === session.thread.id);
    await send(session.sessionToken, 'resume 1');
    await send(session.sessionToken, 'resume 2');
    await waitFor('the first two', () => mine(before).length >= 2, { timeoutMs: 45_000 });
    const lastSeen = before.events.at(-1)?.id as string;
    before.close();
    await before.done;

    // While the bot is away.
    await send(session.sessionToken, 'resume 3');
    await send(session.sessionToken, 'resume 4');

    const after = stream(tenants.a.bot, `${types}&after=0`, { 'last-event-id': lastSeen });
    await waitFor('the two sent while away', () => mine(after).length >= 2, { timeoutMs: 45_000 });
    const seenBefore = new Set(before.events.map((event) => event.id));
    expect(after.events.filter((event) => seenBefore.has(event.id))).toEqual([]);
    expect(after.events.every((event) => Number(event.id) > Number(lastSeen))).toBe(true);
    expect([...mine(before), ...mine(after)].map((event) => event.body.data.text)).toEqual([
      'resume 1',
      'resume 2',
      'resume 3',
      'resume 4',
    ]);
    // The same cursor in the query gives the same events: the position is the cursor, nothing else.
    const again = stream(tenants.a.bot, `${types}&after=${lastSeen}`);
    await waitFor('the same two again', () => mine(again).length >= 2, { timeoutMs: 15_000 });
    expect(again.events.slice(0, after.events.length).map((event) => event.id)).toEqual(
      after.events.map((event) => event.id),
    );
    after.close();
    again.close();
  });

  it('keeps each tenant’s keys to its own tenant: the stream, the webhooks, the scopes', async () => {
    // B's subscription, managed by B's admin only.
    const created = await call('/v1/admin/webhooks', tenants.b.admin, {
      method: 'POST',
      body: { url: receiver.url, eventTypes: ['customer.updated'], description: 'globex crm' },
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const codeOf = async (response: Response) => [
      response.status,
      ((await response.json()) as { error: { code: string } }).error.code,
    ];
    for (const [method, path, body] of [
      ['GET', `/v1/admin/webhooks/${id}`, undefined],
      ['PATCH', `/v1/admin/webhooks/${id}`, { enabled: false }],
      ['POST', `/v1/admin/webhooks/${id}/rotate-secret`, undefined],
      ['GET', `/v1/admin/webhooks/${id}/deliveries`, undefined],
      ['DELETE', `/v1/admin/webhooks/${id}`, undefined],
    ] as const)
      expect(await codeOf(await call(path, tenants.a.admin, { method, body }))).toEqual([404, 'not_found']);
    const listA = (await (await call('/v1/admin/webhooks', tenants.a.admin)).json()) as {
      webhooks: unknown[];
    };
    expect(listA.webhooks).toEqual([]);
    const stillB = (await (await call(`/v1/admin/webhooks/${id}`, tenants.b.admin)).json()) as object;
    expect(stillB).toMatchObject({ id, enabled: true, status: 'active' });
    // A bot key manages no webhooks, of any tenant.
    expect(await codeOf(await call('/v1/admin/webhooks', tenants.a.bot))).toEqual([403, 'permission_denied']);

    // The stream: the tenant is the key's; an admin key needs the bot scope too.
    expect(await codeOf(await call(`/v1/bot/events?tenant=${tenants.b.id}`, tenants.a.bot))).toEqual([
      400,
      'invalid_argument',
    ]);
    expect(await codeOf(await call('/v1/bot/events', tenants.a.adminOnly))).toEqual([
      403,
      'permission_denied',
    ]);
    const both = stream(tenants.a.adminAndBot);
    expect((await both.response).status).toBe(200);
    both.close();
    // Cursors count per tenant: B's cursor given with A's key is a position in A's log, and the
    // stream still carries nothing of B (A's log is the longer one here, so the cursor is valid).
    const bSession = await signIn(tenants.b.id, 'b-1', 'tablet');
    await send(bSession.sessionToken, 'for globex only');
    const streamB = stream(tenants.b.bot, '?types=message.enriched');
    const bLast = await waitFor(
      'B’s message on B’s stream',
      () => eventsOf(streamB).find((event) => event.body.data.text === 'for globex only'),
      { timeoutMs: 45_000 },
    );
    const probe = stream(tenants.a.bot, '?types=message.enriched', { 'last-event-id': bLast.cursor });
    expect((await probe.response).status).toBe(200);
    const aSession = await signIn(tenants.a.id, 'a-1', 'tablet');
    await send(aSession.sessionToken, 'for acme only');
    await waitFor(
      'A’s message on the probe',
      () => eventsOf(probe).some((event) => event.body.data.text === 'for acme only'),
      { timeoutMs: 45_000 },
    );
    expect(eventsOf(probe).filter((event) => event.body.data.tenantId !== tenants.a.id)).toEqual([]);
    streamB.close();
    probe.close();
    expect((await call(`/v1/admin/webhooks/${id}`, tenants.b.admin, { method: 'DELETE' })).status).toBe(204);
  });

  it('publishes a logout as session.ended: on the own tenant’s stream and its webhook, signed', async () => {
    const created = await call('/v1/admin/webhooks', tenants.a.admin, {
      method: 'POST',
      body: { url: receiver.url, eventTypes: ['session.ended'] },
    });
    expect(created.status).toBe(201);
    const subscription = (await created.json()) as { id: string; secret: string };
    expect(subscription.secret).toMatch(/^whsec_/);
    const streamA = stream(tenants.a.bot, '?types=session.ended');
    const streamB = stream(tenants.b.bot, '?types=session.ended');
    const session = await signIn(tenants.a.id, 'a-4', 'phone');

    const out = await fetch(`${api}/v1/session`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${session.sessionToken}` },
    });
    expect(out.status).toBe(200);
    expect(await out.json()).toEqual({ sessionsEnded: 1, revokedAtBrand: true });

    const ended = await waitFor(
      'session.ended on tenant A’s stream',
      () => eventsOf(streamA).find((event) => event.body.data.customerKey === session.customer.key),
      { timeoutMs: 30_000 },
    );
    expect(ended.body).toMatchObject({
      type: 'parley.session.ended.v1',
      subject: session.thread.id,
      data: {
        tenantId: tenants.a.id,
        threadId: session.thread.id,
        deviceId: 'phone',
        allDevices: false,
        sessionsEnded: 1,
        reason: 'customer_logout',
      },
    });

    // The same event, signed, at the webhook; verified by the docs' snippet.
    const delivery = await waitFor(
      'the webhook delivery',
      () => receiver.received.find((entry) => entry.headers['webhook-id'] === ended.body.id),
      { timeoutMs: 30_000 },
    );
    const verified = verifyWebhook({
      secret: subscription.secret,
      headers: delivery.headers,
      body: delivery.body,
      seen: new Map(),
    });
    expect(verified).toEqual(ended.body);
    const log = await waitFor('the delivery logged as delivered', async () => {
      const page = (await (
        await call(`/v1/admin/webhooks/${subscription.id}/deliveries?status=delivered`, tenants.a.admin)
      ).json()) as { deliveries: { id: string; eventId: string }[] };
      return page.deliveries.find((entry) => entry.eventId === ended.body.id);
    });
    const redelivered = await call(
      `/v1/admin/webhooks/${subscription.id}/deliveries/${log.id}/redeliver`,
      tenants.a.admin,
      { method: 'POST' },
    );
    expect(redelivered.status).toBe(202);
    await waitFor(
      'the redelivery, with the same webhook-id',
      () => receiver.received.filter((entry) => entry.headers['webhook-id'] === ended.body.id).length >= 2,
      { timeoutMs: 30_000 },
    );
    const rotated = await call(`/v1/admin/webhooks/${subscription.id}/rotate-secret`, tenants.a.admin, {
      method: 'POST',
      body: { overlapSeconds: 60 },
    });
    expect(rotated.status).toBe(200);
    expect(((await rotated.json()) as { secret: string }).secret).not.toBe(subscription.secret);
    expect(
      (await call(`/v1/admin/webhooks/${subscription.id}`, tenants.a.admin, { method: 'DELETE' })).status,
    ).toBe(204);

    // Tenant B saw none of it.
    expect(eventsOf(streamB).filter((event) => event.body.data.customerKey === session.customer.key)).toEqual(
      [],
    );
    streamA.close();
    streamB.close();
  });
});
