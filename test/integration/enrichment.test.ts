import { randomBytes } from 'node:crypto';
import { createEventProducer, type EventProducer, topicNameFor } from '@parley/bus';
import type { MessageReceived } from '@parley/contracts';
import { type BrandServer, startBrandServer } from '@parley/test-brand';
import type { KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authClient } from '../support/grpc.js';
import { freshTopics, randomName, testKafka, testLogger, waitFor } from '../support/harness.js';
import {
  brandChannel,
  dropStore,
  signInThroughAuth,
  startAuth,
  startEnrichment,
} from '../support/services.js';

describe('enrichment with the real auth service, brand, Kafka and store', () => {
  const logger = testLogger('enrichment-test');
  const kafka = testKafka();
  let brand: BrandServer;
  let auth: Awaited<ReturnType<typeof startAuth>>;
  let enrichment: Awaited<ReturnType<typeof startEnrichment>>;
  let prefix: string;
  let producer: EventProducer;
  let customer: { customerKey: string; threadId: string };
  const enriched: KafkaMessage[] = [];
  const updates: KafkaMessage[] = [];
  const consumer = kafka.consumer({ groupId: randomName('enriched-reader') });

  const send = async (n: number) => {
    const event: MessageReceived = {
      messageId: `m-${n}-${randomBytes(3).toString('hex')}`,
      clientMessageId: `c-${n}`,
      tenantId: 'acme',
      channelId: 'web',
      threadId: customer.threadId,
      customerKey: customer.customerKey,
      deviceId: 'laptop',
      text: `message ${n}`,
      sentAt: new Date().toISOString(),
    };
    await producer.publish('chat.messages.received.v1', event);
    const message = await waitFor(`the enriched ${event.messageId}`, () =>
      enriched.find((record) => JSON.parse(record.value?.toString() ?? '{}').messageId === event.messageId),
    );
    return JSON.parse(message.value?.toString() ?? '{}');
  };

  beforeAll(async () => {
    brand = await startBrandServer();
    brand.customers.set('c-1', { name: 'Ada', tier: 'gold', open_case: 'CASE-7' });
    prefix = await freshTopics(kafka, [
      'chat.messages.received.v1',
      'chat.messages.enriched.v1',
      'chat.customers.updated.v1',
    ]);
    auth = await startAuth(logger);
    enrichment = await startEnrichment(prefix, auth.grpcAddress(), logger, {
      BRAND_HTTP_TIMEOUT_MS: '1000',
      ENRICHMENT_MAX_ATTEMPTS: '2',
    });
    const client = authClient(auth.grpcAddress());
    await client.call.PutChannel({
      channel: brandChannel(brand, 'acme', 'web', {
        mapping: { customFields: { tier: '$.tier', openCase: '$.open_case' } },
      }),
    });
    const session = await signInThroughAuth(client, brand, 'c-1', {
      tenantId: 'acme',
      channelId: 'web',
      deviceId: 'laptop',
    });
    customer = { customerKey: session.customer?.customerKey ?? '', threadId: session.threadId };
    client.close();
    producer = createEventProducer({ kafka, source: 'parley/test', topicPrefix: prefix, logger });
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({
      topics: [
        topicNameFor(prefix, 'chat.messages.enriched.v1'),
        topicNameFor(prefix, 'chat.customers.updated.v1'),
      ],
      fromBeginning: true,
    });
    await consumer.run({
      eachMessage: async ({ topic, message }) =>
        void (topic.endsWith('updated.v1') ? updates : enriched).push(message),
    });
  });

  afterAll(async () => {
    await consumer.disconnect();
    await producer?.disconnect();
    await enrichment?.stop();
    await auth?.stop();
    await dropStore(auth);
    await brand?.stop();
  });

  it('fetches the customer data again for every message, and announces what changed at the brand', async () => {
    const before = brand.calls.get('/me') ?? 0;
    const first = await send(1);
    expect(first).toMatchObject({
      customer: { id: 'c-1', name: 'Ada', customFields: { tier: 'gold', openCase: 'CASE-7' } },
      enrichment: { status: 'ok' },
    });
    await send(2);
    expect((brand.calls.get('/me') ?? 0) - before).toBe(2);
    expect(updates).toEqual([]);

    brand.customers.set('c-1', { name: 'Ada', tier: 'platinum', open_case: 'CASE-7' });
    const third = await send(3);
    expect(third.customer.customFields.tier).toBe('platinum');
    const update = await waitFor('the customer update', () => updates[0]);
    expect(update.key?.toString()).toBe(customer.customerKey);
    expect(JSON.parse(update.value?.toString() ?? '{}')).toMatchObject({
      changedFields: ['customFields.tier'],
      customer: { customFields: { tier: 'platinum' } },
    });
    // No token travels with the enriched message.
    expect(JSON.stringify(third)).not.toMatch(/token/i);
  });

  it('lets the message flow, marked unavailable, when the brand does not answer', async () => {
    await brand.stop();
    const message = await send(4);
    expect(message).toMatchObject({
      customer: null,
      enrichment: { status: 'unavailable', reason: 'unreachable' },
    });
  });
});
