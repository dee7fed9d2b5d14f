import type { CustomerUpdated, Delivery, MessageEnriched, SessionEnded } from '@parley/contracts';
import { describe, expect, it } from 'vitest';
import { tenantEventId, toTenantEvent } from './tenant-events.js';

const enriched: MessageEnriched = {
  messageId: 'm-1',
  clientMessageId: 'c-1',
  tenantId: 'acme',
  channelId: 'web',
  threadId: 'th-1',
  customerKey: 'ck-1',
  deviceId: 'laptop',
  text: 'Hello ✓',
  sentAt: '2025-01-02T03:04:05.678Z',
  customer: { id: 'cust-1', name: 'Ada', customFields: { tier: 'gold' } },
  enrichment: { status: 'ok', fetchedAt: '2025-01-02T03:04:05.900Z', latencyMs: 12 },
};

const botDelivery: Delivery = {
  tenantId: 'acme',
  customerKey: 'ck-1',
  threadId: 'th-1',
  seq: 2,
  message: {
    messageId: 'm-2',
    author: { kind: 'bot', id: 'helper', name: 'Helper' },
    text: 'How can I help?',
    sentAt: '2025-01-02T03:04:06.000Z',
    storedAt: '2025-01-02T03:04:06.100Z',
  },
};

const customerUpdated: CustomerUpdated = {
  tenantId: 'acme',
  customerKey: 'ck-1',
  customer: { id: 'cust-1', name: 'Ada', customFields: { tier: 'platinum' } },
  changedFields: ['tier'],
  fetchedAt: '2025-01-02T03:05:00.000Z',
};

const sessionEnded: SessionEnded = {
  sessionEventId: 'se-1',
  tenantId: 'acme',
  customerKey: 'ck-1',
  threadId: 'th-1',
  deviceId: 'laptop',
  allDevices: false,
  sessionsEnded: 1,
  reason: 'customer_logout',
  endedAt: '2025-01-02T03:06:00.000Z',
};

describe('toTenantEvent', () => {
  it('turns an enriched message into message.enriched, the CloudEvents body carrying the event as data', () => {
    const event = toTenantEvent({ topic: 'chat.messages.enriched.v1', event: enriched }, 'ce-1');
    expect(event).toEqual({
      tenantId: 'acme',
      id: tenantEventId('message.enriched', 'acme', 'th-1/m-1'),
      type: 'message.enriched',
      threadId: 'th-1',
      customerKey: 'ck-1',
      orderKey: 'th-1',
      occurredAt: new Date(enriched.sentAt),
      body: expect.any(String),
    });
    expect(Object.entries(JSON.parse(event?.body ?? '{}'))).toEqual(
      Object.entries({
        specversion: '1.0',
        id: event?.id,
        source: 'parley',
        type: 'parley.message.enriched.v1',
        time: '2025-01-02T03:04:05.678Z',
        subject: 'th-1',
        datacontenttype: 'application/json',
        data: enriched,
      }),
    );
  });

  it('turns a bot’s or agent’s stored message into message.stored, and skips the customer’s own', () => {
    const event = toTenantEvent({ topic: 'chat.deliveries.v1', event: botDelivery }, 'th-1:2');
    expect(event).toMatchObject({
      type: 'message.stored',
      threadId: 'th-1',
      occurredAt: new Date('2025-01-02T03:04:06.100Z'),
    });
    expect(JSON.parse(event?.body ?? '{}')).toMatchObject({
      type: 'parley.message.stored.v1',
      data: botDelivery,
    });
    const agent = {
      ...botDelivery,
      message: { ...botDelivery.message, author: { kind: 'agent' as const, id: 'a-1' } },
    };
    expect(toTenantEvent({ topic: 'chat.deliveries.v1', event: agent }, 'x')).toMatchObject({
      type: 'message.stored',
    });
    const own = {
      ...botDelivery,
      message: { ...botDelivery.message, author: { kind: 'customer' as const, id: 'ck-1' } },
    };
    expect(toTenantEvent({ topic: 'chat.deliveries.v1', event: own }, 'x')).toBeNull();
  });

  it('gives customer.updated no subject and orders it by customer', () => {
    const event = toTenantEvent({ topic: 'chat.customers.updated.v1', event: customerUpdated }, 'ce-7');
    expect(event).toMatchObject({ type: 'customer.updated', threadId: null, orderKey: 'customer:ck-1' });
    const body = JSON.parse(event?.body ?? '{}');
    expect(body).not.toHaveProperty('subject');
    expect(body).toMatchObject({ type: 'parley.customer.updated.v1', time: customerUpdated.fetchedAt });
  });

  it('turns a logout into session.ended', () => {
    const event = toTenantEvent({ topic: 'chat.sessions.ended.v1', event: sessionEnded }, 'ce-9');
    expect(event).toMatchObject({
      id: tenantEventId('session.ended', 'acme', 'se-1'),
      type: 'session.ended',
      threadId: 'th-1',
      occurredAt: new Date(sessionEnded.endedAt),
    });
  });

  it('derives the same id from the same fact, however often it arrives, and another per fact and tenant', () => {
    const again = (event: MessageEnriched, sourceId: string) =>
      toTenantEvent({ topic: 'chat.messages.enriched.v1', event }, sourceId)?.id;
    const first = again(enriched, 'ce-1');
    // Re-enriched after a redelivery: other data, another record, the same message.
    expect(
      again({ ...enriched, enrichment: { status: 'unavailable', reason: 'timeout', latencyMs: 3 } }, 'ce-2'),
    ).toBe(first);
    expect(first).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(again({ ...enriched, messageId: 'm-9' }, 'ce-1')).not.toBe(first);
    expect(again({ ...enriched, tenantId: 'globex' }, 'ce-1')).not.toBe(first);
    // Without an idempotency key of its own, the record's CloudEvents id names the fact.
    const updated = (sourceId: string) =>
      toTenantEvent({ topic: 'chat.customers.updated.v1', event: customerUpdated }, sourceId)?.id;
    expect(updated('ce-7')).toBe(updated('ce-7'));
    expect(updated('ce-8')).not.toBe(updated('ce-7'));
  });
});
