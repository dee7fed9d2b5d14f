import { ParleyError } from '@parley/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInMemoryApiKeyRepository } from '../adapters/in-memory-api-key-repository.js';
import { newApiKey } from '../domain/api-keys.js';
import { createInMemoryAuth, createInMemoryHistory, createTestIngress, testSession } from './edge.fixture.js';

// Every bad request of ingress's API, through the whole app (`createApp`) on in-memory ports:
// milliseconds, no servers. test/integration/ingress.test.ts proves the same over the real wiring.
const apiKeys = createInMemoryApiKeyRepository();
const admin = newApiKey('acme', 'admin', ['admin'], new Date());
const bot = newApiKey('acme', 'crm-bot', ['bot'], new Date());
const agent = newApiKey('acme', 'agent', ['agent'], new Date());
const { auth } = createInMemoryAuth(
  { 'tok-1': testSession('s-1') },
  {
    exchangeCode: () => Promise.reject(new ParleyError('not_found', 'no such channel')),
    getChannel: () => Promise.reject(new ParleyError('not_found', 'no such channel')),
  },
);
const { app, published } = createTestIngress({
  ports: { auth, history: createInMemoryHistory({ 't-1': 'k-1' }) },
  stores: { apiKeys },
  env: { BODY_LIMIT_BYTES: '8192' },
});

beforeAll(async () => {
  for (const key of [admin, bot, agent]) await apiKeys.create(key.key);
});
afterAll(() => app.stop());

const signInBody = {
  code: 'c',
  codeVerifier: 'v'.repeat(43),
  redirectUri: 'https://brand.example/callback',
  device: { id: 'd', platform: 'web' },
};

type Case = [
  what: string,
  request: {
    method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
    url: string;
    token?: string;
    tenant?: string;
    body?: unknown;
    raw?: string;
  },
  status: number,
  code: string,
];

const cases: Case[] = [
  [
    'malformed JSON',
    { method: 'POST', url: '/v1/messages', token: 'tok-1', raw: '{"clientMessageId": "x", "text": ' },
    400,
    'invalid_argument',
  ],
  [
    'text too long',
    {
      method: 'POST',
      url: '/v1/messages',
      token: 'tok-1',
      body: { clientMessageId: 'big', text: 'x'.repeat(4001) },
    },
    400,
    'invalid_argument',
  ],
  [
    'a body over the limit',
    {
      method: 'POST',
      url: '/v1/messages',
      token: 'tok-1',
      raw: JSON.stringify({ clientMessageId: 'huge', text: 'x'.repeat(9000) }),
    },
    413,
    'payload_too_large',
  ],
  [
    'no credential',
    { method: 'POST', url: '/v1/messages', body: { clientMessageId: 'anon', text: 'hi' } },
    401,
    'unauthenticated',
  ],
  [
    'a forged session token',
    { method: 'POST', url: '/v1/messages', token: 'forged', body: { clientMessageId: 'f', text: 'hi' } },
    401,
    'unauthenticated',
  ],
  [
    'a message with an unknown field',
    {
      method: 'POST',
      url: '/v1/messages',
      token: 'tok-1',
      body: { clientMessageId: 'u', text: 'hi', extra: 1 },
    },
    400,
    'invalid_argument',
  ],
  [
    'sign-in without Parley-Tenant',
    { method: 'POST', url: '/v1/channels/web/sessions', body: signInBody },
    400,
    'invalid_argument',
  ],
  [
    'sign-in on an unknown channel',
    { method: 'POST', url: '/v1/channels/nope/sessions', tenant: 'acme', body: signInBody },
    404,
    'not_found',
  ],
  [
    'sign-in without a code',
    {
      method: 'POST',
      url: '/v1/channels/web/sessions',
      tenant: 'acme',
      body: { ...signInBody, code: undefined },
    },
    400,
    'invalid_argument',
  ],
  [
    'a sync with a bad cursor',
    { url: '/v1/thread/messages?after=-1', token: 'tok-1' },
    400,
    'invalid_argument',
  ],
  ['a sync without a session', { url: '/v1/thread/messages' }, 401, 'unauthenticated'],
  [
    'a logout with a bad allDevices',
    { method: 'DELETE', url: '/v1/session?allDevices=maybe', token: 'tok-1' },
    400,
    'invalid_argument',
  ],
  [
    'an unknown channel of the admin',
    { url: '/v1/admin/channels/web', token: admin.token },
    404,
    'not_found',
  ],
  [
    'an unknown API key',
    { url: '/v1/admin/channels/web', token: 'pk_unknownkey12.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
    401,
    'unauthenticated',
  ],
  [
    'a key without the admin scope',
    { url: '/v1/admin/channels/web', token: bot.token },
    403,
    'permission_denied',
  ],
  [
    'channel settings that are not settings',
    { method: 'PUT', url: '/v1/admin/channels/web', token: admin.token, body: { nope: true } },
    400,
    'invalid_argument',
  ],
  [
    'a bot token without a reason',
    { method: 'POST', url: '/v1/bot/token', token: bot.token, body: { threadId: 't-1' } },
    400,
    'invalid_argument',
  ],
  [
    'a bot reply in an unknown thread',
    {
      method: 'POST',
      url: '/v1/threads/t-404/messages',
      token: bot.token,
      body: { clientMessageId: 'r-1', text: 'hi' },
    },
    404,
    'not_found',
  ],
  [
    'a bot reply without text',
    { method: 'POST', url: '/v1/threads/t-1/messages', token: bot.token, body: { clientMessageId: 'r-2' } },
    400,
    'invalid_argument',
  ],
  [
    'an agent edit of no field',
    { method: 'PATCH', url: '/v1/customers/k-1/fields', token: agent.token, body: {} },
    400,
    'invalid_argument',
  ],
  ['an agent call with a bot key', { url: '/v1/customers/k-1', token: bot.token }, 403, 'permission_denied'],
  ['an unknown route', { url: '/v1/nowhere' }, 404, 'not_found'],
];

describe('bad requests, answered by the edge alone', () => {
  it.each(cases)('%s: %i %s', async (_what, request, status, code) => {
    const response = await app.inject({
      method: request.method ?? 'GET',
      url: request.url,
      headers: {
        ...(request.token ? { authorization: `Bearer ${request.token}` } : {}),
        ...(request.tenant ? { 'parley-tenant': request.tenant } : {}),
        ...(request.raw !== undefined || request.body !== undefined
          ? { 'content-type': 'application/json' }
          : {}),
      },
      ...(request.raw !== undefined ? { payload: request.raw } : {}),
      ...(request.body !== undefined ? { payload: JSON.stringify(request.body) } : {}),
    });
    expect(response.statusCode).toBe(status);
    expect(response.json<{ error: { code: string } }>().error.code).toBe(code);
  });

  it('publishes nothing for any of them', () => {
    expect(published).toEqual([]);
  });

  it('still accepts a good message (the same app, the same session)', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: { authorization: 'Bearer tok-1' },
      payload: { clientMessageId: 'ok', text: 'hi' },
    });
    expect(response.statusCode).toBe(202);
    expect(published.map(({ topic }) => topic)).toEqual(['chat.messages.enriched.v1']);
  });
});
