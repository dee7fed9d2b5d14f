import { type BrandServer, startBrandServer } from '@parley/test-brand';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { freshTopics, testKafka, testLogger, waitFor } from '../support/harness.js';
import {
  createTestApiKey,
  dropStore,
  pipelineTopics,
  putChannelOverHttp,
  startAuth,
  startEnrichment,
  startHistory,
  startIngress,
} from '../support/services.js';

/** The four services together, as `npm run up` runs them, on a brand of their own. */
describe('the whole pipeline: ingress → enrichment → history → every device', () => {
  const logger = testLogger('pipeline-test');
  let brand: BrandServer;
  let apps: { start(): Promise<void>; stop(): Promise<void> }[] = [];
  let api: string;

  beforeAll(async () => {
    brand = await startBrandServer();
    brand.customers.set('c-1', { name: 'Ada', tier: 'gold' });
    const prefix = await freshTopics(testKafka(), pipelineTopics);
    const auth = await startAuth(logger);
    const history = await startHistory(prefix, logger);
    const enrichment = await startEnrichment(prefix, auth.grpcAddress(), logger);
    const ingress = await startIngress(
      prefix,
      { auth: auth.grpcAddress(), history: history.grpcAddress() },
      logger,
    );
    apps = [ingress, enrichment, history, auth];
    api = ingress.httpUrl();
    await waitFor('ingress ready', async () => (await fetch(`${ingress.opsUrl()}/readyz`)).status === 200);
    await waitFor(
      'enrichment ready',
      async () => (await fetch(`${enrichment.opsUrl()}/readyz`)).status === 200,
    );

    const token = await createTestApiKey(ingress, 'acme', 'admin', ['admin']);
    const put = await putChannelOverHttp(api, token, brand, {
      mapping: { customFields: { tier: '$.tier' } },
    });
    expect(put.status).toBe(200);
  }, 180_000);

  afterAll(async () => {
    for (const app of apps) await app.stop();
    await Promise.all(apps.map((app) => dropStore(app)));
    await brand?.stop();
  });

  async function signIn(deviceId: string) {
    const { code, codeVerifier, redirectUri } = await brand.authorize('c-1');
    const response = await fetch(`${api}/v1/channels/web/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'parley-tenant': 'acme' },
      body: JSON.stringify({ code, codeVerifier, redirectUri, device: { id: deviceId, platform: 'web' } }),
    });
    expect(response.status).toBe(201);
    return (await response.json()) as { sessionToken: string; thread: { id: string } };
  }

  it('delivers a message sent on one device to the other, stored once with fresh customer data', async () => {
    const laptop = await signIn('laptop');
    const phone = await signIn('phone');
    const frames: Record<string, unknown>[] = [];
    const socket = new WebSocket(`${api.replace('http', 'ws')}/v1/stream`, [
      'parley.v1',
      `parley.token.${phone.sessionToken}`,
    ]);
    socket.on('message', (data) => frames.push(JSON.parse(data.toString())));
    await waitFor('the phone ready', () => frames.find((frame) => frame.type === 'sync'));

    const sent = await fetch(`${api}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${laptop.sessionToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ clientMessageId: 'p-1', text: 'Where is my parcel?' }),
    });
    expect(sent.status).toBe(202);
    const { messageId } = (await sent.json()) as { messageId: string };

    const live = await waitFor(
      'the message on the phone',
      () => frames.find((frame) => frame.type === 'message'),
      { timeoutMs: 45_000 },
    );
    expect(live).toMatchObject({
      seq: 1,
      message: {
        messageId,
        text: 'Where is my parcel?',
        deviceId: 'laptop',
        author: { kind: 'customer', name: 'Ada' },
        customerData: { status: 'ok' },
      },
    });

    const sync = await fetch(`${api}/v1/thread/messages?after=0`, {
      headers: { authorization: `Bearer ${laptop.sessionToken}` },
    });
    expect(
      ((await sync.json()) as { messages: { messageId: string }[] }).messages.map(
        (message) => message.messageId,
      ),
    ).toEqual([messageId]);
    socket.close();
  });

  it('stores and delivers a message while the brand’s customer-data endpoint is down', async () => {
    const laptop = await signIn('laptop-2');
    brand.down.add('/me'); // OAuth still answers: the message is accepted, only the data is missing
    try {
      const sent = await fetch(`${api}/v1/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${laptop.sessionToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ clientMessageId: 'p-down', text: 'Anyone there?' }),
      });
      expect(sent.status).toBe(202);
      const { messageId } = (await sent.json()) as { messageId: string };
      const stored = await waitFor(
        'the message in history',
        async () => {
          const sync = await fetch(`${api}/v1/thread/messages?after=0`, {
            headers: { authorization: `Bearer ${laptop.sessionToken}` },
          });
          const { messages } = (await sync.json()) as {
            messages: { messageId: string; author: Record<string, unknown>; customerData?: unknown }[];
          };
          return messages.find((message) => message.messageId === messageId);
        },
        { timeoutMs: 45_000 },
      );
      // Stored without the customer's name, marked: the brand did not give the data. It answered 503
      // to every attempt, so the retries end on the 503 or on the circuit they opened.
      expect(stored.author).toEqual({ kind: 'customer', id: expect.any(String) });
      expect(stored.customerData).toEqual({
        status: 'unavailable',
        reason: expect.stringMatching(/^(http_error|circuit_open)$/),
      });
      expect(brand.calls.get('/me') ?? 0).toBeGreaterThan(0);
    } finally {
      brand.down.delete('/me');
    }
  });
});
