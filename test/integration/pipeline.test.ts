import { type BrandServer, startBrandServer } from '@parley/test-brand';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDeviceStream } from '../support/device-stream.js';
import { freshTopics, testKafka, testLogger, waitFor } from '../support/harness.js';
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
} from '../support/services.js';

/** The four services together, as `npm run up` runs them, on a brand of their own. */
describe('the whole pipeline: ingress → enrichment → history → every device', () => {
  const logger = testLogger('pipeline-test');
  let brand: BrandServer;
  let apps: { start(): Promise<void>; stop(): Promise<void> }[] = [];
  let api: string;
  let botToken: string;

  beforeAll(async () => {
    brand = await startBrandServer();
    brand.customers.set('c-1', { name: 'Ada', tier: 'gold' });
    brand.customers.set('c-2', { name: 'Grace', tier: 'silver' });
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
    botToken = await createTestApiKey(ingress, 'acme', 'crm-bot', ['bot']);
  }, 180_000);

  afterAll(async () => {
    for (const app of apps) await app.stop();
    await Promise.all(apps.map((app) => dropStore(app)));
    await brand?.stop();
  });

  const signIn = (deviceId: string, customer = 'c-1') =>
    signInOverHttp(api, brand, customer, { tenantId: 'acme', deviceId });

  it('delivers a message sent on one device to the other, stored once with fresh customer data', async () => {
    const laptop = await signIn('laptop');
    const phone = await signIn('phone');
    const { socket, frames } = openDeviceStream(api, phone.sessionToken);
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

  it("stores a bot's reply although the customer chose `bot:<keyId>:<id>` as a clientMessageId", async () => {
    const device = await signIn('tablet', 'c-2');
    const keyId = botToken.slice('pk_'.length, 'pk_'.length + 12);
    const syncIds = async () => {
      const sync = await fetch(`${api}/v1/thread/messages?after=0`, {
        headers: { authorization: `Bearer ${device.sessionToken}` },
      });
      return ((await sync.json()) as { messages: { messageId: string }[] }).messages.map((m) => m.messageId);
    };
    const sent = await fetch(`${api}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${device.sessionToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ clientMessageId: `bot:${keyId}:r-1`, text: 'pretending to be the bot' }),
    });
    expect(sent.status).toBe(202);
    const { messageId: customerMessage } = (await sent.json()) as { messageId: string };
    await waitFor('the customer message stored', async () => (await syncIds()).includes(customerMessage), {
      timeoutMs: 45_000,
    });

    const replied = await fetch(`${api}/v1/threads/${device.thread.id}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${botToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ clientMessageId: 'r-1', text: 'Your order ships today' }),
    });
    expect(replied.status).toBe(202);
    const { messageId: botReply } = (await replied.json()) as { messageId: string };
    expect(botReply).not.toBe(customerMessage);
    expect(
      await waitFor(
        'both messages stored',
        async () => {
          const ids = await syncIds();
          return ids.length === 2 ? ids : undefined;
        },
        { timeoutMs: 45_000 },
      ),
    ).toEqual([customerMessage, botReply]);
  });
});
