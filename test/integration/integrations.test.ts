import { createEventProducer, type EventProducer } from '@parley/bus';
import type { CustomerUpdated, Delivery, SessionEnded } from '@parley/contracts';
import {
  createServiceClient,
  type IntegrationsServiceDefinition,
  loadParleyProtos,
  type ServiceClient,
} from '@parley/grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../docs/examples/verify-webhook.mjs';
import { enrichedMessage } from '../support/events.js';
import { grpcTlsOf } from '../support/grpc.js';
import { freshTopics, randomName, testKafka, testLogger, waitFor } from '../support/harness.js';
import { dropStore, startIntegrations } from '../support/services.js';
import {
  type ReceivedWebhook,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../support/webhook-receiver.js';

const topics = [
  'chat.messages.enriched.v1',
  'chat.deliveries.v1',
  'chat.customers.updated.v1',
  'chat.sessions.ended.v1',
] as const;
const allTypes = ['message.enriched', 'message.stored', 'customer.updated', 'session.ended'];

type Client = ServiceClient<IntegrationsServiceDefinition>;

/** Integrations' gRPC API as ingress, its one caller, reaches it. */
function integrationsClient(address: string): Client {
  return createServiceClient(loadParleyProtos().integrations.IntegrationsService.service, address, {
    tls: grpcTlsOf('ingress'),
    server: 'integrations',
  }) as Client;
}

const enriched = (tenantId: string, threadId: string, n: number) => ({
  ...enrichedMessage(threadId, n),
  tenantId,
});

const botReply = (tenantId: string, threadId: string, seq: number): Delivery => ({
  tenantId,
  customerKey: `ck-${threadId}`,
  threadId,
  seq,
  message: {
    messageId: `${threadId}-bot${seq}`,
    author: { kind: 'bot', id: 'helper' },
    text: 'How can I help?',
    sentAt: new Date().toISOString(),
    storedAt: new Date().toISOString(),
  },
});

const customerUpdated = (tenantId: string, customerKey: string): CustomerUpdated => ({
  tenantId,
  customerKey,
  customer: { id: 'cust-1', name: 'Ada', customFields: { tier: 'platinum' } },
  changedFields: ['tier'],
  fetchedAt: new Date().toISOString(),
});

const sessionEnded = (tenantId: string, threadId: string): SessionEnded => ({
  sessionEventId: randomName('logout'),
  tenantId,
  customerKey: `ck-${threadId}`,
  threadId,
  deviceId: 'laptop',
  allDevices: false,
  sessionsEnded: 1,
  reason: 'customer_logout',
  endedAt: new Date().toISOString(),
});

const headersOf = (webhook: ReceivedWebhook) => webhook.headers as Record<string, string>;
const idOf = (webhook: ReceivedWebhook) => headersOf(webhook)['webhook-id'] as string;
/** The message id of a message event's body (customer message or bot reply). */
function messageIdOf(body: string): string | undefined {
  const { data } = JSON.parse(body);
  return data.messageId ?? data.message?.messageId;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};

/** Webhooks answer 204, except: `/flaky…` 500 the first time an id comes, `/hang…` never. */
function answer(request: ReceivedWebhook, received: readonly ReceivedWebhook[]) {
  if (request.path.startsWith('/hang')) return 'hang' as const;
  if (request.path.startsWith('/flaky')) {
    const before = received.filter((other) => other.path === request.path && idOf(other) === idOf(request));
    return { status: before.length === 1 ? 500 : 204 };
  }
  return { status: 204 };
}

describe('integrations against the real broker, store and local receivers', () => {
  const logger = testLogger('integrations-test');
  const kafka = testKafka();
  let app: Awaited<ReturnType<typeof startIntegrations>>;
  let client: Client;
  let producer: EventProducer;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    const prefix = await freshTopics(kafka, topics);
    receiver = await startWebhookReceiver(answer);
    app = await startIntegrations(prefix, logger, {
      WEBHOOK_TIMEOUT_MS: '2000',
      WEBHOOK_RETRY_BASE_MS: '200',
      WEBHOOK_PAUSE_AFTER_SECONDS: '600',
    });
    client = integrationsClient(app.grpcAddress());
    producer = createEventProducer({ kafka, source: 'parley/test', topicPrefix: prefix, logger });
    await producer.connect();
  });

  afterAll(async () => {
    client?.close();
    await producer?.disconnect();
    await receiver?.close();
    await app?.stop();
    await dropStore(app);
  });

  async function subscribe(tenantId: string, path: string) {
    const created = await client.call.CreateSubscription({
      tenantId,
      url: receiver.url(path),
      eventTypes: allTypes,
      description: 'test receiver',
      enabled: true,
    });
    return { id: created.subscription?.id as string, secret: created.secret };
  }

  async function readAll(tenantId: string) {
    const events = [];
    let after = '';
    for (;;) {
      const page = await client.call.ReadEvents({ tenantId, after, limit: 3, waitMs: 0, eventTypes: [] });
      if (page.events.length === 0) return events;
      events.push(...page.events);
      after = page.cursor;
    }
  }

  it('delivers each tenant exactly its own events, each once, in thread order, verified independently', async () => {
    const tenants = [randomName('tenant-a'), randomName('tenant-b')];
    const subscriptions = await Promise.all(tenants.map((tenantId) => subscribe(tenantId, `/${tenantId}`)));
    const threads = ['th-1', 'th-2', 'th-3'].map((thread) => randomName(thread));
    // Customer messages, threads interleaved, each record published twice (a redelivery).
    for (let n = 1; n <= 4; n += 1)
      for (const tenantId of tenants)
        for (const threadId of threads) {
          const message = enriched(tenantId, threadId, n);
          for (let copy = 0; copy < 2; copy += 1)
            await producer.publish('chat.messages.enriched.v1', message, { id: message.messageId });
        }
    for (const tenantId of tenants)
      await waitFor(`12 customer messages of ${tenantId}`, () => receiver.at(`/${tenantId}`).length >= 12);
    for (const tenantId of tenants) {
      for (const [i, threadId] of threads.entries()) {
        const reply = botReply(tenantId, threadId, 5);
        // History delivers every message, the customer's own too: those are not message.stored.
        const own = {
          ...botReply(tenantId, threadId, 4),
          message: {
            ...reply.message,
            author: { kind: 'customer' as const, id: 'ck' },
            messageId: `own-${i}`,
          },
        };
        await producer.publish('chat.deliveries.v1', own, { id: `${threadId}:4` });
        await producer.publish('chat.deliveries.v1', reply, { id: `${threadId}:5` });
        await producer.publish('chat.deliveries.v1', reply, { id: `${threadId}:5` });
      }
      const update = customerUpdated(tenantId, `ck-${threads[0]}`);
      await producer.publish('chat.customers.updated.v1', update, { id: `cu-${tenantId}` });
      await producer.publish('chat.customers.updated.v1', update, { id: `cu-${tenantId}` });
      const ended = sessionEnded(tenantId, threads[0] as string);
      await producer.publish('chat.sessions.ended.v1', ended);
      await producer.publish('chat.sessions.ended.v1', ended);
    }
    const expected = 12 + 3 + 1 + 1;
    for (const tenantId of tenants)
      await waitFor(
        `${expected} events of ${tenantId}`,
        () => receiver.at(`/${tenantId}`).length >= expected,
      );
    // The redeliveries did not come later either: the log has each event once.
    for (const tenantId of tenants)
      await waitFor(`${tenantId}'s deliveries all delivered`, async () => {
        const log = await client.call.ListDeliveries({
          tenantId,
          subscriptionId: subscriptions[tenants.indexOf(tenantId)]?.id as string,
          status: 'delivered',
          limit: 200,
          before: '',
        });
        return log.deliveries.length === expected;
      });

    for (const [index, tenantId] of tenants.entries()) {
      const webhooks = receiver.at(`/${tenantId}`);
      expect(webhooks).toHaveLength(expected);
      const seen = new Map<string, number>();
      const secret = subscriptions[index]?.secret as string;
      for (const webhook of webhooks) {
        // The docs' snippet: a valid signature of this tenant's secret, fresh, never seen before.
        const event = verifyWebhook({ secret, headers: headersOf(webhook), body: webhook.body, seen });
        expect(event.data.tenantId).toBe(tenantId);
        expect(event).toMatchObject({ specversion: '1.0', source: 'parley', id: idOf(webhook) });
        // The other tenant's secret does not verify it.
        expect(() =>
          verifyWebhook({
            secret: subscriptions[1 - index]?.secret as string,
            headers: headersOf(webhook),
            body: webhook.body,
            seen: new Map(),
          }),
        ).toThrow('no valid signature');
      }
      const types = webhooks.map((webhook) => JSON.parse(webhook.body).type);
      expect(types.filter((type) => type === 'parley.message.enriched.v1')).toHaveLength(12);
      expect(types.filter((type) => type === 'parley.message.stored.v1')).toHaveLength(3);
      expect(types.filter((type) => type === 'parley.customer.updated.v1')).toHaveLength(1);
      expect(types.filter((type) => type === 'parley.session.ended.v1')).toHaveLength(1);
      // Thread order: a thread's messages arrive as they were sent, the reply after them.
      for (const threadId of threads) {
        const order = webhooks
          .filter((webhook) => JSON.parse(webhook.body).subject === threadId)
          .map((webhook) => messageIdOf(webhook.body))
          .filter((id) => id !== undefined);
        expect(order).toEqual([1, 2, 3, 4].map((n) => `${threadId}-m${n}`).concat(`${threadId}-bot5`));
      }
      // The stream gives the same events, byte for byte.
      const stream = await readAll(tenantId);
      expect(new Map(stream.map((event) => [event.id, event.body]))).toEqual(
        new Map(webhooks.map((webhook) => [idOf(webhook), webhook.body])),
      );
    }
  });

  it('sends the event again, with the same webhook-id, to a receiver that answered 500', async () => {
    const tenantId = randomName('tenant-flaky');
    const { id, secret } = await subscribe(tenantId, `/flaky-${tenantId}`);
    await producer.publish('chat.sessions.ended.v1', sessionEnded(tenantId, 'th-1'));
    await waitFor('the retry', () => receiver.at(`/flaky-${tenantId}`).length >= 2);
    const [first, second] = receiver.at(`/flaky-${tenantId}`) as [ReceivedWebhook, ReceivedWebhook];
    expect(idOf(second)).toBe(idOf(first));
    expect(second.body).toBe(first.body);
    // As the docs say: verify, answer 500, forget the id, so the retry is accepted; a replay is not.
    const seen = new Map<string, number>();
    verifyWebhook({ secret, headers: headersOf(first), body: first.body, seen });
    seen.delete(idOf(first));
    verifyWebhook({ secret, headers: headersOf(second), body: second.body, seen });
    expect(() => verifyWebhook({ secret, headers: headersOf(second), body: second.body, seen })).toThrow(
      'webhook-id seen already',
    );
    const log = await waitFor('the delivery delivered', async () => {
      const page = await client.call.ListDeliveries({
        tenantId,
        subscriptionId: id,
        status: '',
        limit: 10,
        before: '',
      });
      return page.deliveries[0]?.status === 'delivered' ? page.deliveries[0] : undefined;
    });
    expect(log).toMatchObject({ eventId: idOf(first), attempts: 2, lastStatusCode: 204, lastError: '' });
    expect(receiver.at(`/flaky-${tenantId}`)).toHaveLength(2);
  });

  it('keeps one tenant’s deliveries as fast while another tenant’s receiver hangs', async () => {
    const hanging = randomName('tenant-hang');
    const healthy = randomName('tenant-fast');
    await subscribe(hanging, `/hang-${hanging}`);
    await subscribe(healthy, `/fast-${healthy}`);
    let batch = 0;
    /** Publishes 10 events of the healthy tenant, one per thread; their latencies (ms) to the receiver. */
    async function healthyLatencies() {
      batch += 1;
      const sent = new Map<string, number>();
      for (let n = 1; n <= 10; n += 1) {
        const message = enriched(healthy, `th-${batch}-${n}`, 1);
        await producer.publish('chat.messages.enriched.v1', message, { id: message.messageId });
        sent.set(message.messageId, Date.now());
      }
      const path = `/fast-${healthy}`;
      await waitFor('the healthy tenant’s events', () =>
        [...sent.keys()].every((id) => receiver.at(path).some((webhook) => messageIdOf(webhook.body) === id)),
      );
      return [...sent].map(([id, at]) => {
        const webhook = receiver.at(path).find((candidate) => messageIdOf(candidate.body) === id);
        return (webhook?.receivedAt ?? Number.NaN) - at;
      });
    }

    const alone = await healthyLatencies();
    for (let n = 1; n <= 30; n += 1) {
      const message = enriched(hanging, `th-${n}`, 1);
      await producer.publish('chat.messages.enriched.v1', message, { id: message.messageId });
    }
    await waitFor(
      'the hanging receiver holding its slots',
      () => receiver.at(`/hang-${hanging}`).length >= 4,
    );
    const besideHanging = await healthyLatencies();
    const hangingRequests = receiver.at(`/hang-${hanging}`).length;

    const report = {
      alone: { p50: percentile(alone, 50), max: Math.max(...alone) },
      besideHanging: { p50: percentile(besideHanging, 50), max: Math.max(...besideHanging) },
      hangingRequestsMeanwhile: hangingRequests,
    };
    console.log(`webhook isolation (ms, publish → received): ${JSON.stringify(report)}`);
    // Waiting behind a hanging attempt would cost its whole 2 s timeout.
    expect(report.besideHanging.max).toBeLessThan(1000);
    expect(report.besideHanging.p50).toBeLessThan(report.alone.p50 + 200);
  });

  it('signs with both secrets during a rotation’s overlap, with the new one only after it', async () => {
    const tenantId = randomName('tenant-rotate');
    const path = `/${tenantId}`;
    const { id, secret: first } = await subscribe(tenantId, path);
    const rotated = await client.call.RotateSecret({ tenantId, id, overlapSeconds: 60 });
    expect(rotated.secret).not.toBe(first);
    expect(rotated.subscription?.previousSecretExpiresAt).not.toBe('');
    await producer.publish('chat.sessions.ended.v1', sessionEnded(tenantId, 'th-1'));
    const during = await waitFor('a delivery during the overlap', () => receiver.at(path)[0]);
    expect(headersOf(during)['webhook-signature']?.split(' ')).toHaveLength(2);
    for (const secret of [first, rotated.secret])
      expect(
        verifyWebhook({ secret, headers: headersOf(during), body: during.body, seen: new Map() }),
      ).toMatchObject({
        type: 'parley.session.ended.v1',
      });

    const again = await client.call.RotateSecret({ tenantId, id, overlapSeconds: 1 });
    const overlapEnds = Date.parse(again.subscription?.previousSecretExpiresAt as string);
    await waitFor('the overlap to end', () => Date.now() > overlapEnds + 100);
    await producer.publish('chat.sessions.ended.v1', sessionEnded(tenantId, 'th-1'));
    const after = await waitFor('a delivery after the overlap', () => receiver.at(path)[1]);
    expect(headersOf(after)['webhook-signature']?.split(' ')).toHaveLength(1);
    expect(
      verifyWebhook({ secret: again.secret, headers: headersOf(after), body: after.body, seen: new Map() }),
    ).toBeDefined();
    for (const old of [first, rotated.secret])
      expect(() =>
        verifyWebhook({ secret: old, headers: headersOf(after), body: after.body, seen: new Map() }),
      ).toThrow('no valid signature');
  });

  it('lets a stream reader resume from its cursor without loss or duplicates, and wakes a waiting one', async () => {
    const tenantId = randomName('tenant-stream');
    const other = randomName('tenant-other');
    for (let n = 1; n <= 7; n += 1) {
      const message = enriched(tenantId, 'th-1', n);
      await producer.publish('chat.messages.enriched.v1', message, { id: message.messageId });
    }
    await producer.publish('chat.sessions.ended.v1', sessionEnded(other, 'th-1'));
    await waitFor('7 events in the log', async () => (await readAll(tenantId)).length === 7);
    // Page by page, as a reader reconnecting after each page with Last-Event-ID.
    const events = await readAll(tenantId);
    expect(events.map((event) => event.cursor)).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    expect(events.map((event) => messageIdOf(event.body))).toEqual(
      [1, 2, 3, 4, 5, 6, 7].map((n) => `th-1-m${n}`),
    );
    expect(events.every((event) => JSON.parse(event.body).data.tenantId === tenantId)).toBe(true);
    const middle = await client.call.ReadEvents({
      tenantId,
      after: '4',
      limit: 0,
      waitMs: 0,
      eventTypes: [],
    });
    expect(middle.events.map((event) => event.cursor)).toEqual(['5', '6', '7']);
    expect(middle).toMatchObject({ cursor: '7', cursorExpired: false });

    const started = Date.now();
    const waiting = client.call.ReadEvents(
      { tenantId, after: '7', limit: 0, waitMs: 15_000, eventTypes: [] },
      { deadlineMs: 20_000 },
    );
    const message = enriched(tenantId, 'th-1', 8);
    await producer.publish('chat.messages.enriched.v1', message, { id: message.messageId });
    const next = await waiting;
    expect(next.events.map((event) => messageIdOf(event.body))).toEqual(['th-1-m8']);
    expect(next).toMatchObject({ cursor: '8', cursorExpired: false });
    expect(Date.now() - started).toBeLessThan(10_000);
    // Another tenant's reader sees its own event only.
    expect((await readAll(other)).map((event) => event.type)).toEqual(['session.ended']);
    await expect(
      client.call.ReadEvents({ tenantId, after: '99', limit: 0, waitMs: 0, eventTypes: [] }),
    ).rejects.toMatchObject({ code: 'invalid_argument' });
  });
});

describe('a subscription that keeps failing', () => {
  const logger = testLogger('integrations-pause-test');
  const kafka = testKafka();
  let app: Awaited<ReturnType<typeof startIntegrations>>;
  let client: Client;
  let producer: EventProducer;
  let receiver: WebhookReceiver;
  let receiverUp = false;

  beforeAll(async () => {
    const prefix = await freshTopics(kafka, topics);
    receiver = await startWebhookReceiver(() => ({ status: receiverUp ? 204 : 503 }));
    app = await startIntegrations(prefix, logger, {
      WEBHOOK_RETRY_BASE_MS: '100',
      WEBHOOK_PAUSE_AFTER_SECONDS: '1',
    });
    client = integrationsClient(app.grpcAddress());
    producer = createEventProducer({ kafka, source: 'parley/test', topicPrefix: prefix, logger });
    await producer.connect();
  });

  afterAll(async () => {
    client?.close();
    await producer?.disconnect();
    await receiver?.close();
    await app?.stop();
    await dropStore(app);
  });

  it('is paused with the reason, and resumes its deliveries when enabled again', async () => {
    const tenantId = randomName('tenant-down');
    const created = await client.call.CreateSubscription({
      tenantId,
      url: receiver.url('/down'),
      eventTypes: ['session.ended'],
      description: 'down',
      enabled: true,
    });
    const id = created.subscription?.id as string;
    await producer.publish('chat.sessions.ended.v1', sessionEnded(tenantId, 'th-1'));
    const paused = await waitFor('the subscription paused', async () => {
      const subscription = await client.call.GetSubscription({ tenantId, id });
      return subscription.status === 'paused' ? subscription : undefined;
    });
    expect(paused).toMatchObject({ enabled: true, pausedAt: expect.any(String) });
    expect(paused.pausedReason).toContain('last: HTTP 503');
    const { deliveries } = await client.call.ListDeliveries({
      tenantId,
      subscriptionId: id,
      status: '',
      limit: 10,
      before: '',
    });
    expect(deliveries[0]).toMatchObject({ status: 'pending', lastStatusCode: 503, lastError: 'HTTP 503' });
    expect(deliveries[0]?.attempts).toBeGreaterThanOrEqual(2);
    const attemptsWhenPaused = receiver.received.length;

    receiverUp = true;
    const resumed = await client.call.UpdateSubscription({
      tenantId,
      id,
      fields: ['enabled'],
      enabled: true,
      url: '',
      eventTypes: [],
      description: '',
    });
    expect(resumed).toMatchObject({ status: 'active', pausedReason: '', pausedAt: '' });
    await waitFor('delivered after resuming', async () => {
      const page = await client.call.ListDeliveries({
        tenantId,
        subscriptionId: id,
        status: 'delivered',
        limit: 10,
        before: '',
      });
      return page.deliveries.length === 1;
    });
    expect(receiver.received.length).toBe(attemptsWhenPaused + 1);
  });
});
