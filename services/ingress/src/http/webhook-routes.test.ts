import { sessionEnded } from '@parley/contracts';
import { ParleyError } from '@parley/errors';
import { createLogger } from '@parley/logger';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConnectionRegistry } from '../adapters/connection-registry.js';
import { createInMemoryApiKeyRepository } from '../adapters/in-memory-api-key-repository.js';
import { newApiKey } from '../domain/api-keys.js';
import { createBotStreams } from '../domain/bot-streams.js';
import { createSessionEndedAnnouncer } from '../domain/session-ended-announcer.js';
import { createHttpApp } from './create-http-app.js';

// The admin webhook routes and the logout's event, with in-memory ports and fakes: no server.
const subscription = (tenantId: string, id: string) => ({
  tenantId,
  id,
  url: 'https://hooks.acme.example/parley',
  eventTypes: ['message.enriched'],
  description: '',
  enabled: true,
  status: 'active',
  pausedReason: '',
  pausedAt: '',
  createdAt: '2026-12-01T10:00:00.000Z',
  updatedAt: '2026-12-01T10:00:00.000Z',
  secretRotatedAt: '',
  previousSecretExpiresAt: '',
});
const delivery = { id: 'd-1', subscriptionId: 'wh-1', eventId: 'e-1', eventType: 'message.enriched' };
const calls: { method: string; request: Record<string, unknown> }[] = [];
let failWith: ParleyError | undefined;
const recorded =
  <T>(method: string, answer: (request: Record<string, unknown>) => T) =>
  async (request: Record<string, unknown>) => {
    calls.push({ method, request });
    if (failWith) throw failWith;
    return answer(request);
  };
// The integrations port, recording each call (by the gRPC method it stands for) and its request.
const integrations = {
  createSubscription: recorded('CreateSubscription', (r) => ({
    subscription: { ...subscription(r.tenantId as string, 'wh-1'), url: r.url },
    secret: 'whsec_c2VjcmV0',
  })),
  listSubscriptions: recorded('ListSubscriptions', (r) => [subscription(r.tenantId as string, 'wh-1')]),
  getSubscription: recorded('GetSubscription', (r) => subscription(r.tenantId as string, r.id as string)),
  updateSubscription: recorded('UpdateSubscription', (r) =>
    subscription(r.tenantId as string, r.id as string),
  ),
  deleteSubscription: recorded('DeleteSubscription', (r) => r.id === 'wh-1'),
  rotateSecret: recorded('RotateSecret', (r) => ({
    subscription: subscription(r.tenantId as string, r.id as string),
    secret: 'whsec_bmV3',
  })),
  listDeliveries: recorded('ListDeliveries', () => ({ deliveries: [delivery], nextCursor: '' })),
  redeliver: recorded('Redeliver', () => delivery),
};
const published: { topic: string; event: unknown; id?: string }[] = [];
let kafkaUp = true;
const producer = {
  publish: async (topic: string, event: unknown, options: { id?: string } = {}) => {
    if (!kafkaUp) throw new ParleyError('dependency_unavailable', 'broker down');
    published.push({ topic, event, ...options });
  },
};
const logger = createLogger({ service: 'ingress-test', version: 'test', level: 'silent' });
const auth = {
  revokeSession: async () => ({
    sessionsEnded: 2,
    revokedAtBrand: true,
    tenantId: 'acme',
    customerKey: 'k-1',
    threadId: 't-1',
    deviceId: 'laptop',
  }),
};
const apiKeys = createInMemoryApiKeyRepository();
const admin = newApiKey('acme', 'admin', ['admin'], new Date());
const bot = newApiKey('acme', 'crm-bot', ['bot'], new Date());
const unlimited = { take: () => ({ allowed: true as const }) };
const announcer = createSessionEndedAnnouncer({
  publish: (event) => producer.publish('chat.sessions.ended.v1', event, { id: event.sessionEventId }),
  logger,
  waitMs: 50,
  retryDelayMs: { initial: 60_000, max: 60_000 },
});
const app = createHttpApp({
  auth: auth as never,
  history: {} as never,
  producer: producer as never,
  sessionEnded: announcer,
  integrations: integrations as never,
  botStreams: createBotStreams({ perKey: 1, perTenant: 1 }),
  connections: createConnectionRegistry({ perSession: 5, perCustomer: 20 }),
  apiKeys,
  logger,
  ipLimiter: unlimited,
  apiKeyLimiter: unlimited,
  sessionLimiter: unlimited,
  bodyLimitBytes: 16_384,
  trustedProxyHops: 0,
});

beforeAll(async () => {
  await apiKeys.create(admin.key);
  await apiKeys.create(bot.key);
});
afterAll(async () => {
  await app.close();
  await announcer.stop(0);
});
beforeEach(() => {
  calls.length = 0;
  failWith = undefined;
});

const request = (method: string, url: string, body?: unknown, token = admin.token) =>
  app.inject({
    method: method as 'GET',
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { payload: body as object }),
  });
const codeOf = (response: { json(): unknown }) => (response.json() as { error: { code: string } }).error.code;

describe('the admin webhook API', () => {
  it('needs an admin-scoped key, and takes the tenant from it', async () => {
    const asBot = await request('GET', '/v1/admin/webhooks', undefined, bot.token);
    expect(asBot.statusCode).toBe(403);
    expect(codeOf(asBot)).toBe('permission_denied');
    const anonymous = await app.inject({ method: 'GET', url: '/v1/admin/webhooks' });
    expect(codeOf(anonymous)).toBe('unauthenticated');
    expect(calls).toEqual([]);

    const listed = await request('GET', '/v1/admin/webhooks');
    expect(listed.statusCode).toBe(200);
    expect(calls).toEqual([{ method: 'ListSubscriptions', request: { tenantId: 'acme' } }]);
    expect(listed.json()).toMatchObject({ webhooks: [{ id: 'wh-1', pausedReason: null }] });
    expect(listed.json().webhooks[0]).not.toHaveProperty('tenantId');
  });

  it('creates a subscription and shows its secret in that answer only', async () => {
    const created = await request('POST', '/v1/admin/webhooks', {
      url: 'https://hooks.acme.example/parley',
      eventTypes: ['message.enriched', 'session.ended'],
      tenantId: undefined,
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ id: 'wh-1', status: 'active', secret: 'whsec_c2VjcmV0' });
    expect(calls[0]?.request).toEqual({
      tenantId: 'acme',
      url: 'https://hooks.acme.example/parley',
      eventTypes: ['message.enriched', 'session.ended'],
      description: '',
      enabled: true,
    });
    const read = await request('GET', '/v1/admin/webhooks/wh-1');
    expect(read.json()).not.toHaveProperty('secret');
  });

  it.each([
    ['no URL', { eventTypes: ['message.enriched'] }, 'url'],
    ['a URL that is not http(s)', { url: 'ftp://x.example/', eventTypes: ['message.enriched'] }, 'url'],
    ['no event type', { url: 'https://x.example/', eventTypes: [] }, 'eventTypes'],
    ['an unknown event type', { url: 'https://x.example/', eventTypes: ['message.received'] }, 'eventTypes'],
    ['a type twice', { url: 'https://x.example/', eventTypes: ['session.ended', 'session.ended'] }, 'once'],
    [
      'another tenant',
      { url: 'https://x.example/', eventTypes: ['session.ended'], tenantId: 'globex' },
      'tenantId',
    ],
    [
      'a long description',
      { url: 'https://x.example/', eventTypes: ['session.ended'], description: 'x'.repeat(257) },
      'description',
    ],
  ])('refuses a subscription with %s (invalid_argument, nothing called)', async (_case, body, named) => {
    const refused = await request('POST', '/v1/admin/webhooks', body);
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({
      error: { code: 'invalid_argument', message: expect.stringContaining(named) },
    });
    expect(calls).toEqual([]);
  });

  it('changes only the fields sent, and refuses an empty change', async () => {
    const changed = await request('PATCH', '/v1/admin/webhooks/wh-1', {
      enabled: true,
      eventTypes: ['customer.updated'],
    });
    expect(changed.statusCode).toBe(200);
    // Exactly the fields sent (the gRPC field mask made of them: adapters/grpc-ports.test.ts).
    expect(calls[0]?.request).toEqual({
      tenantId: 'acme',
      id: 'wh-1',
      enabled: true,
      eventTypes: ['customer.updated'],
    });
    expect(codeOf(await request('PATCH', '/v1/admin/webhooks/wh-1', {}))).toBe('invalid_argument');
    expect(codeOf(await request('PATCH', '/v1/admin/webhooks/a%20b', { enabled: false }))).toBe(
      'invalid_argument',
    );
  });

  it('deletes (204), and answers not_found for what is not there', async () => {
    expect((await request('DELETE', '/v1/admin/webhooks/wh-1')).statusCode).toBe(204);
    const missing = await request('DELETE', '/v1/admin/webhooks/wh-2');
    expect(missing.statusCode).toBe(404);
    expect(codeOf(missing)).toBe('not_found');
  });

  it('rotates the secret with the default overlap or the one asked for', async () => {
    const rotated = await request('POST', '/v1/admin/webhooks/wh-1/rotate-secret');
    expect(rotated.statusCode).toBe(200);
    expect(rotated.json()).toMatchObject({ id: 'wh-1', secret: 'whsec_bmV3' });
    await request('POST', '/v1/admin/webhooks/wh-1/rotate-secret', { overlapSeconds: 1 });
    expect(calls.map((call) => call.request.overlapSeconds)).toEqual([0, 1]);
    const zero = await request('POST', '/v1/admin/webhooks/wh-1/rotate-secret', { overlapSeconds: 0 });
    expect(codeOf(zero)).toBe('invalid_argument');
  });

  it('pages the delivery log with a status filter, and redelivers one', async () => {
    const page = await request('GET', '/v1/admin/webhooks/wh-1/deliveries?status=failed&limit=10&before=c-9');
    expect(page.statusCode).toBe(200);
    expect(page.json()).toMatchObject({
      deliveries: [{ id: 'd-1', lastStatusCode: null }],
      nextCursor: null,
    });
    expect(calls[0]?.request).toEqual({
      tenantId: 'acme',
      subscriptionId: 'wh-1',
      status: 'failed',
      limit: 10,
      before: 'c-9',
    });
    for (const query of ['status=lost', 'limit=201', 'limit=0', 'colour=red'])
      expect(codeOf(await request('GET', `/v1/admin/webhooks/wh-1/deliveries?${query}`))).toBe(
        'invalid_argument',
      );
    const again = await request('POST', '/v1/admin/webhooks/wh-1/deliveries/d-1/redeliver');
    expect(again.statusCode).toBe(202);
    expect(calls.at(-1)).toEqual({
      method: 'Redeliver',
      request: { tenantId: 'acme', subscriptionId: 'wh-1', deliveryId: 'd-1' },
    });
  });

  it('passes on the code integrations answers with', async () => {
    failWith = new ParleyError('url_not_allowed', 'the URL points at a non-public address');
    const refused = await request('POST', '/v1/admin/webhooks', {
      url: 'https://10.0.0.1/hook',
      eventTypes: ['message.enriched'],
    });
    expect(refused.statusCode).toBe(400);
    expect(codeOf(refused)).toBe('url_not_allowed');
    failWith = new ParleyError('dependency_unavailable', 'integrations is down');
    expect((await request('GET', '/v1/admin/webhooks')).statusCode).toBe(503);
  });
});

describe('logout', () => {
  const logout = () =>
    app.inject({
      method: 'DELETE',
      url: '/v1/session?allDevices=true',
      headers: { authorization: 'Bearer session-token' },
    });

  it('publishes session.ended after the session ended, and answers without internal ids', async () => {
    published.length = 0;
    const response = await logout();
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ sessionsEnded: 2, revokedAtBrand: true });
    expect(published).toHaveLength(1);
    const sent = published[0] as { topic: string; event: { sessionEventId: string }; id?: string };
    expect(sent.topic).toBe('chat.sessions.ended.v1');
    expect(sessionEnded.parse(sent.event)).toMatchObject({
      tenantId: 'acme',
      customerKey: 'k-1',
      threadId: 't-1',
      deviceId: 'laptop',
      allDevices: true,
      sessionsEnded: 2,
      reason: 'customer_logout',
    });
    // The event id is the sessionEventId: a retried publish is recognised downstream.
    expect(sent.id).toBe(sent.event.sessionEventId);
  });

  it('still logs out while Kafka is down; the event waits for a retry', async () => {
    published.length = 0;
    kafkaUp = false;
    try {
      const response = await logout();
      expect(response.statusCode).toBe(200);
      expect(published).toEqual([]);
      expect(announcer.pending()).toBe(1);
    } finally {
      kafkaUp = true;
    }
  });
});
