import { topicNameFor } from '@parley/bus';
import { parseTraceparent } from '@parley/ops';
import { type BrandServer, startBrandServer } from '@parley/test-brand';
import type { KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDeviceStream } from '../support/device-stream.js';
import { freshTopics, randomName, testKafka, testLogger, waitFor } from '../support/harness.js';
import {
  createTestApiKey,
  dropStore,
  pipelineTopics,
  putChannelOverHttp,
  signInOverHttp,
  startAuth,
  startEnrichment,
  startHistory,
  startIngress,
  startIntegrations,
} from '../support/services.js';

// A customer's message leaves ingress enriched (auth fetched the data beside the introspection).
const traced = ['chat.messages.enriched.v1', 'chat.deliveries.v1'] as const;

/** The message id a record of one of the `traced` topics is about. */
function messageIdOf(record: KafkaMessage): string | undefined {
  const value = JSON.parse(record.value?.toString('utf8') ?? '{}') as {
    messageId?: string;
    message?: { messageId?: string };
  };
  return value.messageId ?? value.message?.messageId;
}

/**
 * One message is one trace (docs/operations.md, "Tracing"), and every consumer exports its
 * metrics: the services as `npm run up` runs them.
 */
describe('tracing and consumer metrics across the services', () => {
  const logger = testLogger('tracing-test');
  let brand: BrandServer;
  let apps: { start(): Promise<void>; stop(): Promise<void> }[] = [];
  let api: string;
  let opsUrls: Record<'ingress' | 'enrichment' | 'history' | 'integrations', string>;
  const records = new Map<string, KafkaMessage[]>();
  let stopRaw: () => Promise<void> = async () => {};

  beforeAll(async () => {
    brand = await startBrandServer();
    brand.customers.set('c-1', { name: 'Ada' });
    const kafka = testKafka();
    const prefix = await freshTopics(kafka, pipelineTopics);
    const raw = kafka.consumer({ groupId: randomName('raw') });
    await raw.connect();
    await raw.subscribe({ topics: traced.map((topic) => topicNameFor(prefix, topic)), fromBeginning: true });
    await raw.run({
      eachMessage: async ({ topic, message }) => {
        const base = topic.slice(prefix.length);
        records.set(base, [...(records.get(base) ?? []), message]);
      },
    });
    stopRaw = () => raw.disconnect();
    const auth = await startAuth(logger);
    const history = await startHistory(prefix, logger);
    const enrichment = await startEnrichment(prefix, auth.grpcAddress(), logger);
    const integrations = await startIntegrations(prefix, logger);
    const ingress = await startIngress(
      prefix,
      { auth: auth.grpcAddress(), history: history.grpcAddress() },
      logger,
    );
    apps = [ingress, integrations, enrichment, history, auth];
    api = ingress.httpUrl();
    opsUrls = {
      ingress: ingress.opsUrl(),
      enrichment: enrichment.opsUrl(),
      history: history.opsUrl(),
      integrations: integrations.opsUrl(),
    };
    for (const url of Object.values(opsUrls))
      await waitFor(`${url} ready`, async () => (await fetch(`${url}/readyz`)).status === 200);
    const token = await createTestApiKey(ingress, 'acme', 'admin', ['admin']);
    expect((await putChannelOverHttp(api, token, brand)).status).toBe(200);
  }, 180_000);

  afterAll(async () => {
    await stopRaw();
    for (const app of apps) await app.stop();
    await Promise.all(apps.map((app) => dropStore(app)));
    await brand?.stop();
  });

  /** The traceparent of the record about `messageId` on each traced topic, once both exist. */
  async function traceOf(messageId: string) {
    return waitFor(
      `the enriched and delivery records of ${messageId}`,
      () => {
        const found = traced.map((topic) =>
          (records.get(topic) ?? []).find((record) => messageIdOf(record) === messageId),
        );
        if (found.some((record) => !record)) return undefined;
        return found.map((record) => String(record?.headers?.traceparent));
      },
      { timeoutMs: 45_000 },
    );
  }

  it('carries the traceparent of an HTTP send through enriched → delivery', async () => {
    const laptop = await signInOverHttp(api, brand, 'c-1', { tenantId: 'acme', deviceId: 'laptop' });
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const sent = await fetch(`${api}/v1/messages`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${laptop.sessionToken}`,
        'content-type': 'application/json',
        traceparent,
      },
      body: JSON.stringify({ clientMessageId: 't-1', text: 'traced' }),
    });
    expect(sent.status).toBe(202);
    const { messageId } = (await sent.json()) as { messageId: string };
    const hops = await traceOf(messageId);
    expect(hops.map((hop) => parseTraceparent(hop)?.traceId)).toEqual([
      '4bf92f3577b34da6a3ce929d0e0e4736',
      '4bf92f3577b34da6a3ce929d0e0e4736',
    ]);
  });

  it('makes a WebSocket send one trace of its own, through every hop', async () => {
    const phone = await signInOverHttp(api, brand, 'c-1', { tenantId: 'acme', deviceId: 'phone' });
    const { socket, frames } = openDeviceStream(api, phone.sessionToken);
    try {
      await waitFor('the stream ready', () => frames.find((frame) => frame.type === 'sync'));
      socket.send(JSON.stringify({ type: 'send', clientMessageId: 't-ws', text: 'traced over ws' }));
      const ack = await waitFor('the ack', () => frames.find((frame) => frame.type === 'ack'));
      const hops = await traceOf(String(ack.messageId));
      const traceIds = hops.map((hop) => parseTraceparent(hop)?.traceId);
      expect(traceIds[0]).toMatch(/^[0-9a-f]{32}$/);
      expect(new Set(traceIds).size).toBe(1);
    } finally {
      socket.close();
    }
  });

  it('exports every consumer’s records, handling time and lag on its service’s /metrics (auth consumes nothing)', async () => {
    const expected = {
      ingress: { consumer: 'pod-events', topic: 'chat.deliveries.v1' },
      enrichment: { consumer: 'changes', topic: 'chat.messages.enriched.v1' },
      history: { consumer: 'history', topic: 'chat.messages.enriched.v1' },
      integrations: { consumer: 'integrations', topic: 'chat.messages.enriched.v1' },
    } as const;
    for (const [service, { consumer, topic }] of Object.entries(expected)) {
      const url = opsUrls[service as keyof typeof expected];
      const text = await waitFor(`${service}'s consumer metrics`, async () => {
        const body = await (await fetch(`${url}/metrics`)).text();
        return body.includes(`consumer="${consumer}",topic="${topic}",outcome="handled"`) ? body : undefined;
      });
      expect(text).toMatch(
        new RegExp(
          `parley_consumer_records_total\\{[^}]*consumer="${consumer}",topic="${topic}",outcome="handled"[^}]*\\} [1-9]`,
        ),
      );
      expect(text).toMatch(
        new RegExp(`parley_consumer_handling_seconds_count\\{[^}]*consumer="${consumer}"`),
      );
      expect(text).toMatch(new RegExp(`parley_consumer_lag\\{[^}]*consumer="${consumer}",topic="${topic}"`));
    }
  });
});
