import { createEventProducer, type EventProducer } from '@parley/bus';
import type { HistoryServiceDefinition, ServiceClient } from '@parley/grpc';
import { createLogger } from '@parley/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDedicatedPostgres } from '../support/dedicated-postgres.js';
import { enrichedMessage } from '../support/events.js';
import { historyClient } from '../support/grpc.js';
import { freshTopics, randomName, testKafka, waitFor } from '../support/harness.js';
import { startHistory } from '../support/services.js';

/**
 * History against a PostgreSQL server of its own that stops mid-run: readiness goes false, the
 * messages produced meanwhile wait in Kafka, and once the server is back each is stored exactly
 * once, in order, without restarting history.
 */
describe('history while its store is down', () => {
  const warnings: { msg: string }[] = [];
  const logger = createLogger({
    service: 'store-outage-test',
    version: 'test',
    level: 'warn',
    destination: { write: (line: string) => void warnings.push(JSON.parse(line)) },
  });
  const kafka = testKafka();
  let server: Awaited<ReturnType<typeof startDedicatedPostgres>> | undefined;
  let app: Awaited<ReturnType<typeof startHistory>> | undefined;
  let producer: EventProducer | undefined;
  let history: ServiceClient<HistoryServiceDefinition> | undefined;

  const readiness = async () => {
    const response = await fetch(`${app?.opsUrl()}/readyz`);
    return { status: response.status, body: (await response.json()) as { checks: Record<string, string> } };
  };

  beforeAll(async () => {
    server = await startDedicatedPostgres();
    const prefix = await freshTopics(kafka, [
      'chat.messages.enriched.v1',
      'chat.messages.outbound.v1',
      'chat.customers.updated.v1',
      'chat.deliveries.v1',
    ]);
    app = await startHistory(prefix, logger, {
      DATABASE_URL: server.serviceUrl('history'),
      DATABASE_SCHEMA: 'history',
    });
    history = historyClient(app.grpcAddress());
    producer = createEventProducer({ kafka, source: 'parley/test', topicPrefix: prefix, logger });
    await producer.connect();
  }, 120_000);

  afterAll(async () => {
    history?.close();
    await producer?.disconnect();
    await app?.stop();
    await server?.remove();
  });

  it('stores every message produced during the outage exactly once, in order, once the store is back', async () => {
    const threads = [randomName('th'), randomName('th')];
    const publish = (n: number) =>
      Promise.all(
        threads.map((thread) => producer?.publish('chat.messages.enriched.v1', enrichedMessage(thread, n))),
      );
    const stored = async (thread: string) =>
      (await app?.stores.messages.after('acme', thread, 0, 1000)) ?? [];

    for (let n = 1; n <= 5; n += 1) await publish(n);
    for (const thread of threads)
      await waitFor(`5 messages of ${thread}`, async () => (await stored(thread)).length === 5);

    await server?.stop();
    const down = await waitFor('readiness to fail', async () => {
      const ready = await readiness();
      return ready.status === 503 ? ready : undefined;
    });
    expect(down.body.checks.postgres).toBe('failing');
    // A caller gets a coded, retriable error, never a driver's.
    await expect(
      history?.call.Sync({
        tenantId: 'acme',
        customerKey: `ck-${threads[0]}`,
        threadId: threads[0],
        afterSeq: 0,
        limit: 0,
      }),
    ).rejects.toMatchObject({ code: 'dependency_unavailable' });

    for (let n = 6; n <= 15; n += 1) await publish(n);
    // A redelivery of an earlier message, meanwhile: stored once all the same.
    await producer?.publish('chat.messages.enriched.v1', enrichedMessage(threads[0] as string, 7));
    // Longer than one record's retries (4 retries, 1.5 s of backoff): the batch fails and is run
    // again from its first unhandled record.
    await waitFor(
      'history to retry a batch',
      () => warnings.filter((line) => line.msg === 'handler failed, retrying').length >= 8,
      { timeoutMs: 30_000 },
    );

    await server?.start();
    for (const thread of threads) {
      const messages = await waitFor(
        `15 messages of ${thread}`,
        async () => {
          const all = await stored(thread).catch(() => []);
          return all.length >= 15 ? all : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      );
      expect(messages.map((message) => message.seq)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      expect(messages.map((message) => message.messageId)).toEqual(
        Array.from({ length: 15 }, (_, i) => `${thread}-m${i + 1}`),
      );
    }
    await waitFor('readiness to return', async () => (await readiness()).status === 200);
  });
});
