import {
  apiKeyId,
  apiKeyList,
  apiKeyRevoked,
  botEventsQuery,
  botTokenRequest,
  botTokenResponse,
  channelSelfTestRequest,
  channelSelfTestResult,
  channelSettingsRequest,
  channelView,
  customerData,
  customerFieldsRequest,
  customerProfile,
  errorBodyOf,
  errorCodesByHttpStatus,
  identifiers,
  logoutQuery,
  logoutResponse,
  messageAccepted,
  sendMessageRequest,
  signInRequest,
  signInResponse,
  syncPage,
  syncQuery,
  threadMessage,
  webhookCreateRequest,
  webhookDeliveriesQuery,
  webhookDeliveryPage,
  webhookDeliveryView,
  webhookList,
  webhookRotateRequest,
  webhookUpdateRequest,
  webhookView,
  webhookWithSecret,
} from '@parley/contracts';
import { z } from 'zod';
import { streamDescription } from './asyncapi.js';

// The OpenAPI document of ingress, generated from the zod schemas the routes parse with and the
// views they answer with (@parley/contracts): a schema changes, the document follows. The
// WebSocket protocol is described beside it, as an AsyncAPI document (asyncapi.ts).

/** Request schemas by component name: documented as what a client may send (`io: input`). */
const requests = {
  SignInRequest: signInRequest,
  SendMessageRequest: sendMessageRequest,
  ChannelSettingsRequest: channelSettingsRequest,
  ChannelSelfTestRequest: channelSelfTestRequest,
  BotTokenRequest: botTokenRequest,
  CustomerFieldsRequest: customerFieldsRequest,
  WebhookCreateRequest: webhookCreateRequest,
  WebhookUpdateRequest: webhookUpdateRequest,
  WebhookRotateRequest: webhookRotateRequest,
} as const;

/** Response schemas by component name: documented as what ingress sends (`io: output`). */
const responses = {
  SignInResponse: signInResponse,
  MessageAccepted: messageAccepted,
  LogoutResponse: logoutResponse,
  ThreadMessage: threadMessage,
  SyncPage: syncPage,
  CustomerData: customerData,
  BotTokenResponse: botTokenResponse,
  CustomerProfile: customerProfile,
  ChannelView: channelView,
  ChannelSelfTestResult: channelSelfTestResult,
  ApiKeyList: apiKeyList,
  ApiKeyRevoked: apiKeyRevoked,
  Webhook: webhookView,
  WebhookWithSecret: webhookWithSecret,
  WebhookList: webhookList,
  WebhookDelivery: webhookDeliveryView,
  WebhookDeliveryPage: webhookDeliveryPage,
} as const;

type RequestName = keyof typeof requests;
type ResponseName = keyof typeof responses;
type JsonSchema = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Every named schema as a component; schemas that name each other refer by `$ref`. */
function componentSchemas(): Record<string, JsonSchema> {
  const generated: Record<string, JsonSchema> = {};
  for (const [named, io] of [
    [requests, 'input'],
    [responses, 'output'],
  ] as const) {
    const registry = z.registry<{ id: string }>();
    for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
    const { schemas } = z.toJSONSchema(registry, {
      target: 'draft-2020-12',
      io,
      unrepresentable: 'any',
      uri: (id) => `#/components/schemas/${id}`,
    });
    for (const [id, { $schema: _schema, $id: _id, ...schema }] of Object.entries(schemas))
      generated[id] = schema;
  }
  return generated;
}

const inline = (schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema => {
  const { $schema: _schema, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  });
  return rest;
};

/** The error answers by HTTP status, each `errorBody` with the registry's codes of that status. */
function errorResponses(): Record<string, object> {
  const answers: Record<string, object> = {};
  for (const [status, codes] of errorCodesByHttpStatus()) {
    answers[`Error${status}`] = {
      description: `\`{error: {code, message}}\` with code ${codes.map((code) => `\`${code}\``).join(', ')} (libs/errors/README.md)`,
      content: { 'application/json': { schema: inline(errorBodyOf(codes), 'output') } },
    };
  }
  return answers;
}

interface Parameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header';
  readonly required: boolean;
  readonly description?: string;
  readonly schema: JsonSchema;
}

const pathParameter = (name: string, schema: z.ZodType): Parameter => ({
  name,
  in: 'path',
  required: true,
  schema: inline(schema),
});

/** A query schema's fields as OpenAPI parameters (what a client may send, defaults shown). */
function queryParameters(schema: z.ZodObject): Parameter[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const { description, ...fieldSchema } = inline(field as z.ZodType);
    return {
      name,
      in: 'query',
      required: !(field as z.ZodType).safeParse(undefined).success,
      ...(typeof description === 'string' ? { description } : {}),
      schema: fieldSchema,
    };
  });
}

interface OperationSpec {
  readonly summary: string;
  readonly description?: string;
  readonly security?: 'session' | 'apiKey';
  readonly parameters?: readonly Parameter[];
  readonly body?: RequestName;
  /** The body may be left out (an empty object then). */
  readonly optionalBody?: boolean;
  readonly status: number;
  readonly answer: string;
  readonly schema?: ResponseName;
  /** A non-JSON answer (the bot event stream, the WebSocket upgrade). */
  readonly content?: object;
  /** Error statuses beyond the ones every operation may answer. */
  readonly moreErrors?: readonly number[];
}

// Every operation may answer these (docs/api.md, "Errors"): a bad request, a refused credential, a
// rate limit, a dependency down, an unexpected failure; a missing thing or scope where it applies.
const commonErrors = [400, 401, 403, 404, 408, 409, 413, 429, 431, 500, 502, 503, 504];

function operation(spec: OperationSpec) {
  const errors = [...new Set([...commonErrors, ...(spec.moreErrors ?? [])])].sort((a, b) => a - b);
  return {
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    ...(spec.security ? { security: [{ [spec.security]: [] }] } : {}),
    ...(spec.parameters ? { parameters: spec.parameters } : {}),
    ...(spec.body
      ? {
          requestBody: {
            required: !spec.optionalBody,
            content: { 'application/json': { schema: ref(spec.body) } },
          },
        }
      : {}),
    responses: {
      [String(spec.status)]: {
        description: spec.answer,
        ...(spec.schema ? { content: { 'application/json': { schema: ref(spec.schema) } } } : {}),
        ...(spec.content ? { content: spec.content } : {}),
      },
      ...Object.fromEntries(
        errors.map((status) => [String(status), { $ref: `#/components/responses/Error${status}` }]),
      ),
    },
  };
}

const channelIdParam = pathParameter('channelId', identifiers.channelId);
const webhookIdParam = pathParameter('id', identifiers.resourceId);
const threadIdParam = pathParameter('threadId', identifiers.derivedId);
const customerKeyParam = pathParameter('customerKey', identifiers.derivedId);

const paths = {
  '/v1/channels/{channelId}/sessions': {
    post: operation({
      summary: 'Exchange the brand’s authorization code for a Parley session on this device',
      parameters: [
        channelIdParam,
        { name: 'Parley-Tenant', in: 'header', required: true, schema: inline(identifiers.tenantId) },
      ],
      body: 'SignInRequest',
      status: 201,
      answer: 'Signed in',
      schema: 'SignInResponse',
    }),
  },
  '/v1/messages': {
    post: operation({
      summary: 'Send a message; the brand authorizes every message',
      security: 'session',
      body: 'SendMessageRequest',
      status: 202,
      answer: 'Accepted; the same clientMessageId twice gives the same answer',
      schema: 'MessageAccepted',
    }),
  },
  '/v1/session': {
    delete: operation({
      summary: 'Log out this device, or all devices',
      security: 'session',
      parameters: queryParameters(logoutQuery),
      status: 200,
      answer: 'Logged out',
      schema: 'LogoutResponse',
    }),
  },
  '/v1/thread/messages': {
    get: operation({
      summary: 'Sync: the customer’s thread after a cursor (the brand authorizes again; nothing is cached)',
      security: 'session',
      parameters: queryParameters(syncQuery),
      status: 200,
      answer: 'A page of the thread; the same messages as the stream’s live `message` frames',
      schema: 'SyncPage',
    }),
  },
  '/v1/thread/customer': {
    get: operation({
      summary:
        'The customer’s own data as the brand gave it with their latest message (OAuth-managed fields only; 404 before the first message)',
      security: 'session',
      status: 200,
      answer: 'The customer’s data',
      schema: 'CustomerData',
    }),
  },
  '/v1/stream': {
    get: {
      ...operation({
        summary: 'WebSocket: a device’s live connection (frames and close codes: /asyncapi.json)',
        status: 101,
        answer: 'Switching to the WebSocket protocol',
      }),
      description: streamDescription(),
      'x-asyncapi': '/asyncapi.json',
    },
  },
  '/v1/admin/channels/{channelId}': {
    put: operation({
      summary: 'Store a channel’s authentication settings',
      security: 'apiKey',
      parameters: [channelIdParam],
      body: 'ChannelSettingsRequest',
      status: 200,
      answer: 'The channel as stored',
      schema: 'ChannelView',
    }),
    get: operation({
      summary: 'Read a channel’s authentication settings (never the client secret)',
      security: 'apiKey',
      parameters: [channelIdParam],
      status: 200,
      answer: 'The channel',
      schema: 'ChannelView',
    }),
  },
  '/v1/admin/channels/{channelId}/test': {
    post: operation({
      summary: 'Self-test a channel against the brand’s servers',
      description:
        'Every check appears, in order: discovery, each endpoint, client credentials (token) and (introspection), clock skew, mapping; a check that cannot be made is not_measured with the reason (docs/brands.md).',
      security: 'apiKey',
      parameters: [channelIdParam],
      body: 'ChannelSelfTestRequest',
      optionalBody: true,
      status: 200,
      answer: 'The checks; ok is false when any check failed',
      schema: 'ChannelSelfTestResult',
    }),
  },
  '/v1/admin/api-keys': {
    get: operation({
      summary: 'List the tenant’s API keys (never their secrets), newest first',
      security: 'apiKey',
      status: 200,
      answer: 'The keys, revoked and expired ones included',
      schema: 'ApiKeyList',
    }),
  },
  '/v1/admin/api-keys/{keyId}': {
    delete: operation({
      summary: 'Revoke one of the tenant’s API keys',
      description:
        'Refused from the next request on, on every pod (401 api_key_revoked); an open bot event stream of the key ends at its next key check. Revoking again answers the first revokedAt. Another tenant’s or an unknown key: 404 not_found.',
      security: 'apiKey',
      parameters: [pathParameter('keyId', apiKeyId)],
      status: 200,
      answer: 'Revoked',
      schema: 'ApiKeyRevoked',
    }),
  },
  '/v1/admin/webhooks': {
    post: operation({
      summary: 'Subscribe an endpoint to the tenant’s events (signed per Standard Webhooks)',
      security: 'apiKey',
      body: 'WebhookCreateRequest',
      status: 201,
      answer: 'Created; the signing secret is in this answer only',
      schema: 'WebhookWithSecret',
    }),
    get: operation({
      summary: 'The tenant’s webhook subscriptions',
      security: 'apiKey',
      status: 200,
      answer: 'The subscriptions',
      schema: 'WebhookList',
    }),
  },
  '/v1/admin/webhooks/{id}': {
    get: operation({
      summary: 'One webhook subscription (never its secret)',
      security: 'apiKey',
      parameters: [webhookIdParam],
      status: 200,
      answer: 'The subscription',
      schema: 'Webhook',
    }),
    patch: operation({
      summary: 'Change a subscription’s URL, event types, description or enabled flag',
      security: 'apiKey',
      parameters: [webhookIdParam],
      body: 'WebhookUpdateRequest',
      status: 200,
      answer: 'The subscription',
      schema: 'Webhook',
    }),
    delete: operation({
      summary: 'Delete a subscription (its pending deliveries are not sent)',
      security: 'apiKey',
      parameters: [webhookIdParam],
      status: 204,
      answer: 'Deleted',
    }),
  },
  '/v1/admin/webhooks/{id}/rotate-secret': {
    post: operation({
      summary: 'A new signing secret; the previous one keeps signing beside it for the overlap',
      security: 'apiKey',
      parameters: [webhookIdParam],
      body: 'WebhookRotateRequest',
      optionalBody: true,
      status: 200,
      answer: 'The new secret, shown in this answer only',
      schema: 'WebhookWithSecret',
    }),
  },
  '/v1/admin/webhooks/{id}/deliveries': {
    get: operation({
      summary: 'The subscription’s delivery log, newest first',
      security: 'apiKey',
      parameters: [webhookIdParam, ...queryParameters(webhookDeliveriesQuery)],
      status: 200,
      answer: 'A page of deliveries',
      schema: 'WebhookDeliveryPage',
    }),
  },
  '/v1/admin/webhooks/{id}/deliveries/{deliveryId}/redeliver': {
    post: operation({
      summary: 'Send a logged delivery again (same webhook-id, a new series of attempts)',
      security: 'apiKey',
      parameters: [webhookIdParam, pathParameter('deliveryId', identifiers.resourceId)],
      status: 202,
      answer: 'Queued',
      schema: 'WebhookDelivery',
    }),
  },
  '/v1/bot/events': {
    get: operation({
      summary: 'Server-Sent Events: the tenant’s events for a bot (bot-scoped API key), resumable',
      description: [
        'A `text/event-stream` of the key’s tenant only. Each event: `id: <cursor>`, `event: <type>` (message.enriched, message.stored, customer.updated, session.ended), `data: <the event JSON, as webhooks get it>`; `: heartbeat` comments every 15 s.',
        'Resume with the `Last-Event-ID` header (EventSource sends it on reconnect; it wins over `?after=`) or `?after=<cursor>`; without either the stream starts at the oldest retained event. Every event once, in order, within the retention window.',
        'Before the stream starts, failures are JSON errors: 401/403 (key, scope), 429 `rate_limited` (too many open streams for the key or tenant), 410 `cursor_expired` (the cursor is older than the log keeps: events may be missing; reconnect without one). After it started, a failure is one `event: error` with `data: {code, message}`, then the stream ends: reconnect with the last id.',
      ].join(' '),
      security: 'apiKey',
      parameters: [
        {
          name: 'Last-Event-ID',
          in: 'header',
          required: false,
          description: 'The id of the last event received',
          schema: { type: 'string' },
        },
        ...queryParameters(botEventsQuery),
      ],
      status: 200,
      answer: 'The event stream',
      content: { 'text/event-stream': { schema: { type: 'string' } } },
      moreErrors: [410],
    }),
  },
  '/v1/bot/token': {
    post: operation({
      summary: 'A bot gets the customer’s current brand access token for a thread (audited)',
      security: 'apiKey',
      body: 'BotTokenRequest',
      status: 200,
      answer: 'The token',
      schema: 'BotTokenResponse',
    }),
  },
  '/v1/threads/{threadId}/messages': {
    post: operation({
      summary: 'A bot replies in a thread',
      security: 'apiKey',
      parameters: [threadIdParam],
      body: 'SendMessageRequest',
      status: 202,
      answer: 'Accepted; the same clientMessageId twice is one message',
      schema: 'MessageAccepted',
    }),
  },
  '/v1/customers/{customerKey}': {
    get: operation({
      summary: 'An agent reads a customer profile; OAuth-managed fields are marked readOnly',
      security: 'apiKey',
      parameters: [customerKeyParam],
      status: 200,
      answer: 'The profile',
      schema: 'CustomerProfile',
    }),
  },
  '/v1/customers/{customerKey}/fields': {
    patch: operation({
      summary: 'An agent sets its own fields; OAuth-managed ones answer 409 field_managed_by_origin',
      security: 'apiKey',
      parameters: [customerKeyParam],
      body: 'CustomerFieldsRequest',
      status: 200,
      answer: 'The profile',
      schema: 'CustomerProfile',
    }),
  },
  '/openapi.json': {
    get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } },
  },
  '/asyncapi.json': {
    get: {
      summary: 'The WebSocket protocol of /v1/stream',
      responses: { '200': { description: 'AsyncAPI 3.0' } },
    },
  },
};

/** The OpenAPI document of ingress, served at `/openapi.json`; a test keeps it and the routes in sync. */
export const openApiDocument = {
  openapi: '3.1.0',
  jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
  info: {
    title: 'Parley ingress',
    version: '1',
    description:
      'Chat authenticated by the brand’s own OAuth server: chat frontends, bots and brand admins. Every error is `{error: {code, message}}` with a code of the registry (libs/errors/README.md), also for errors raised before any route runs (docs/api.md, "Errors"): a request the HTTP parser refuses is 400 invalid_argument, headers over 16 KiB 431 headers_too_large, a request too slow to arrive 408 request_timeout. Every string of a request follows the text rule (docs/api.md, "Text Parley accepts").',
  },
  components: {
    securitySchemes: {
      session: {
        type: 'http',
        scheme: 'bearer',
        description: 'The Parley session token from POST /v1/channels/{channelId}/sessions.',
      },
      apiKey: {
        type: 'http',
        scheme: 'bearer',
        description:
          'A tenant API key `pk_<id>.<secret>` with the needed scope; refused once expired (401 api_key_expired) or revoked (401 api_key_revoked), and past RATE_LIMIT_PER_API_KEY_PER_MINUTE (429 rate_limited).',
      },
    },
    schemas: componentSchemas(),
    responses: errorResponses(),
  },
  paths,
};
