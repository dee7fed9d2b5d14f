import type { CustomerSnapshot, CustomerUpdated, MessageEnriched, MessageReceived } from '@parley/contracts';
import { BrandFailure, ParleyError } from '@parley/errors';
import { beforeEach, describe, expect, it } from 'vitest';
import { createLastSeen } from '../adapters/last-seen.js';
import { createChangeAnnouncer, createEnricher, type EnricherDeps } from './enrich-message.js';

const received: MessageReceived = {
  messageId: 'm1',
  clientMessageId: 'c1',
  tenantId: 'acme',
  channelId: 'web',
  threadId: 'th-1',
  customerKey: 'ck-1',
  deviceId: 'laptop',
  text: 'where is my order?',
  sentAt: '2025-05-06T07:00:00.000Z',
};

/** A brand whose customer-data endpoint answers `data`, or throws `failures` first, one per call. */
function fakeBrand(data: unknown = { sub: 'cust-1', name: 'Ada', profile: { tier: 'gold' } }) {
  const brand = {
    data,
    failures: [] as unknown[],
    calls: [] as { tenantId: string; url: string; accessToken: string }[],
    async fetch(tenantId: string, url: string, accessToken: string): Promise<unknown> {
      brand.calls.push({ tenantId, url, accessToken });
      const failure = brand.failures.shift();
      if (failure !== undefined) throw failure;
      return brand.data;
    },
  };
  return brand;
}

describe('createEnricher (the drain of received messages)', () => {
  let brand: ReturnType<typeof fakeBrand>;
  let enriched: MessageEnriched[];
  let tokenFailure: unknown;
  let accessCalls: number;
  let clock: number;
  let enrich: (event: MessageReceived) => Promise<MessageEnriched>;

  function enricher(overrides: Partial<EnricherDeps> = {}) {
    return createEnricher({
      customerDataAccess: async ({ tenantId, customerKey, channelId, messageId }) => {
        accessCalls += 1;
        if (tokenFailure) throw tokenFailure;
        return {
          customerDataUrl: 'https://crm.acme.example/me',
          mapping: { customerId: '$.sub', name: '$.name', customFields: { tier: '$.profile.tier' } },
          accessToken: `token-of-${tenantId}-${customerKey}-${channelId}-for-${messageId}`,
        };
      },
      fetchCustomerData: brand.fetch,
      publishEnriched: async (event) => void enriched.push(event),
      // Every reading of the clock is 5 ms after the one before.
      now: () => {
        clock += 5;
        return new Date(Date.parse('2025-05-06T07:00:01.000Z') + clock);
      },
      backoffMs: 0,
      ...overrides,
    });
  }

  beforeEach(() => {
    brand = fakeBrand();
    enriched = [];
    tokenFailure = undefined;
    accessCalls = 0;
    clock = 0;
    enrich = enricher();
  });

  it('adds the customer as the channel maps the brand’s data, and publishes the message', async () => {
    const result = await enrich(received);
    expect(result).toEqual({
      ...received,
      customer: { id: 'cust-1', name: 'Ada', customFields: { tier: 'gold' } },
      enrichment: { status: 'ok', fetchedAt: '2025-05-06T07:00:01.010Z', latencyMs: 5 },
    });
    expect(enriched).toEqual([result]);
    expect(brand.calls).toEqual([
      { tenantId: 'acme', url: 'https://crm.acme.example/me', accessToken: 'token-of-acme-ck-1-web-for-m1' },
    ]);
    expect(accessCalls).toBe(1); // one call to auth per message
  });

  it('retries a quick retriable brand failure up to maxAttempts, then the message flows on unavailable', async () => {
    brand.failures.push(
      ...Array.from({ length: 3 }, () => new BrandFailure('unreachable', 'connection refused')),
    );
    const result = await enrich(received);
    expect(brand.calls).toHaveLength(3);
    expect(result).toMatchObject({
      customer: null,
      enrichment: { status: 'unavailable', reason: 'unreachable' },
    });
    expect(enriched).toEqual([result]);
  });

  it.each(['timeout', 'circuit_open'] as const)(
    'does not retry a brand %s: the message flows on at once',
    async (reason) => {
      brand.failures.push(new BrandFailure(reason, `brand: ${reason}`));
      expect((await enrich(received)).enrichment).toMatchObject({ status: 'unavailable', reason });
      expect(brand.calls).toHaveLength(1);
    },
  );

  it('recovers within its attempts: one failure, then the data', async () => {
    brand.failures.push(new BrandFailure('unreachable', 'connection refused'));
    const result = await enrich(received);
    expect(brand.calls).toHaveLength(2);
    expect(result.enrichment.status).toBe('ok');
  });

  it.each([
    ['server_error', 'http_error'],
    ['circuit_open', 'circuit_open'],
    ['not_json', 'invalid_response'],
    ['not_allowed', 'invalid_response'],
  ] as const)('marks a brand failure %s as unavailable with reason %s', async (reason, expected) => {
    brand.failures.push(...Array.from({ length: 3 }, () => new BrandFailure(reason, `brand: ${reason}`)));
    expect((await enrich(received)).enrichment).toMatchObject({ status: 'unavailable', reason: expected });
  });

  it('says token_unavailable when auth has no token for the customer (signed out, refused grant)', async () => {
    tokenFailure = new ParleyError('not_found', 'no signed-in customer with that key in this tenant');
    const result = await enrich(received);
    expect(result.enrichment).toMatchObject({ status: 'unavailable', reason: 'token_unavailable' });
    expect(brand.calls).toEqual([]);
  });

  it('marks data the event schema refuses (a token-looking value) unavailable, never publishing it', async () => {
    brand.data = {
      sub: 'cust-1',
      name: 'Ada',
      profile: { tier: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig' },
    };
    const result = await enrich(received);
    expect(result).toMatchObject({
      customer: null,
      enrichment: { status: 'unavailable', reason: 'invalid_response' },
    });
    expect(JSON.stringify(enriched)).not.toContain('eyJ');
  });

  it('marks data without a customer id unavailable (invalid_response)', async () => {
    brand.data = { name: 'Ada' };
    expect((await enrich(received)).enrichment).toMatchObject({
      status: 'unavailable',
      reason: 'invalid_response',
    });
  });

  it('leaves a failure of Parley itself to the consumer’s retry: nothing is published', async () => {
    enrich = enricher({
      customerDataAccess: async () => {
        throw new ParleyError('dependency_unavailable', 'auth did not answer');
      },
    });
    await expect(enrich(received)).rejects.toMatchObject({ code: 'dependency_unavailable' });
    expect(enriched).toEqual([]);
  });
});

describe('createChangeAnnouncer', () => {
  let updates: CustomerUpdated[];
  let announce: ReturnType<typeof createChangeAnnouncer>;
  const enrichedAs = (messageId: string, customer: CustomerSnapshot, fetchedAt: string): MessageEnriched => ({
    ...received,
    messageId,
    customer,
    enrichment: { status: 'ok', fetchedAt, latencyMs: 3 },
  });
  const ada = { id: 'cust-1', name: 'Ada', customFields: { tier: 'gold' } };

  beforeEach(() => {
    updates = [];
    announce = createChangeAnnouncer({
      publishCustomerUpdated: async (event) => void updates.push(event),
      lastSeen: createLastSeen<CustomerSnapshot>(),
    });
  });

  it('announces what the brand changed since the customer’s last message, nothing for the first', async () => {
    await announce(enrichedAs('m1', ada, '2025-05-06T07:00:01.000Z'));
    await announce(enrichedAs('m2', ada, '2025-05-06T07:00:02.000Z'));
    expect(updates).toEqual([]);
    const changed = { id: 'cust-1', name: 'Ada L.', customFields: { tier: 'platinum' } };
    await announce(enrichedAs('m3', changed, '2025-05-06T07:00:03.000Z'));
    expect(updates).toEqual([
      {
        tenantId: 'acme',
        customerKey: 'ck-1',
        customer: changed,
        changedFields: ['name', 'customFields.tier'],
        fetchedAt: '2025-05-06T07:00:03.000Z',
      },
    ]);
  });

  it('ignores messages without data (unavailable): they say nothing about a change', async () => {
    await announce(enrichedAs('m1', ada, '2025-05-06T07:00:01.000Z'));
    await announce({
      ...received,
      messageId: 'm2',
      customer: null,
      enrichment: { status: 'unavailable', reason: 'timeout', latencyMs: 3000 },
    });
    await announce(enrichedAs('m3', ada, '2025-05-06T07:00:03.000Z'));
    expect(updates).toEqual([]);
  });

  it('announces a change again when publishing it failed, since it was not remembered', async () => {
    let failNext = false;
    announce = createChangeAnnouncer({
      publishCustomerUpdated: async (event) => {
        if (failNext) throw new ParleyError('dependency_unavailable', 'kafka is down');
        updates.push(event);
      },
      lastSeen: createLastSeen<CustomerSnapshot>(),
    });
    await announce(enrichedAs('m1', ada, '2025-05-06T07:00:01.000Z'));
    const platinum = { ...ada, customFields: { tier: 'platinum' } };
    failNext = true;
    await expect(announce(enrichedAs('m2', platinum, '2025-05-06T07:00:02.000Z'))).rejects.toMatchObject({
      code: 'dependency_unavailable',
    });
    failNext = false;
    await announce(enrichedAs('m2', platinum, '2025-05-06T07:00:02.000Z'));
    expect(updates.map((update) => update.changedFields)).toEqual([['customFields.tier']]);
  });
});
