import { createEventProducer } from '@parley/bus';
import { createLogger } from '@parley/logger';
import { type BrandServer, startBrandServer } from '@parley/test-brand';
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDeviceStream } from '../support/device-stream.js';
import { freshTopics, testKafka, waitFor } from '../support/harness.js';
import {
  createTestApiKey,
  dropStore,
  pipelineTopics,
  putChannelOverHttp,
  signInOverHttp,
  startAuth,
  startHistory,
  startIngress,
} from '../support/services.js';

type Json = Record<string, unknown>;

/** A JSON pointer segment (RFC 6901). */
const segment = (name: string) => name.replaceAll('~', '~0').replaceAll('/', '~1');

/**
 * Real answers of a running ingress (with the real auth, history, brand and Kafka) validated against
 * the OpenAPI and AsyncAPI documents it serves: the documents are generated from the schemas the
 * code uses, and this proves that what leaves ingress is what they say.
 */
describe('the API documents against a running ingress', () => {
  const logger = createLogger({ service: 'api-documents-test', version: 'test', level: 'silent' });
  const kafka = testKafka();
  let brand: BrandServer;
  let auth: Awaited<ReturnType<typeof startAuth>>;
  let history: Awaited<ReturnType<typeof startHistory>>;
  let ingress: Awaited<ReturnType<typeof startIngress>>;
  let prefix: string;
  let api: string;
  let adminKey: string;
  let openApi: Json;
  let asyncApi: Json;
  // The OpenAPI document is JSON Schema 2020-12 (OpenAPI 3.1); the AsyncAPI payloads draft-07.
  // Formats are not checked (the schemas carry patterns for timestamps).
  const ajv2020 = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  const ajv7 = new Ajv({ strict: false, allErrors: true, validateFormats: false });

  /** The schema of `path`/`method`'s answer with `status`, following a `$ref` to components.responses. */
  function responseSchema(path: string, method: string, status: number): ValidateFunction {
    const operation = (openApi.paths as Record<string, Record<string, Json>>)[path]?.[method];
    const answers = operation?.responses as Record<string, Json> | undefined;
    const answer = answers?.[String(status)];
    expect(answer, `${method.toUpperCase()} ${path} documents ${status}`).toBeDefined();
    const pointer =
      typeof answer?.$ref === 'string'
        ? answer.$ref
        : `#/paths/${segment(path)}/${method}/responses/${status}`;
    return ajv2020.compile({ $ref: `openapi.json${pointer}/content/application~1json/schema` });
  }

  async function expectDocumented(response: Response, path: string, method: string): Promise<Json> {
    const body = (await response.json()) as Json;
    const validate = responseSchema(path, method, response.status);
    expect(
      validate(body),
      `${method.toUpperCase()} ${path} ${response.status}: ${ajv2020.errorsText(validate.errors)}`,
    ).toBe(true);
    return body;
  }

  function expectFrameDocumented(frame: Json) {
    const messages = ((asyncApi.channels as Json).stream as Json).messages as Record<string, Json>;
    const message = messages[String(frame.type)];
    expect(message, `the AsyncAPI document has the ${String(frame.type)} frame`).toBeDefined();
    const validate = ajv7.compile(message?.payload as Json);
    expect(validate(frame), `${String(frame.type)} frame: ${ajv7.errorsText(validate.errors)}`).toBe(true);
  }

  const call = (path: string, init: { method?: string; token?: string; body?: unknown } = {}) =>
    fetch(`${api}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });

  beforeAll(async () => {
    brand = await startBrandServer();
    brand.customers.set('c-1', { name: 'Ada', tier: 'gold' });
    prefix = await freshTopics(kafka, pipelineTopics);
    history = await startHistory(prefix, logger);
    auth = await startAuth(logger);
    ingress = await startIngress(
      prefix,
      { auth: auth.grpcAddress(), history: history.grpcAddress() },
      logger,
    );
    api = ingress.httpUrl();
    adminKey = await createTestApiKey(ingress, 'acme', 'admin', ['admin']);
    openApi = (await (await fetch(`${api}/openapi.json`)).json()) as Json;
    asyncApi = (await (await fetch(`${api}/asyncapi.json`)).json()) as Json;
    ajv2020.addSchema(openApi, 'openapi.json');
    await waitFor('the pod consumer', async () => (await fetch(`${ingress.opsUrl()}/readyz`)).status === 200);
  });

  afterAll(async () => {
    await ingress?.stop();
    await auth?.stop();
    await history?.stop();
    await Promise.all([dropStore(ingress), dropStore(auth), dropStore(history)]);
    await brand?.stop();
  });

  it('serves an OpenAPI 3.1 and an AsyncAPI 3.0 document', () => {
    expect(openApi.openapi).toBe('3.1.0');
    expect(asyncApi.asyncapi).toBe('3.0.0');
  });

  it('answers the admin, sign-in, send, sync, customer-data, agent, bot and logout routes and errors as documented', async () => {
    const put = await putChannelOverHttp(api, adminKey, brand, {
      mapping: { customFields: { tier: '$.tier' } },
    });
    expect(put.status).toBe(200);
    const stored = await expectDocumented(put, '/v1/admin/channels/{channelId}', 'put');
    expect(stored).toMatchObject({ channelId: 'web', clientSecretSet: true });
    expect(JSON.stringify(stored)).not.toContain(brand.client.clientSecret);
    await expectDocumented(
      await call('/v1/admin/channels/web', { token: adminKey }),
      '/v1/admin/channels/{channelId}',
      'get',
    );
    await expectDocumented(
      await call('/v1/admin/api-keys', { token: adminKey }),
      '/v1/admin/api-keys',
      'get',
    );

    const session = await signInOverHttp(api, brand, 'c-1', { tenantId: 'acme', deviceId: 'laptop' });
    const signIn = responseSchema('/v1/channels/{channelId}/sessions', 'post', 201);
    expect(signIn(session), ajv2020.errorsText(signIn.errors)).toBe(true);

    const sent = await call('/v1/messages', {
      method: 'POST',
      token: session.sessionToken,
      body: { clientMessageId: 'doc-1', text: 'hello' },
    });
    expect(sent.status).toBe(202);
    await expectDocumented(sent, '/v1/messages', 'post');

    // A device's stream: ready and sync, then a message stored meanwhile arrives live, and sync
    // pages carry that very message in the same shape.
    const { socket, frames } = openDeviceStream(api, session.sessionToken);
    await waitFor('the sync frame', () => frames.find((frame) => frame.type === 'sync'));
    const producer = createEventProducer({ kafka, source: 'parley/test', topicPrefix: prefix, logger });
    await producer.connect();
    const now = new Date().toISOString();
    await producer.publish('chat.messages.enriched.v1', {
      messageId: 'm-doc-1',
      clientMessageId: 'doc-1',
      tenantId: 'acme',
      channelId: 'web',
      threadId: session.thread.id,
      customerKey: session.customer.key,
      deviceId: 'laptop',
      text: 'hello',
      sentAt: now,
      customer: { id: 'c-1', name: 'Ada', customFields: { tier: 'gold' } },
      enrichment: { status: 'ok', fetchedAt: now, latencyMs: 3 },
    });
    await producer.disconnect();
    const live = await waitFor('the live message', () =>
      frames.find(
        (frame) => frame.type === 'message' && (frame.message as Json | undefined)?.messageId === 'm-doc-1',
      ),
    );
    socket.send(JSON.stringify({ type: 'ping' }));
    await waitFor('the pong', () => frames.find((frame) => frame.type === 'pong'));
    socket.close();
    for (const frame of frames) expectFrameDocumented(frame);

    const page = await expectDocumented(
      await call('/v1/thread/messages?after=0', { token: session.sessionToken }),
      '/v1/thread/messages',
      'get',
    );
    expect((page.messages as Json[]).find((message) => message.messageId === 'm-doc-1')).toEqual(
      live.message,
    );
    // Not vacuous: the same schema refuses a message without its seq.
    const { seq: _seq, ...withoutSeq } = (page.messages as Json[])[0] as Json;
    expect(responseSchema('/v1/thread/messages', 'get', 200)({ ...page, messages: [withoutSeq] })).toBe(
      false,
    );

    // The customer's own data and the agents' profile, as history stored them from that message.
    const own = await waitFor('the stored customer', async () => {
      const response = await call('/v1/thread/customer', { token: session.sessionToken });
      return response.status === 200 ? response : undefined;
    });
    expect(await expectDocumented(own, '/v1/thread/customer', 'get')).toMatchObject({
      customFields: { tier: 'gold' },
    });
    const agentKey = await createTestApiKey(ingress, 'acme', 'agent', ['agent']);
    const customerPath = `/v1/customers/${session.customer.key}`;
    const profile = await expectDocumented(
      await call(customerPath, { token: agentKey }),
      '/v1/customers/{customerKey}',
      'get',
    );
    expect(profile.customFields).toMatchObject({ tier: { source: 'oauth', readOnly: true } });
    const edited = await call(`${customerPath}/fields`, {
      method: 'PATCH',
      token: agentKey,
      body: { note: 'VIP' },
    });
    expect(edited.status).toBe(200);
    expect(await expectDocumented(edited, '/v1/customers/{customerKey}/fields', 'patch')).toMatchObject({
      customFields: { note: { value: 'VIP', source: 'agent', readOnly: false } },
    });
    // Not vacuous: the profile schema refuses a field of a source history does not have.
    const field = { value: 'x', source: 'crm', readOnly: false, updatedAt: now };
    expect(
      responseSchema(
        '/v1/customers/{customerKey}',
        'get',
        200,
      )({ ...profile, customFields: { note: field } }),
    ).toBe(false);

    // Bots: a reply in the thread and the customer's brand token.
    const botKey = await createTestApiKey(ingress, 'acme', 'bot', ['bot']);
    const reply = await call(`/v1/threads/${session.thread.id}/messages`, {
      method: 'POST',
      token: botKey,
      body: { clientMessageId: 'doc-bot-1', text: 'on its way' },
    });
    expect(reply.status).toBe(202);
    await expectDocumented(reply, '/v1/threads/{threadId}/messages', 'post');
    const token = await call('/v1/bot/token', {
      method: 'POST',
      token: botKey,
      body: { threadId: session.thread.id, reason: 'look up the order' },
    });
    expect(token.status).toBe(200);
    await expectDocumented(token, '/v1/bot/token', 'post');

    // Admins: the channel's self-test and a key's revocation.
    const selfTest = await call('/v1/admin/channels/web/test', {
      method: 'POST',
      token: adminKey,
      body: { sampleCustomerData: { sub: 'c-9', name: 'Ada', tier: 'bronze' } },
    });
    expect(selfTest.status).toBe(200);
    await expectDocumented(selfTest, '/v1/admin/channels/{channelId}/test', 'post');
    const spareKeyId = (await createTestApiKey(ingress, 'acme', 'spare', ['bot'])).slice(3, 15);
    const revoked = await call(`/v1/admin/api-keys/${spareKeyId}`, { method: 'DELETE', token: adminKey });
    expect(revoked.status).toBe(200);
    expect(await expectDocumented(revoked, '/v1/admin/api-keys/{keyId}', 'delete')).toMatchObject({
      keyId: spareKeyId,
    });

    const refusals: [Response, string, string, string][] = [
      [
        await call('/v1/messages', { method: 'POST', body: { clientMessageId: 'x', text: 'hi' } }),
        '/v1/messages',
        'post',
        'unauthenticated',
      ],
      [
        await call('/v1/messages', {
          method: 'POST',
          token: session.sessionToken,
          body: { clientMessageId: 'x', text: '' },
        }),
        '/v1/messages',
        'post',
        'invalid_argument',
      ],
      [
        await call('/v1/admin/channels/nowhere', { token: adminKey }),
        '/v1/admin/channels/{channelId}',
        'get',
        'not_found',
      ],
      [
        await call(`${customerPath}/fields`, {
          method: 'PATCH',
          token: agentKey,
          body: { tier: 'platinum' },
        }),
        '/v1/customers/{customerKey}/fields',
        'patch',
        'field_managed_by_origin',
      ],
    ];
    for (const [response, path, method, code] of refusals) {
      const body = await expectDocumented(response, path, method);
      expect((body.error as Json).code).toBe(code);
    }

    // Last: the logout ends the session the steps above used.
    const loggedOut = await call('/v1/session', { method: 'DELETE', token: session.sessionToken });
    expect(loggedOut.status).toBe(200);
    expect(await expectDocumented(loggedOut, '/v1/session', 'delete')).toMatchObject({ sessionsEnded: 1 });
  });
});
