import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createEventProducer, type EventProducer, topicNameFor } from '@parley/bus';
import type { MessageReceived } from '@parley/contracts';
import { type BrandServer, startBrandServer } from '@parley/test-brand';
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

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};

/**
 * Two brands on one enrichment instance, their messages in one partition (the worst case): one
 * brand's customer data takes 500 ms longer, and the other brand's messages must not wait for it.
 */
describe('a slow brand beside a fast one', () => {
  const logger = testLogger('slow-brand-test');
  const kafka = testKafka();
  const brands: Record<'fast' | 'slow', BrandServer> = {} as never;
  const threads: Record<'fast' | 'slow', { tenantId: string; customerKey: string; threadId: string }[]> = {
    fast: [],
    slow: [],
  };
  let auth: Awaited<ReturnType<typeof startAuth>>;
  let enrichment: Awaited<ReturnType<typeof startEnrichment>>;
  let producer: EventProducer;
  const arrivals = new Map<string, number>();
  const consumer = kafka.consumer({ groupId: randomName('enriched-reader') });

  beforeAll(async () => {
    const prefix = await freshTopics(
      kafka,
      ['chat.messages.received.v1', 'chat.messages.enriched.v1', 'chat.customers.updated.v1'],
      1,
    );
    auth = await startAuth(logger);
    enrichment = await startEnrichment(prefix, auth.grpcAddress(), logger);
    const client = authClient(auth.grpcAddress());
    for (const speed of ['fast', 'slow'] as const) {
      const brand = await startBrandServer();
      brands[speed] = brand;
      const tenantId = `${speed}-brand`;
      await client.call.PutChannel({ channel: brandChannel(brand, tenantId, 'web') });
      for (let i = 0; i < 4; i += 1) {
        brand.customers.set(`c-${i}`, { name: `Customer ${i}` });
        const session = await signInThroughAuth(client, brand, `c-${i}`, { tenantId, channelId: 'web' });
        threads[speed].push({
          tenantId,
          customerKey: session.customer?.customerKey ?? '',
          threadId: session.threadId,
        });
      }
    }
    client.close();
    producer = createEventProducer({ kafka, source: 'parley/test', topicPrefix: prefix, logger });
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({
      topic: topicNameFor(prefix, 'chat.messages.enriched.v1'),
      fromBeginning: true,
    });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const { messageId } = JSON.parse(message.value?.toString() ?? '{}');
        arrivals.set(messageId, Date.now());
      },
    });
  }, 120_000);

  afterAll(async () => {
    await consumer.disconnect();
    await producer?.disconnect();
    await enrichment?.stop();
    await auth?.stop();
    await dropStore(auth);
    for (const brand of Object.values(brands)) await brand.stop();
  });

  /** Publishes a received message and returns when it was sent. */
  async function send(speed: 'fast' | 'slow', n: number) {
    const thread = threads[speed][n % 4] as (typeof threads)['fast'][number];
    const event: MessageReceived = {
      messageId: `${speed}-${n}-${randomBytes(3).toString('hex')}`,
      clientMessageId: `c-${n}`,
      ...thread,
      channelId: 'web',
      deviceId: 'laptop',
      text: `message ${n}`,
      sentAt: new Date().toISOString(),
    };
    const sentAt = Date.now();
    await producer.publish('chat.messages.received.v1', event);
    return { messageId: event.messageId, sentAt };
  }

  async function latencies(sent: { messageId: string; sentAt: number }[]) {
    await waitFor('every enriched message', () => sent.every(({ messageId }) => arrivals.has(messageId)), {
      timeoutMs: 60_000,
    });
    return sent.map(({ messageId, sentAt }) => (arrivals.get(messageId) as number) - sentAt);
  }

  it('enriches the fast brand’s messages without waiting for the slow brand’s (measured)', async () => {
    // Warm up both brands (first token fetch, first connections).
    await latencies([await send('fast', 0), await send('slow', 0)]);

    const alone: { messageId: string; sentAt: number }[] = [];
    for (let n = 1; n <= 24; n += 1) {
      alone.push(await send('fast', n));
      await sleep(40);
    }
    const fastAlone = await latencies(alone);

    brands.slow.delays.set('/me', 500);
    const mixedFast: { messageId: string; sentAt: number }[] = [];
    const mixedSlow: { messageId: string; sentAt: number }[] = [];
    for (let n = 1; n <= 24; n += 1) {
      mixedSlow.push(await send('slow', n));
      mixedFast.push(await send('fast', 100 + n));
      await sleep(40);
    }
    const fastBeside = await latencies(mixedFast);
    const slow = await latencies(mixedSlow);

    const report = {
      fastAlone: { p50: median(fastAlone), p95: percentile(fastAlone, 95) },
      fastBesideSlow: { p50: median(fastBeside), p95: percentile(fastBeside, 95) },
      slow: { p50: median(slow), p95: percentile(slow, 95) },
    };
    console.log(`slow-brand isolation (ms, send → enriched): ${JSON.stringify(report)}`);
    // The slow brand really is slow...
    expect(report.slow.p50).toBeGreaterThanOrEqual(500);
    // ...and the fast brand's messages, fetched from the same partition between the slow ones, do
    // not wait for it: waiting behind even one slow fetch would add 500 ms.
    expect(report.fastBesideSlow.p95).toBeLessThan(500);
    expect(report.fastBesideSlow.p50).toBeLessThan(report.fastAlone.p50 + 150);
  });
});
