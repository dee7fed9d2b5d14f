import { streamCloseCodes } from '@parley/contracts';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { createInMemoryApiKeyRepository } from '../adapters/in-memory-api-key-repository.js';
import { newApiKey } from '../domain/api-keys.js';
import type { StoredCustomer } from '../domain/ports.js';
import { asyncApiDocument } from './asyncapi.js';
import { createInMemoryAuth, createInMemoryHistory, createTestEdge, testSession } from './edge.fixture.js';
import { openApiDocument } from './openapi.js';

/** Every `$ref` in a document, with where it points. */
function refs(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) refs(item, found);
  else if (typeof value === 'object' && value !== null)
    for (const [key, item] of Object.entries(value)) {
      if (key === '$ref' && typeof item === 'string') found.push(item);
      else refs(item, found);
    }
  return found;
}

function resolve(document: object, ref: string): unknown {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], document);
}

describe('the generated API documents', () => {
  it('resolve every $ref they hold', () => {
    for (const document of [openApiDocument, asyncApiDocument])
      for (const ref of refs(document)) expect(resolve(document, ref), ref).toBeDefined();
  });

  it('document every error status with the codes of the registry', () => {
    const error401 = openApiDocument.components.responses.Error401 as { description: string };
    for (const code of ['unauthenticated', 'reauthentication_required', 'api_key_expired', 'api_key_revoked'])
      expect(error401.description).toContain(`\`${code}\``);
  });

  it('describe every stream close code in the AsyncAPI document', () => {
    const listed = asyncApiDocument.channels.stream['x-close-codes'].map(({ code }) => code);
    expect(listed.sort()).toEqual(Object.values(streamCloseCodes).sort());
  });
});

// The edge on in-memory ports, its answers validated against the document it serves (the
// integration test test/integration/api-documents.test.ts does the same against real services).
describe('the edge’s answers against the OpenAPI document', () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema(openApiDocument, 'openapi.json');
  const segment = (name: string) => name.replaceAll('~', '~0').replaceAll('/', '~1');
  /** The documented schema of an answer, through a `$ref` to components.responses where there is one. */
  function answerSchema(path: string, method: string, status: number) {
    const paths = openApiDocument.paths as Record<
      string,
      Record<string, { responses: Record<string, { $ref?: string }> }>
    >;
    const answer = paths[path]?.[method]?.responses[String(status)];
    expect(answer, `${method} ${path} documents ${status}`).toBeDefined();
    const pointer = answer?.$ref ?? `#/paths/${segment(path)}/${method}/responses/${status}`;
    return ajv.compile({ $ref: `openapi.json${pointer}/content/application~1json/schema` });
  }
  function expectDocumented(
    answer: { statusCode: number; json: () => unknown },
    path: string,
    method: string,
  ) {
    const validate = answerSchema(path, method, answer.statusCode);
    const body = answer.json();
    expect(validate(body), `${method} ${path} ${answer.statusCode}: ${ajv.errorsText(validate.errors)}`).toBe(
      true,
    );
    return body as Record<string, unknown>;
  }

  const stored: StoredCustomer = {
    customerKey: 'k-1',
    id: 'c-1',
    name: 'Ada',
    customFields: [
      {
        name: 'tier',
        value: 'gold',
        source: 'oauth',
        fetchedAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
      },
      { name: 'note', value: 'vip', source: 'agent', fetchedAt: '', updatedAt: '2026-01-02T00:00:00.000Z' },
    ],
  };
  const now = new Date();
  const agent = newApiKey('acme', 'crm-agent', ['agent'], now);
  const admin = newApiKey('acme', 'admin', ['admin'], now);
  const bot = newApiKey('acme', 'crm-bot', ['bot'], now);
  const apiKeys = createInMemoryApiKeyRepository();
  const { auth } = createInMemoryAuth(
    { 'session-token': testSession() },
    {
      testChannel: async () => ({
        ok: false,
        checks: [{ name: 'discovery', ok: false, status: 'failed', detail: 'answered 404' }],
      }),
    },
  );
  const history = createInMemoryHistory(
    { 't-k-1': 'k-1' },
    { getCustomer: async () => stored, updateCustomerFields: async () => stored },
  );
  const { app } = createTestEdge({ auth, history, apiKeys });
  const as = (token: string) => ({ authorization: `Bearer ${token}` });

  it('answers the customer, agent, bot and admin routes as documented', async () => {
    for (const key of [agent, admin, bot]) await apiKeys.create(key.key);
    const profile = expectDocumented(
      await app.inject({ url: '/v1/customers/k-1', headers: as(agent.token) }),
      '/v1/customers/{customerKey}',
      'get',
    );
    expect(profile.customFields).toMatchObject({ tier: { readOnly: true }, note: { readOnly: false } });
    expectDocumented(
      await app.inject({
        method: 'PATCH',
        url: '/v1/customers/k-1/fields',
        headers: as(agent.token),
        payload: { note: 'vip' },
      }),
      '/v1/customers/{customerKey}/fields',
      'patch',
    );
    const own = expectDocumented(
      await app.inject({ url: '/v1/thread/customer', headers: as('session-token') }),
      '/v1/thread/customer',
      'get',
    );
    expect(own.customFields).toEqual({ tier: 'gold' });
    expectDocumented(
      await app.inject({
        method: 'POST',
        url: '/v1/threads/t-k-1/messages',
        headers: as(bot.token),
        payload: { clientMessageId: 'b-1', text: 'hello' },
      }),
      '/v1/threads/{threadId}/messages',
      'post',
    );
    expectDocumented(
      await app.inject({
        method: 'POST',
        url: '/v1/admin/channels/web/test',
        headers: as(admin.token),
        payload: {},
      }),
      '/v1/admin/channels/{channelId}/test',
      'post',
    );
    expectDocumented(
      await app.inject({ url: '/v1/admin/api-keys', headers: as(admin.token) }),
      '/v1/admin/api-keys',
      'get',
    );
    expectDocumented(
      await app.inject({
        method: 'DELETE',
        url: `/v1/admin/api-keys/${bot.key.keyId}`,
        headers: as(admin.token),
      }),
      '/v1/admin/api-keys/{keyId}',
      'delete',
    );
    expectDocumented(
      await app.inject({ method: 'DELETE', url: '/v1/session', headers: as('session-token') }),
      '/v1/session',
      'delete',
    );
    const refused = expectDocumented(
      await app.inject({ url: '/v1/customers/k-1', headers: as(bot.token) }),
      '/v1/customers/{customerKey}',
      'get',
    );
    expect(refused).toMatchObject({ error: { code: 'api_key_revoked' } });
  });

  it('refuses what the views may not carry: a field of no known source, an error code of another status', () => {
    const validate = answerSchema('/v1/customers/{customerKey}', 'get', 200);
    const field = { value: 'x', source: 'crm', readOnly: false, updatedAt: '2026-01-01T00:00:00.000Z' };
    expect(validate({ customerKey: 'k-1', id: null, name: null, customFields: { note: field } })).toBe(false);
    expect(
      answerSchema(
        '/v1/customers/{customerKey}',
        'get',
        404,
      )({ error: { code: 'rate_limited', message: 'x' } }),
    ).toBe(false);
  });
});
