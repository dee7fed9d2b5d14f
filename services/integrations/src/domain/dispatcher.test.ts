import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@parley/logger';
import { afterEach, describe, expect, it } from 'vitest';
import { createInMemoryIntegrationsStores } from '../adapters/in-memory-integrations-stores.js';
import { createDispatcher, type Dispatcher } from './dispatcher.js';
import type { ClaimedDelivery, Subscription } from './model.js';
import type { IntegrationsStores, WebhookSender } from './ports.js';

const logger = createLogger({ service: 'dispatcher-test', version: 'test', level: 'silent' });
const clock = { now: () => new Date() };

async function eventually<T>(what: string, condition: () => T | Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

function subscription(tenantId: string, id: string): Subscription {
  const now = new Date();
  return {
    tenantId,
    id,
    url: `https://${tenantId}.example/hook`,
    eventTypes: ['message.enriched'],
    description: '',
    enabled: true,
    pausedAt: null,
    pausedReason: null,
    sealedSecret: 'sealed',
    sealedPreviousSecret: null,
    previousSecretExpiresAt: null,
    secretRotatedAt: now,
    createdAt: now,
    updatedAt: now,
  };
}

async function append(stores: IntegrationsStores, tenantId: string, n: number, threadId = `th-${n}`) {
  const now = new Date();
  await stores.events.append(
    {
      tenantId,
      id: `evt_${n}`,
      type: 'message.enriched',
      threadId,
      customerKey: 'ck',
      orderKey: threadId,
      occurredAt: now,
      body: `{"n":${n}}`,
    },
    { now, expiresAt: new Date(now.getTime() + 3_600_000) },
  );
}

/** A sender answering with `answer(claimed)`; records what was sent and what is in flight. */
function recordingSender(answer: (claimed: ClaimedDelivery) => Promise<number | null> | number | null) {
  const sent: ClaimedDelivery[] = [];
  const inFlight = new Map<string, number>();
  const most = new Map<string, number>();
  const sender: WebhookSender = {
    async send(claimed) {
      const key = claimed.delivery.tenantId;
      sent.push(claimed);
      inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
      most.set(key, Math.max(most.get(key) ?? 0, inFlight.get(key) ?? 0));
      try {
        const statusCode = await answer(claimed);
        return { statusCode, error: statusCode === null ? 'timeout' : null };
      } finally {
        inFlight.set(key, (inFlight.get(key) ?? 0) - 1);
      }
    },
  };
  return { sender, sent, most };
}

let dispatcher: Dispatcher | undefined;
afterEach(async () => {
  await dispatcher?.stop();
  dispatcher = undefined;
});

function start(
  stores: IntegrationsStores,
  sender: WebhookSender,
  options: Partial<Parameters<typeof createDispatcher>[0]> = {},
) {
  dispatcher = createDispatcher({
    queue: stores.deliveries,
    sender,
    clock,
    logger,
    limits: { perSubscription: 4, perTenant: 8, total: 64 },
    leaseMs: 60_000,
    pollIntervalMs: 20,
    retry: { baseDelayMs: 20, maxDelayMs: 100, windowMs: 60_000 },
    pauseAfterMs: 60_000,
    ...options,
  });
  dispatcher.start();
  return dispatcher;
}

const delivered = (stores: IntegrationsStores, tenantId: string, subscriptionId: string) =>
  stores.deliveries
    .list(tenantId, subscriptionId, { status: 'delivered', limit: 1000, before: null })
    .then((deliveries) => deliveries.length);

describe('dispatcher', () => {
  it('sends every pending delivery once and records it delivered', async () => {
    const stores = createInMemoryIntegrationsStores();
    await stores.subscriptions.create(subscription('acme', 'sub-1'), 20);
    for (let n = 1; n <= 10; n += 1) await append(stores, 'acme', n);
    const { sender, sent } = recordingSender(() => 204);
    start(stores, sender);
    await eventually('all delivered', async () => (await delivered(stores, 'acme', 'sub-1')) === 10);
    expect(sent.map((claimed) => claimed.delivery.eventId).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `evt_${i + 1}`).sort(),
    );
  });

  it('lets a tenant whose endpoint hangs hold only its own slots: other tenants are delivered meanwhile', async () => {
    const stores = createInMemoryIntegrationsStores();
    await stores.subscriptions.create(subscription('hanging', 'sub-a'), 20);
    await stores.subscriptions.create(subscription('healthy', 'sub-b'), 20);
    for (let n = 1; n <= 40; n += 1) await append(stores, 'hanging', n);
    let release: () => void = () => {};
    const hung = new Promise<null>((resolve) => {
      release = () => resolve(null);
    });
    const { sender, most } = recordingSender((claimed) =>
      claimed.delivery.tenantId === 'hanging' ? hung : 204,
    );
    start(stores, sender, { limits: { perSubscription: 4, perTenant: 8, total: 6 } });
    await eventually('the hanging tenant’s slots taken', () => most.get('hanging') === 4);
    for (let n = 1; n <= 20; n += 1) await append(stores, 'healthy', n);
    dispatcher?.wake();
    await eventually(
      'the healthy tenant delivered',
      async () => (await delivered(stores, 'healthy', 'sub-b')) === 20,
    );
    // Never more than its subscription's share, and never the healthy tenant's.
    expect(most.get('hanging')).toBe(4);
    expect(most.get('healthy')).toBeLessThanOrEqual(2);
    release();
  });

  it('retries a failed attempt with backoff, keeping the thread in order', async () => {
    const stores = createInMemoryIntegrationsStores();
    await stores.subscriptions.create(subscription('acme', 'sub-1'), 20);
    for (let n = 1; n <= 3; n += 1) await append(stores, 'acme', n, 'th-1');
    let failures = 2;
    const { sender, sent } = recordingSender(() => (failures-- > 0 ? 500 : 200));
    start(stores, sender);
    await eventually('all delivered', async () => (await delivered(stores, 'acme', 'sub-1')) === 3);
    expect(sent.map((claimed) => claimed.delivery.eventId)).toEqual([
      'evt_1',
      'evt_1',
      'evt_1',
      'evt_2',
      'evt_3',
    ]);
    const [first] = await stores.deliveries.list('acme', 'sub-1', { status: null, limit: 10, before: 2 });
    expect(first).toMatchObject({ eventId: 'evt_1', attempts: 3, lastStatusCode: 200 });
  });

  it('pauses a subscription that keeps failing, and sends again once it is enabled', async () => {
    const stores = createInMemoryIntegrationsStores();
    await stores.subscriptions.create(subscription('acme', 'sub-1'), 20);
    await append(stores, 'acme', 1);
    let status = 503;
    const { sender, sent } = recordingSender(() => status);
    start(stores, sender, { pauseAfterMs: 150 });
    const paused = await eventually(
      'paused',
      async () => (await stores.subscriptions.find('acme', 'sub-1'))?.pausedAt,
    );
    expect((await stores.subscriptions.find('acme', 'sub-1'))?.pausedReason).toContain('last: HTTP 503');
    const attempts = sent.length;
    await sleep(100);
    expect(sent.length).toBe(attempts);
    expect(paused).toBeInstanceOf(Date);
    status = 200;
    await stores.subscriptions.update('acme', 'sub-1', { enabled: true }, new Date());
    dispatcher?.wake();
    await eventually(
      'delivered after resuming',
      async () => (await delivered(stores, 'acme', 'sub-1')) === 1,
    );
  });
});
