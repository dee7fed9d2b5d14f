import type { Delivery, MessageEnriched, MessageOutbound } from '@parley/contracts';
import { beforeEach, describe, expect, it } from 'vitest';
import { createInMemoryHistoryStores } from '../adapters/in-memory-history-store.js';
import { createHistory, type History } from './history-use-cases.js';
import type { HistoryStores } from './ports.js';

const now = new Date('2025-05-06T07:08:09.000Z');

function enriched(n: number, overrides: Partial<MessageEnriched> = {}): MessageEnriched {
  return {
    messageId: `m${n}`,
    clientMessageId: `c${n}`,
    tenantId: 'acme',
    channelId: 'web',
    threadId: 'th-1',
    customerKey: 'ck-1',
    deviceId: 'laptop',
    text: `message ${n}`,
    sentAt: '2025-05-06T07:00:00.000Z',
    customer: { id: 'cust-1', name: 'Ada', customFields: { tier: 'gold' } },
    enrichment: { status: 'ok', fetchedAt: '2025-05-06T07:00:01.000Z', latencyMs: 12 },
    ...overrides,
  };
}

function outbound(overrides: Partial<MessageOutbound> = {}): MessageOutbound {
  return {
    messageId: 'bot-1',
    tenantId: 'acme',
    threadId: 'th-1',
    customerKey: 'ck-1',
    author: { kind: 'bot', id: 'helper', name: 'Helper' },
    text: 'how can I help?',
    sentAt: '2025-05-06T07:00:02.000Z',
    ...overrides,
  };
}

describe('history use cases', () => {
  let stores: HistoryStores;
  let deliveries: Delivery[];
  let history: History;

  beforeEach(() => {
    stores = createInMemoryHistoryStores();
    deliveries = [];
    history = createHistory({
      ...stores,
      clock: { now: () => now },
      deliver: async (delivery) => void deliveries.push(delivery),
    });
  });

  describe('recordEnriched', () => {
    it('stores the message numbered in its thread, the profile, and delivers it', async () => {
      const stored = await history.recordEnriched(enriched(1));
      expect(stored).toMatchObject({ seq: 1, storedAt: now, customerData: { status: 'ok' } });
      expect(await stores.threads.find('acme', 'th-1')).toEqual({
        tenantId: 'acme',
        threadId: 'th-1',
        customerKey: 'ck-1',
      });
      expect(await history.getCustomer('acme', 'ck-1')).toMatchObject({
        id: 'cust-1',
        name: 'Ada',
        fields: { tier: { value: 'gold', source: 'oauth', at: new Date('2025-05-06T07:00:01.000Z') } },
      });
      expect(deliveries).toEqual([
        {
          tenantId: 'acme',
          customerKey: 'ck-1',
          threadId: 'th-1',
          seq: 1,
          message: {
            messageId: 'm1',
            author: { kind: 'customer', id: 'ck-1', name: 'Ada' },
            deviceId: 'laptop',
            text: 'message 1',
            sentAt: '2025-05-06T07:00:00.000Z',
            storedAt: now.toISOString(),
            customerData: { status: 'ok' },
          },
        },
      ]);
    });

    it('stores a redelivery once and delivers it again with the same number', async () => {
      await history.recordEnriched(enriched(1));
      await history.recordEnriched(enriched(2));
      await history.recordEnriched(enriched(1));
      expect(deliveries.map((delivery) => [delivery.message.messageId, delivery.seq])).toEqual([
        ['m1', 1],
        ['m2', 2],
        ['m1', 1],
      ]);
      expect((await stores.messages.after('acme', 'th-1', 0, 10)).map((message) => message.seq)).toEqual([
        1, 2,
      ]);
    });

    it('says why customer data is missing and stores no profile then', async () => {
      const stored = await history.recordEnriched(
        enriched(1, {
          customer: null,
          enrichment: { status: 'unavailable', reason: 'timeout', latencyMs: 3000 },
        }),
      );
      expect(stored.customerData).toEqual({ status: 'unavailable', reason: 'timeout' });
      expect(stored.author).toEqual({ kind: 'customer', id: 'ck-1' });
      await expect(history.getCustomer('acme', 'ck-1')).rejects.toMatchObject({ code: 'not_found' });
    });

    it('refuses a message into a thread another customer owns', async () => {
      await history.recordEnriched(enriched(1));
      await expect(history.recordEnriched(enriched(2, { customerKey: 'ck-other' }))).rejects.toMatchObject({
        code: 'permission_denied',
      });
      expect(deliveries).toHaveLength(1);
    });
  });

  describe('recordOutbound', () => {
    it('stores a reply in the customer’s thread and delivers it', async () => {
      await history.recordEnriched(enriched(1));
      const stored = await history.recordOutbound(outbound());
      expect(stored).toMatchObject({ seq: 2, author: { kind: 'bot', id: 'helper', name: 'Helper' } });
      expect(stored).not.toHaveProperty('customerData');
      expect(deliveries.at(-1)).toMatchObject({
        seq: 2,
        customerKey: 'ck-1',
        message: { messageId: 'bot-1' },
      });
    });

    it('refuses a reply into a thread that does not exist or is another customer’s', async () => {
      await expect(history.recordOutbound(outbound())).rejects.toMatchObject({ code: 'permission_denied' });
      expect(await stores.threads.find('acme', 'th-1')).toBeNull();
      await history.recordEnriched(enriched(1));
      await expect(history.recordOutbound(outbound({ customerKey: 'ck-other' }))).rejects.toMatchObject({
        code: 'permission_denied',
      });
      await expect(history.recordOutbound(outbound({ tenantId: 'globex' }))).rejects.toMatchObject({
        code: 'permission_denied',
      });
      expect(deliveries).toHaveLength(1);
    });
  });

  describe('sync', () => {
    beforeEach(async () => {
      for (let n = 1; n <= 5; n += 1) await history.recordEnriched(enriched(n));
    });
    const request = { tenantId: 'acme', customerKey: 'ck-1', threadId: 'th-1', afterSeq: 0, limit: 0 };

    it('pages after a cursor', async () => {
      const page = await history.sync({ ...request, afterSeq: 2, limit: 2 });
      expect(page).toMatchObject({ threadId: 'th-1', lastSeq: 4, hasMore: true });
      expect(page.messages.map((message) => message.seq)).toEqual([3, 4]);
      expect(await history.sync({ ...request, afterSeq: 4, limit: 2 })).toMatchObject({
        lastSeq: 5,
        hasMore: false,
      });
      expect(await history.sync({ ...request, afterSeq: 5 })).toMatchObject({
        messages: [],
        lastSeq: 5,
        hasMore: false,
      });
    });

    it('returns 50 by default and at most 200', async () => {
      expect((await history.sync(request)).messages).toHaveLength(5);
      expect((await history.sync({ ...request, limit: 1000 })).messages).toHaveLength(5);
    });

    it('refuses another customer’s thread and a bad cursor; an unknown thread is empty', async () => {
      await expect(history.sync({ ...request, customerKey: 'ck-other' })).rejects.toMatchObject({
        code: 'not_found',
      });
      await expect(history.sync({ ...request, afterSeq: -1 })).rejects.toMatchObject({
        code: 'invalid_argument',
      });
      await expect(history.sync({ ...request, afterSeq: 1.5 })).rejects.toMatchObject({
        code: 'invalid_argument',
      });
      expect(await history.sync({ ...request, tenantId: 'globex' })).toMatchObject({
        messages: [],
        hasMore: false,
      });
    });
  });

  describe('recordCustomerUpdate', () => {
    it('keeps the newest snapshot: an older one delivered later changes nothing', async () => {
      await history.recordEnriched(enriched(1));
      const update = (tier: string, fetchedAt: string) =>
        history.recordCustomerUpdate({
          tenantId: 'acme',
          customerKey: 'ck-1',
          customer: { id: 'cust-1', name: 'Ada', customFields: { tier } },
          changedFields: ['customFields.tier'],
          fetchedAt,
        });
      await update('platinum', '2025-05-06T08:00:00.000Z');
      await update('silver', '2025-05-06T07:30:00.000Z');
      expect((await history.getCustomer('acme', 'ck-1')).fields.tier).toMatchObject({
        value: 'platinum',
        source: 'oauth',
      });
      expect(deliveries).toHaveLength(1); // profile updates are not messages
    });
  });

  describe('getThread', () => {
    it('finds a thread in its tenant only', async () => {
      await history.recordEnriched(enriched(1));
      expect(await history.getThread('acme', 'th-1')).toMatchObject({ customerKey: 'ck-1' });
      await expect(history.getThread('globex', 'th-1')).rejects.toMatchObject({ code: 'not_found' });
    });
  });

  describe('updateCustomerFields', () => {
    beforeEach(async () => {
      await history.recordEnriched(enriched(1));
    });

    it('sets agent fields beside the brand’s and returns the profile', async () => {
      const profile = await history.updateCustomerFields('acme', 'ck-1', {
        note: 'prefers email',
        vip: true,
      });
      expect(profile.fields).toEqual({
        tier: { value: 'gold', source: 'oauth', at: new Date('2025-05-06T07:00:01.000Z') },
        note: { value: 'prefers email', source: 'agent', at: now },
        vip: { value: true, source: 'agent', at: now },
      });
      // A newer snapshot from the brand keeps the agents' fields.
      await history.recordCustomerUpdate({
        tenantId: 'acme',
        customerKey: 'ck-1',
        customer: { id: 'cust-1', name: 'Ada', customFields: { tier: 'platinum' } },
        changedFields: ['customFields.tier'],
        fetchedAt: '2025-05-06T07:30:00.000Z',
      });
      expect((await history.getCustomer('acme', 'ck-1')).fields).toMatchObject({
        tier: { value: 'platinum', source: 'oauth' },
        note: { value: 'prefers email', source: 'agent' },
      });
    });

    it('refuses fields the brand manages (field_managed_by_origin) and stores nothing', async () => {
      await expect(
        history.updateCustomerFields('acme', 'ck-1', { tier: 'platinum', note: 'x' }),
      ).rejects.toMatchObject({ code: 'field_managed_by_origin', context: { fields: ['tier'] } });
      expect((await history.getCustomer('acme', 'ck-1')).fields).not.toHaveProperty('note');
    });

    it('refuses no fields, too many, and bad names', async () => {
      await expect(history.updateCustomerFields('acme', 'ck-1', {})).rejects.toMatchObject({
        code: 'invalid_argument',
      });
      const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`f${i}`, i]));
      await expect(history.updateCustomerFields('acme', 'ck-1', many)).rejects.toMatchObject({
        code: 'invalid_argument',
      });
      await expect(history.updateCustomerFields('acme', 'ck-1', { '1bad': 'x' })).rejects.toMatchObject({
        code: 'invalid_argument',
      });
    });

    it('refuses names the event schema refuses: one rule for every custom field (credential-looking too)', async () => {
      for (const name of ['apiKey', 'refresh_token', 'clientSecret', `f${'x'.repeat(64)}`]) {
        await expect(history.updateCustomerFields('acme', 'ck-1', { [name]: 'x' })).rejects.toMatchObject({
          code: 'invalid_argument',
        });
      }
      expect(Object.keys((await history.getCustomer('acme', 'ck-1')).fields)).toEqual(['tier']);
    });

    it('knows no customer of another tenant', async () => {
      await expect(history.updateCustomerFields('globex', 'ck-1', { note: 'x' })).rejects.toMatchObject({
        code: 'not_found',
      });
    });
  });
});
