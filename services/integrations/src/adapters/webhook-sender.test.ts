import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBrandHttpClient } from '@parley/brand-http';
import { createLogger } from '@parley/logger';
import { createSecretBox } from '@parley/secrets';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../../../docs/examples/verify-webhook.mjs';
import type { ClaimedDelivery } from '../domain/model.js';
import { newSigningSecret, secretContext } from '../domain/subscription-rules.js';
import { createWebhookSender, signatureHeaders } from './webhook-sender.js';

const body = JSON.stringify({ specversion: '1.0', id: 'evt_1', data: { text: 'Grüße ✓ 👋' } });
const now = new Date();

describe('Standard Webhooks signatures, checked by the docs’ independent node:crypto snippet', () => {
  const secret = newSigningSecret();
  const headers = signatureHeaders('evt_1', body, now, [secret]);
  const verify = (fields: Partial<Parameters<typeof verifyWebhook>[0]> = {}) =>
    verifyWebhook({ secret, headers, body, seen: new Map(), now: now.getTime(), ...fields });

  it('signs what the snippet and the standardwebhooks library both accept', () => {
    expect(headers).toEqual({
      'webhook-id': 'evt_1',
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': expect.stringMatching(/^v1,[A-Za-z0-9+/]{43}=$/),
    });
    expect(verify()).toEqual(JSON.parse(body));
    expect(verify({ body: Buffer.from(body) })).toEqual(JSON.parse(body));
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('is refused with a wrong secret, a changed body, a stale or future timestamp, or a replayed id', () => {
    expect(() => verify({ secret: newSigningSecret() })).toThrow('no valid signature');
    expect(() => verify({ body: body.replace('✓', 'x') })).toThrow('no valid signature');
    expect(() => verify({ now: now.getTime() + 5 * 60_000 + 1000 })).toThrow('timestamp');
    expect(() => verify({ now: now.getTime() - 5 * 60_000 - 1000 })).toThrow('timestamp');
    const stale = signatureHeaders('evt_1', body, new Date(now.getTime() - 6 * 60_000), [secret]);
    expect(() => verify({ headers: stale })).toThrow('timestamp');
    const seen = new Map<string, number>();
    verify({ seen });
    expect(() => verify({ seen })).toThrow('webhook-id seen already');
    expect(() => verify({ headers: { ...headers, 'webhook-signature': undefined } })).toThrow('missing');
  });

  it('carries one signature per secret during a rotation’s overlap, each verifying alone', () => {
    const previous = newSigningSecret();
    const both = signatureHeaders('evt_1', body, now, [secret, previous]);
    expect(both['webhook-signature'].split(' ')).toHaveLength(2);
    for (const key of [secret, previous]) {
      expect(verify({ secret: key, headers: both })).toEqual(JSON.parse(body));
      expect(new Webhook(key).verify(body, both)).toEqual(JSON.parse(body));
    }
  });

  it('is quoted verbatim in docs/integrations.md', () => {
    const snippet = readFileSync(
      new URL('../../../../docs/examples/verify-webhook.mjs', import.meta.url),
      'utf8',
    );
    const docs = readFileSync(new URL('../../../../docs/integrations.md', import.meta.url), 'utf8');
    expect(docs).toContain(`\`\`\`js\n${snippet}\`\`\``);
  });
});

describe('webhook sender against a local receiver', () => {
  let server: Server;
  let url: string;
  const received: { headers: IncomingHttpHeaders; body: string; path: string }[] = [];
  const secretBox = createSecretBox({ keys: { k1: new Uint8Array(randomBytes(32)) }, activeKid: 'k1' });
  const logger = createLogger({ service: 'webhook-sender-test', version: 'test', level: 'silent' });
  const http = createBrandHttpClient({
    logger,
    allowHosts: ['127.0.0.1'],
    timeoutMs: 300,
    maxResponseBytes: 100,
  });
  const sender = createWebhookSender({ http, secretBox, timeoutMs: 300 });

  beforeAll(async () => {
    server = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk) => {
        text += chunk;
      });
      request.on('end', () => {
        received.push({ headers: request.headers, body: text, path: request.url ?? '' });
        if (request.url === '/ok') return response.writeHead(204).end();
        if (request.url === '/down') return response.writeHead(503).end('{"error":"down"}');
        if (request.url === '/moved') return response.writeHead(307, { location: '/ok' }).end();
        if (request.url === '/chatty') return response.writeHead(200).end('x'.repeat(1000));
        // /hang never answers
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function claimed(
    path: string,
    secrets: { current: string; previous?: string; previousExpiresAt?: Date },
  ) {
    const context = secretContext('acme', 'sub_1');
    return {
      delivery: { tenantId: 'acme', subscriptionId: 'sub_1', eventId: 'evt_1' },
      leaseToken: 'lease',
      url: `${url}${path}`,
      body,
      sealedSecret: await secretBox.seal(secrets.current, context),
      sealedPreviousSecret: secrets.previous ? await secretBox.seal(secrets.previous, context) : null,
      previousSecretExpiresAt: secrets.previousExpiresAt ?? null,
    } as unknown as ClaimedDelivery;
  }

  it('POSTs the stored body byte for byte with the signature headers', async () => {
    const current = newSigningSecret();
    expect(await sender.send(await claimed('/ok', { current }), new Date())).toEqual({
      statusCode: 204,
      error: null,
    });
    const request = received.at(-1);
    expect(request?.body).toBe(body);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['webhook-id']).toBe('evt_1');
    const headers = request?.headers as Record<string, string>;
    expect(verifyWebhook({ secret: current, headers, body: request?.body ?? '', seen: new Map() })).toEqual(
      JSON.parse(body),
    );
  });

  it('signs with the previous secret too until its overlap ends', async () => {
    const [current, previous] = [newSigningSecret(), newSigningSecret()];
    const overlapping = await claimed('/ok', {
      current,
      previous,
      previousExpiresAt: new Date(Date.now() + 60_000),
    });
    await sender.send(overlapping, new Date());
    expect(String(received.at(-1)?.headers['webhook-signature']).split(' ')).toHaveLength(2);
    const over = await claimed('/ok', { current, previous, previousExpiresAt: new Date(Date.now() - 1) });
    await sender.send(over, new Date());
    expect(String(received.at(-1)?.headers['webhook-signature']).split(' ')).toHaveLength(1);
  });

  it('reports a failure without throwing: an error status, a redirect (not followed), a timeout, a long answer', async () => {
    const current = newSigningSecret();
    const send = async (path: string) => sender.send(await claimed(path, { current }), new Date());
    expect(await send('/down')).toEqual({ statusCode: 503, error: 'HTTP 503' });
    const before = received.length;
    expect(await send('/moved')).toEqual({ statusCode: 307, error: 'HTTP 307' });
    expect(received.length).toBe(before + 1);
    expect(await send('/hang')).toEqual({ statusCode: null, error: 'timeout: no answer within 300 ms' });
    expect(await send('/chatty')).toEqual({ statusCode: null, error: 'the answer was over the size limit' });
  });

  it('refuses an address that is not allow-listed, whatever the stored URL says', async () => {
    const strict = createWebhookSender({
      http: createBrandHttpClient({ logger }),
      secretBox,
      timeoutMs: 300,
    });
    const result = await strict.send(await claimed('/ok', { current: newSigningSecret() }), new Date());
    expect(result).toMatchObject({ statusCode: null, error: expect.stringContaining('not allowed') });
  });
});
