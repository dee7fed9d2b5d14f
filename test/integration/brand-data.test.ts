import { randomBytes } from 'node:crypto';
import { createEventProducer, type EventProducer } from '@parley/bus';
import type { MessageReceived } from '@parley/contracts';
import { type BrandServer, startBrandServer } from '@parley/test-brand';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authClient } from '../support/grpc.js';
import { freshTopics, testKafka, testLogger, waitFor } from '../support/harness.js';
import {
  brandChannel,
  dropStore,
  pipelineTopics,
  signInThroughAuth,
  startAuth,
  startEnrichment,
  startHistory,
} from '../support/services.js';

/**
 * Brand data PostgreSQL cannot hold (a NUL character, an unpaired surrogate) enters Parley at the
 * customer mapping, which cleans it: sign-in works, and the customer's messages are stored in
 * history with the cleaned profile instead of failing there and being dead-lettered.
 */
describe('customer data the brand sends with characters PostgreSQL cannot hold', () => {
  const logger = testLogger('brand-data-test');
  const kafka = testKafka();
  let brand: BrandServer;
  let auth: Awaited<ReturnType<typeof startAuth>>;
  let history: Awaited<ReturnType<typeof startHistory>>;
  let enrichment: Awaited<ReturnType<typeof startEnrichment>>;
  let producer: EventProducer;

  beforeAll(async () => {
    brand = await startBrandServer();
    brand.customers.set('c-odd', {
      name: 'Ada\u0000 Lovelace 😀 \ud800',
      customer_number: 'N-\u00007',
      tier: 'gold\u0000',
      open_case: { 'vi\u0000p': ['\udc00yes'] }, // a structure: kept as its JSON
    });
    const prefix = await freshTopics(kafka, pipelineTopics);
    auth = await startAuth(logger);
    history = await startHistory(prefix, logger);
    enrichment = await startEnrichment(prefix, auth.grpcAddress(), logger);
    producer = createEventProducer({ kafka, source: 'parley/test', topicPrefix: prefix, logger });
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    for (const app of [enrichment, history, auth]) await app?.stop();
    await Promise.all([dropStore(history), dropStore(auth)]);
    await brand?.stop();
  });

  it('signs the customer in and stores their message with the profile cleaned', async () => {
    const client = authClient(auth.grpcAddress());
    try {
      await client.call.PutChannel({
        channel: brandChannel(brand, 'acme', 'web', {
          mapping: {
            customerId: '$.customer_number',
            customFields: { tier: '$.tier', notes: '$.open_case' },
          },
        }),
      });
      const session = await signInThroughAuth(client, brand, 'c-odd', { tenantId: 'acme', channelId: 'web' });
      const customerKey = session.customer?.customerKey ?? '';
      const event: MessageReceived = {
        messageId: `m-${randomBytes(4).toString('hex')}`,
        clientMessageId: 'c-1',
        tenantId: 'acme',
        channelId: 'web',
        threadId: session.threadId,
        customerKey,
        deviceId: 'laptop',
        text: 'Where is my parcel?',
        sentAt: new Date().toISOString(),
      };
      await producer.publish('chat.messages.received.v1', event);

      const [stored] = await waitFor('the message in history', async () => {
        const messages = await history.stores.messages.after('acme', session.threadId, 0, 10);
        return messages.length > 0 ? messages : undefined;
      });
      expect(stored).toMatchObject({
        messageId: event.messageId,
        seq: 1,
        author: { kind: 'customer', name: 'Ada Lovelace 😀 \ufffd' },
        customerData: { status: 'ok' },
      });
      expect(await history.stores.customers.find('acme', customerKey)).toMatchObject({
        id: 'N-7',
        name: 'Ada Lovelace 😀 \ufffd',
        fields: {
          tier: { value: 'gold', source: 'oauth' },
          notes: { value: JSON.stringify({ vip: ['\ufffdyes'] }), source: 'oauth' },
        },
      });
    } finally {
      client.close();
    }
  });
});
