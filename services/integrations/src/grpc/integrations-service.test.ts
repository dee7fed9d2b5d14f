import { randomBytes } from 'node:crypto';
import type { CallContext } from '@parley/grpc';
import { createLogger } from '@parley/logger';
import { createSecretBox } from '@parley/secrets';
import { describe, expect, it } from 'vitest';
import { createInMemoryIntegrationsStores } from '../adapters/in-memory-integrations-stores.js';
import { createAppendSignal } from '../domain/append-signal.js';
import { createDeliveryLog } from '../domain/delivery-log.js';
import { createSubscriptions } from '../domain/subscriptions.js';
import { createTenantEventLog } from '../domain/tenant-event-log.js';
import { integrationsServiceCallers, integrationsServiceHandlers } from './integrations-service.js';

function setup() {
  const stores = createInMemoryIntegrationsStores();
  const clock = { now: () => new Date() };
  const secretBox = createSecretBox({ keys: { k1: new Uint8Array(randomBytes(32)) }, activeKid: 'k1' });
  const eventLog = createTenantEventLog({
    events: stores.events,
    clock,
    signal: createAppendSignal(),
    retentionMs: 3_600_000,
    pollIntervalMs: 50,
  });
  const handlers = integrationsServiceHandlers({
    subscriptions: createSubscriptions({ store: stores.subscriptions, secretBox, clock, allowHosts: [] }),
    deliveryLog: createDeliveryLog({
      deliveries: stores.deliveries,
      subscriptions: stores.subscriptions,
      clock,
    }),
    eventLog,
  });
  return { handlers, eventLog };
}

const context: CallContext = {
  metadata: undefined as never,
  caller: 'ingress',
  deadline: Date.now() + 60_000,
  signal: new AbortController().signal,
  logger: createLogger({ service: 'test', version: 'test', level: 'silent' }),
};

const create = {
  tenantId: 'acme',
  url: 'https://hooks.example/parley',
  eventTypes: ['session.ended'],
  description: 'bot',
  enabled: true,
};

const ended = (n: number) => ({
  sessionEventId: `se-${n}`,
  tenantId: 'acme',
  customerKey: 'ck-1',
  threadId: 'th-1',
  deviceId: 'laptop',
  allDevices: false,
  sessionsEnded: 1,
  reason: 'customer_logout' as const,
  endedAt: '2025-01-02T03:04:05.000Z',
});

describe('IntegrationsService handlers', () => {
  it('only ingress may call any method', () => {
    for (const callers of Object.values(integrationsServiceCallers)) expect(callers).toEqual(['ingress']);
  });

  it('answers a create with the secret once; nothing else ever carries it', async () => {
    const { handlers } = setup();
    const created = await handlers.CreateSubscription(create, context);
    expect(created.secret).toMatch(/^whsec_/);
    expect(created.subscription).toEqual({
      tenantId: 'acme',
      id: expect.stringMatching(/^sub_/),
      url: 'https://hooks.example/parley',
      eventTypes: ['session.ended'],
      description: 'bot',
      enabled: true,
      status: 'active',
      pausedReason: '',
      pausedAt: '',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      secretRotatedAt: expect.any(String),
      previousSecretExpiresAt: '',
    });
    const id = created.subscription?.id as string;
    const shown = [
      await handlers.GetSubscription({ tenantId: 'acme', id }, context),
      await handlers.ListSubscriptions({ tenantId: 'acme' }, context),
      await handlers.UpdateSubscription(
        {
          tenantId: 'acme',
          id,
          fields: ['enabled'],
          enabled: false,
          url: '',
          eventTypes: [],
          description: '',
        },
        context,
      ),
    ];
    for (const answer of shown) expect(JSON.stringify(answer)).not.toMatch(/whsec_|sealed/);
    expect(shown[2]).toMatchObject({ enabled: false, status: 'disabled' });
    const rotated = await handlers.RotateSecret({ tenantId: 'acme', id, overlapSeconds: 0 }, context);
    expect(rotated.secret).not.toBe(created.secret);
    expect(rotated.subscription?.previousSecretExpiresAt).not.toBe('');
  });

  it('pages the delivery log, queues a redelivery and refuses another tenant’s', async () => {
    const { handlers, eventLog } = setup();
    const id = (await handlers.CreateSubscription(create, context)).subscription?.id as string;
    for (let n = 1; n <= 3; n += 1)
      await eventLog.record({ topic: 'chat.sessions.ended.v1', event: ended(n) }, `ce-${n}`);
    const list = { tenantId: 'acme', subscriptionId: id, status: '', limit: 2, before: '' };
    const first = await handlers.ListDeliveries(list, context);
    expect(first.deliveries).toHaveLength(2);
    expect(first.deliveries?.[0]).toMatchObject({
      eventType: 'session.ended',
      threadId: 'th-1',
      status: 'pending',
      attempts: 0,
      lastStatusCode: 0,
      lastError: '',
      deliveredAt: '',
    });
    const second = await handlers.ListDeliveries({ ...list, before: first.nextCursor as string }, context);
    expect(second).toMatchObject({ nextCursor: '' });
    expect(second.deliveries).toHaveLength(1);
    const deliveryId = second.deliveries?.[0]?.id as string;
    expect(
      await handlers.Redeliver({ tenantId: 'acme', subscriptionId: id, deliveryId }, context),
    ).toMatchObject({
      id: deliveryId,
      status: 'pending',
    });
    await expect(
      handlers.Redeliver({ tenantId: 'globex', subscriptionId: id, deliveryId }, context),
    ).rejects.toMatchObject({ code: 'not_found' });
    await expect(handlers.ListDeliveries({ ...list, status: 'lost' }, context)).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    await expect(handlers.ListDeliveries({ ...list, before: 'x' }, context)).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });

  it('reads events with their cursors and the body as webhooks send it', async () => {
    const { handlers, eventLog } = setup();
    const recorded = await eventLog.record({ topic: 'chat.sessions.ended.v1', event: ended(1) }, 'ce-1');
    const answer = await handlers.ReadEvents(
      { tenantId: 'acme', after: '', limit: 0, waitMs: 0, eventTypes: [] },
      context,
    );
    expect(answer).toEqual({
      events: [
        {
          cursor: '1',
          id: recorded?.event.id,
          type: 'session.ended',
          threadId: 'th-1',
          customerKey: 'ck-1',
          occurredAt: '2025-01-02T03:04:05.000Z',
          body: recorded?.event.body,
        },
      ],
      cursor: '1',
      cursorExpired: false,
    });
    // A caller whose deadline is near gets its answer before it, empty.
    const near = { ...context, deadline: Date.now() + 300 };
    const started = Date.now();
    expect(
      await handlers.ReadEvents(
        { tenantId: 'acme', after: '1', limit: 0, waitMs: 25_000, eventTypes: [] },
        near,
      ),
    ).toEqual({ events: [], cursor: '1', cursorExpired: false });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
