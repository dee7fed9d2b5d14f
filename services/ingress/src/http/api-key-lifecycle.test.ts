import { request as httpRequest, type IncomingMessage } from 'node:http';
import { createLogger } from '@parley/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInMemoryApiKeyRepository } from '../adapters/in-memory-api-key-repository.js';
import { createRateLimiter } from '../adapters/rate-limiter.js';
import { newApiKey } from '../domain/api-keys.js';
import { createBotStreams } from '../domain/bot-streams.js';
import { createHttpApp } from './create-http-app.js';
import { createInMemoryIntegrations } from './edge.fixture.js';

// API keys expire, can be revoked by the tenant's admins, and are rate-limited per key: the edge
// with in-memory ports and fakes for history, integrations and Kafka.
const published: unknown[] = [];
const producer = { publish: async (_topic: string, event: unknown) => void published.push(event) };
const history = { getThread: async () => ({ threadId: 't-1', customerKey: 'k-1' }) };
// An event log with nothing new: a long poll answers empty after its wait (or when cancelled).
const { integrations } = createInMemoryIntegrations();
const apiKeys = createInMemoryApiKeyRepository();
const now = new Date();
const admin = newApiKey('acme', 'admin', ['admin'], now);
const otherAdmin = newApiKey('globex', 'admin', ['admin'], now);
const bot = newApiKey('acme', 'crm-bot', ['bot'], now, { expiresAt: new Date(now.getTime() + 3_600_000) });
const streamingBot = newApiKey('acme', 'stream-bot', ['bot'], now);
const expired = newApiKey('acme', 'old-bot', ['bot'], new Date(now.getTime() - 7_200_000), {
  expiresAt: new Date(now.getTime() - 1000),
});
const chatty = newApiKey('acme', 'chatty-bot', ['bot'], now);
const unlimited = { take: () => ({ allowed: true as const }) };
const perKey = createRateLimiter({ limit: 3, windowMs: 60_000 });
const app = createHttpApp({
  auth: {} as never,
  history: history as never,
  producer: producer as never,
  connections: {} as never,
  sessionEnded: {} as never,
  integrations,
  botStreams: createBotStreams({ perKey: 5, perTenant: 50 }),
  botStreamTiming: { waitMs: 50, heartbeatMs: 1000, drainTimeoutMs: 2000, keyRecheckMs: 100 },
  apiKeys,
  logger: createLogger({ service: 'ingress-test', version: 'test', level: 'silent' }),
  ipLimiter: unlimited,
  sessionLimiter: unlimited,
  // Only the chatty key is limited here, so the other cases can call as often as they need.
  apiKeyLimiter: { take: (key) => (key.includes(chatty.key.keyId) ? perKey.take(key) : { allowed: true }) },
  bodyLimitBytes: 16_384,
  trustedProxyHops: 0,
});
let base = '';

beforeAll(async () => {
  for (const key of [admin, otherAdmin, bot, streamingBot, expired, chatty]) await apiKeys.create(key.key);
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterAll(() => app.close());

const reply = (token: string) =>
  app.inject({
    method: 'POST',
    url: '/v1/threads/t-1/messages',
    headers: { authorization: `Bearer ${token}` },
    payload: { clientMessageId: `r-${Math.random()}`, text: 'hello' },
  });
const asAdmin = (method: 'GET' | 'DELETE', url: string, token = admin.token) =>
  app.inject({ method, url, headers: { authorization: `Bearer ${token}` } });

describe('API key expiry', () => {
  it('refuses an expired key with 401 api_key_expired, publishing nothing', async () => {
    published.length = 0;
    const response = await reply(expired.token);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ error: { code: 'api_key_expired' } });
    expect(published).toEqual([]);
    expect((await reply(bot.token)).statusCode).toBe(202);
  });
});

describe('API key revocation', () => {
  it("lists the tenant's keys without their secrets", async () => {
    const response = await asAdmin('GET', '/v1/admin/api-keys');
    expect(response.statusCode).toBe(200);
    const { apiKeys: listed } = response.json<{ apiKeys: Record<string, unknown>[] }>();
    expect(listed.map((key) => key.keyId).sort()).toEqual(
      [admin, bot, streamingBot, expired, chatty].map(({ key }) => key.keyId).sort(),
    );
    expect(listed.find((key) => key.keyId === bot.key.keyId)).toEqual({
      keyId: bot.key.keyId,
      name: 'crm-bot',
      scopes: ['bot'],
      createdAt: bot.key.createdAt.toISOString(),
      expiresAt: bot.key.expiresAt?.toISOString(),
      revokedAt: null,
    });
    expect(JSON.stringify(listed)).not.toContain(bot.key.secretHash);
  });

  it("cannot revoke another tenant's key, nor an unknown one: 404 not_found", async () => {
    const foreign = await asAdmin('DELETE', `/v1/admin/api-keys/${bot.key.keyId}`, otherAdmin.token);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json()).toMatchObject({ error: { code: 'not_found' } });
    expect((await asAdmin('DELETE', '/v1/admin/api-keys/AAAAAAAAAAAA')).statusCode).toBe(404);
    expect((await reply(bot.token)).statusCode).toBe(202);
  });

  it('refuses a revoked key at once with 401 api_key_revoked; revoking again changes nothing', async () => {
    const revoked = await asAdmin('DELETE', `/v1/admin/api-keys/${bot.key.keyId}`);
    expect(revoked.statusCode).toBe(200);
    const { revokedAt } = revoked.json<{ keyId: string; revokedAt: string }>();
    expect(revoked.json()).toEqual({ keyId: bot.key.keyId, revokedAt: expect.any(String) });
    const refused = await reply(bot.token);
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ error: { code: 'api_key_revoked' } });
    const again = await asAdmin('DELETE', `/v1/admin/api-keys/${bot.key.keyId}`);
    expect(again.json()).toEqual({ keyId: bot.key.keyId, revokedAt });
  });

  it('ends an open bot event stream of the key at its next check, with event: error api_key_revoked', async () => {
    const response = await new Promise<IncomingMessage>((resolve, reject) =>
      httpRequest(`${base}/v1/bot/events`, { headers: { authorization: `Bearer ${streamingBot.token}` } })
        .on('response', resolve)
        .on('error', reject)
        .end(),
    );
    expect(response.statusCode).toBe(200);
    let text = '';
    response.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
    });
    const ended = new Promise((resolve) => response.on('end', resolve));
    expect((await asAdmin('DELETE', `/v1/admin/api-keys/${streamingBot.key.keyId}`)).statusCode).toBe(200);
    await ended;
    expect(text).toContain('event: error');
    expect(text).toContain('"code":"api_key_revoked"');
  });
});

describe('per-key rate limit', () => {
  it('refuses a key past its limit with 429 rate_limited and Retry-After; other keys are not affected', async () => {
    for (let i = 0; i < 3; i += 1) expect((await reply(chatty.token)).statusCode).toBe(202);
    const limited = await reply(chatty.token);
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ error: { code: 'rate_limited' } });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await reply(admin.token)).json()).toMatchObject({ error: { code: 'permission_denied' } });
  });
});
