import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventContracts, limits, renderJsonSchemas, topicNames } from './index.js';

const received = {
  messageId: 'm1',
  clientMessageId: 'c1',
  tenantId: 't1',
  channelId: 'web',
  threadId: 'th1',
  customerKey: 'ck1',
  deviceId: 'd1',
  text: 'hello',
  sentAt: '2026-11-24T10:00:00.000Z',
};

describe('event contracts', () => {
  it('accepts a valid received message and keys it by thread', () => {
    const contract = eventContracts['chat.messages.received.v1'];
    expect(contract.schema.parse(received)).toEqual(received);
    expect(contract.key(received)).toBe('th1');
  });

  it('refuses unknown fields, so a token can never ride along', () => {
    const result = eventContracts['chat.messages.received.v1'].schema.safeParse({
      ...received,
      accessToken: 'brand-token',
    });
    expect(result.success).toBe(false);
  });

  it('keeps credentials out of customer snapshots and enrichment reasons', () => {
    const schema = eventContracts['chat.messages.enriched.v1'].schema;
    const enriched = {
      ...received,
      customer: { id: 'c-1', name: 'Ada', customFields: { tier: 'gold', openCase: 42 } },
      enrichment: { status: 'ok', fetchedAt: received.sentAt, latencyMs: 12 },
    };
    expect(schema.safeParse(enriched).success).toBe(true);
    const withField = (customFields: Record<string, unknown>) => ({
      ...enriched,
      customer: { ...enriched.customer, customFields },
    });
    expect(schema.safeParse(withField({ accessToken: 'opaque' })).success).toBe(false);
    expect(schema.safeParse(withField({ crm_api_key: 'k' })).success).toBe(false);
    expect(schema.safeParse(withField({ note: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln' })).success).toBe(
      false,
    );
    const unavailable = (reason: string) => ({
      ...enriched,
      enrichment: { status: 'unavailable', reason, latencyMs: 3000 },
    });
    expect(schema.safeParse(unavailable('timeout')).success).toBe(true);
    expect(schema.safeParse(unavailable('401 {"error":"invalid_token","token":"abc"}')).success).toBe(false);
  });

  it('refuses text over the limit and empty text', () => {
    const schema = eventContracts['chat.messages.received.v1'].schema;
    expect(schema.safeParse({ ...received, text: 'x'.repeat(limits.textMaxLength + 1) }).success).toBe(false);
    expect(schema.safeParse({ ...received, text: '' }).success).toBe(false);
  });

  it('keys deliveries and customer updates by customer', () => {
    const delivery = {
      tenantId: 't1',
      customerKey: 'ck1',
      threadId: 'th1',
      seq: 1,
      message: {
        messageId: 'm1',
        author: { kind: 'customer', id: 'ck1' },
        text: 'hi',
        sentAt: received.sentAt,
        storedAt: received.sentAt,
      },
    } as const;
    expect(
      eventContracts['chat.deliveries.v1'].key(eventContracts['chat.deliveries.v1'].schema.parse(delivery)),
    ).toBe('ck1');
  });

  it('refuses outbound messages authored as a customer', () => {
    const outbound = {
      messageId: 'm2',
      tenantId: 't1',
      threadId: 'th1',
      customerKey: 'ck1',
      author: { kind: 'customer', id: 'x' },
      text: 'hi',
      sentAt: received.sentAt,
    };
    expect(eventContracts['chat.messages.outbound.v1'].schema.safeParse(outbound).success).toBe(false);
    outbound.author.kind = 'bot';
    expect(eventContracts['chat.messages.outbound.v1'].schema.safeParse(outbound).success).toBe(true);
  });

  it('has a distinct CloudEvents type per topic', () => {
    const types = topicNames.map((topic) => eventContracts[topic].type);
    expect(new Set(types).size).toBe(topicNames.length);
  });
});

describe('JSON Schema files for bot authors', () => {
  it('are committed and up to date (regenerate with npm run contracts:schemas)', () => {
    for (const [file, content] of renderJsonSchemas()) {
      const committed = readFileSync(new URL(`../json-schema/${file}`, import.meta.url), 'utf8');
      expect(committed, file).toBe(content);
    }
  });
});
