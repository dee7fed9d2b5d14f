const error = {
  description: 'An error with a stable code (see libs/errors/README.md).',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: { code: { type: 'string' }, message: { type: 'string' } },
          },
        },
      },
    },
  },
};
const errors = {
  '400': error,
  '401': error,
  '403': error,
  '404': error,
  '409': error,
  '413': error,
  '429': error,
  '503': error,
};
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const sessionAuth = [{ session: [] }];
/** A message sent by a device or a bot: the same clientMessageId twice is one message. */
const messageBody = {
  type: 'object',
  required: ['clientMessageId', 'text'],
  additionalProperties: false,
  properties: {
    clientMessageId: { type: 'string', maxLength: 128 },
    text: {
      type: 'string',
      minLength: 1,
      maxLength: 4000,
      description: 'Valid Unicode without NUL characters (U+0000), as every string Parley stores',
    },
  },
};
const apiKeyAuth = [{ apiKey: [] }];
const channelIdParam = {
  name: 'channelId',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' },
};

const eventTypeSchema = {
  enum: ['message.enriched', 'message.stored', 'customer.updated', 'session.ended'],
};
const webhookIdParam = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
};
const webhookProperties = {
  url: {
    type: 'string',
    maxLength: 2048,
    description:
      'Where events are POSTed: https on a public address (hosts on the operator’s allow-list excepted)',
  },
  eventTypes: { type: 'array', items: eventTypeSchema, minItems: 1, uniqueItems: true },
  description: { type: 'string', maxLength: 256 },
  enabled: { type: 'boolean', description: 'false stops deliveries; true resumes a paused subscription' },
};
const webhook = {
  type: 'object',
  required: ['id', 'url', 'eventTypes', 'description', 'enabled', 'status', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    ...webhookProperties,
    status: {
      enum: ['active', 'paused', 'disabled'],
      description: 'paused: deliveries kept failing (see pausedReason); enable it again to resume',
    },
    pausedReason: { type: ['string', 'null'] },
    pausedAt: { type: ['string', 'null'], format: 'date-time' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    secretRotatedAt: { type: ['string', 'null'], format: 'date-time' },
    previousSecretExpiresAt: {
      type: ['string', 'null'],
      format: 'date-time',
      description: 'Until then deliveries are signed with the previous secret too',
    },
  },
};
const withSecret = {
  allOf: [
    webhook,
    {
      type: 'object',
      required: ['secret'],
      properties: {
        secret: {
          type: 'string',
          description: 'The signing secret `whsec_…` (Standard Webhooks); shown only in this answer',
        },
      },
    },
  ],
};
const delivery = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    subscriptionId: { type: 'string' },
    eventId: { type: 'string', description: 'The webhook-id header' },
    eventType: eventTypeSchema,
    threadId: { type: ['string', 'null'] },
    status: { enum: ['pending', 'delivered', 'failed'] },
    attempts: { type: 'integer' },
    nextAttemptAt: { type: ['string', 'null'], format: 'date-time' },
    lastAttemptAt: { type: ['string', 'null'], format: 'date-time' },
    lastStatusCode: { type: ['integer', 'null'], description: 'null when no HTTP answer came' },
    lastError: { type: ['string', 'null'] },
    deliveredAt: { type: ['string', 'null'], format: 'date-time' },
    createdAt: { type: 'string', format: 'date-time' },
  },
};

/** The OpenAPI document of ingress; a test keeps it and the registered routes in sync. */
export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Parley ingress',
    version: '1',
    description: 'Chat authenticated by the brand’s own OAuth server: chat frontends, bots and brand admins.',
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
        description: 'A tenant API key `pk_<id>.<secret>` with the needed scope.',
      },
    },
  },
  paths: {
    '/v1/channels/{channelId}/sessions': {
      post: {
        summary: 'Exchange the brand’s authorization code for a Parley session on this device',
        parameters: [
          channelIdParam,
          { name: 'Parley-Tenant', in: 'header', required: true, schema: { type: 'string' } },
        ],
        requestBody: json({
          type: 'object',
          required: ['code', 'redirectUri', 'device'],
          additionalProperties: false,
          properties: {
            code: { type: 'string' },
            redirectUri: { type: 'string' },
            codeVerifier: {
              type: 'string',
              description: 'PKCE verifier (RFC 7636); required unless the channel allows otherwise',
            },
            iss: {
              type: 'string',
              description: 'The `iss` of the authorization response (RFC 9207), when sent',
            },
            device: {
              type: 'object',
              required: ['id', 'platform'],
              properties: { id: { type: 'string' }, platform: { enum: ['web', 'ios', 'android'] } },
            },
          },
        }),
        responses: { '201': { description: 'Signed in', ...json({ type: 'object' }) }, ...errors },
      },
    },
    '/v1/messages': {
      post: {
        summary: 'Send a message; the brand authorizes every message',
        security: sessionAuth,
        requestBody: json(messageBody),
        responses: {
          '202': {
            description: 'Accepted; the same clientMessageId twice gives the same answer',
            ...json({ type: 'object' }),
          },
          ...errors,
        },
      },
    },
    '/v1/session': {
      delete: {
        summary: 'Log out this device, or all devices',
        security: sessionAuth,
        parameters: [
          { name: 'allDevices', in: 'query', required: false, schema: { enum: ['true', 'false'] } },
        ],
        responses: { '200': { description: 'Logged out', ...json({ type: 'object' }) }, ...errors },
      },
    },
    '/v1/admin/channels/{channelId}': {
      put: {
        summary: 'Store a channel’s authentication settings',
        security: apiKeyAuth,
        parameters: [channelIdParam],
        requestBody: json({
          type: 'object',
          description: 'Channel settings (README: Pointing a channel at your OAuth server)',
        }),
        responses: { '200': { description: 'Stored', ...json({ type: 'object' }) }, ...errors },
      },
      get: {
        summary: 'Read a channel’s authentication settings (never the client secret)',
        security: apiKeyAuth,
        parameters: [channelIdParam],
        responses: { '200': { description: 'The settings', ...json({ type: 'object' }) }, ...errors },
      },
    },
    '/v1/admin/channels/{channelId}/test': {
      post: {
        summary: 'Self-test a channel against the brand’s servers',
        security: apiKeyAuth,
        parameters: [channelIdParam],
        responses: { '200': { description: 'The checks', ...json({ type: 'object' }) }, ...errors },
      },
    },
    '/v1/admin/webhooks': {
      post: {
        summary: 'Subscribe an endpoint to the tenant’s events (signed per Standard Webhooks)',
        security: apiKeyAuth,
        requestBody: json({
          type: 'object',
          required: ['url', 'eventTypes'],
          additionalProperties: false,
          properties: webhookProperties,
        }),
        responses: {
          '201': { description: 'Created; the signing secret is in this answer only', ...json(withSecret) },
          ...errors,
        },
      },
      get: {
        summary: 'The tenant’s webhook subscriptions',
        security: apiKeyAuth,
        responses: {
          '200': {
            description: '{webhooks[]}',
            ...json({ type: 'object', properties: { webhooks: { type: 'array', items: webhook } } }),
          },
          ...errors,
        },
      },
    },
    '/v1/admin/webhooks/{id}': {
      get: {
        summary: 'One webhook subscription (never its secret)',
        security: apiKeyAuth,
        parameters: [webhookIdParam],
        responses: { '200': { description: 'The subscription', ...json(webhook) }, ...errors },
      },
      patch: {
        summary: 'Change a subscription’s URL, event types, description or enabled flag',
        security: apiKeyAuth,
        parameters: [webhookIdParam],
        requestBody: json({
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: webhookProperties,
        }),
        responses: { '200': { description: 'The subscription', ...json(webhook) }, ...errors },
      },
      delete: {
        summary: 'Delete a subscription (its pending deliveries are not sent)',
        security: apiKeyAuth,
        parameters: [webhookIdParam],
        responses: { '204': { description: 'Deleted' }, ...errors },
      },
    },
    '/v1/admin/webhooks/{id}/rotate-secret': {
      post: {
        summary: 'A new signing secret; the previous one keeps signing beside it for the overlap',
        security: apiKeyAuth,
        parameters: [webhookIdParam],
        requestBody: {
          required: false,
          ...json({
            type: 'object',
            additionalProperties: false,
            properties: {
              overlapSeconds: {
                type: 'integer',
                minimum: 1,
                maximum: 604800,
                description: 'How long the previous secret still signs (default 24 h; 1 for a leaked secret)',
              },
            },
          }),
        },
        responses: {
          '200': { description: 'The new secret, shown in this answer only', ...json(withSecret) },
          ...errors,
        },
      },
    },
    '/v1/admin/webhooks/{id}/deliveries': {
      get: {
        summary: 'The subscription’s delivery log, newest first',
        security: apiKeyAuth,
        parameters: [
          webhookIdParam,
          {
            name: 'status',
            in: 'query',
            required: false,
            schema: { enum: ['pending', 'delivered', 'failed'] },
          },
          {
            name: 'limit',
            in: 'query',
            required: false,
            schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
          },
          {
            name: 'before',
            in: 'query',
            required: false,
            description: 'The nextCursor of the previous page',
            schema: { type: 'string' },
          },
        ],
        responses: {
          '200': {
            description: '{deliveries[], nextCursor} (nextCursor null on the last page)',
            ...json({
              type: 'object',
              properties: {
                deliveries: { type: 'array', items: delivery },
                nextCursor: { type: ['string', 'null'] },
              },
            }),
          },
          ...errors,
        },
      },
    },
    '/v1/admin/webhooks/{id}/deliveries/{deliveryId}/redeliver': {
      post: {
        summary: 'Send a logged delivery again (same webhook-id, a new series of attempts)',
        security: apiKeyAuth,
        parameters: [
          webhookIdParam,
          { name: 'deliveryId', in: 'path', required: true, schema: { type: 'string' } },
        ],
        responses: { '202': { description: 'Queued', ...json(delivery) }, ...errors },
      },
    },
    '/v1/bot/events': {
      get: {
        summary: 'Server-Sent Events: the tenant’s events for a bot (bot-scoped API key), resumable',
        description: [
          'A `text/event-stream` of the key’s tenant only. Each event: `id: <cursor>`, `event: <type>` (message.enriched, message.stored, customer.updated, session.ended), `data: <the event JSON, as webhooks get it>`; `: heartbeat` comments every 15 s.',
          'Resume with the `Last-Event-ID` header (EventSource sends it on reconnect; it wins over `?after=`) or `?after=<cursor>`; without either the stream starts at the oldest retained event. Every event once, in order, within the retention window.',
          'Before the stream starts, failures are JSON errors: 401/403 (key, scope), 429 `rate_limited` (too many open streams for the key or tenant), 410 `cursor_expired` (the cursor is older than the log keeps: events may be missing; reconnect without one). After it started, a failure is one `event: error` with `data: {code, message}`, then the stream ends: reconnect with the last id.',
        ].join(' '),
        security: apiKeyAuth,
        parameters: [
          {
            name: 'Last-Event-ID',
            in: 'header',
            required: false,
            description: 'The id of the last event received',
            schema: { type: 'string' },
          },
          { name: 'after', in: 'query', required: false, schema: { type: 'string' } },
          {
            name: 'types',
            in: 'query',
            required: false,
            description: 'Comma-separated event types to receive (default: all)',
            schema: { type: 'string' },
          },
        ],
        responses: {
          '200': {
            description: 'The event stream',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          '410': error,
          ...errors,
        },
      },
    },
    '/v1/thread/messages': {
      get: {
        summary: 'Sync: the customer’s thread after a cursor (the brand authorizes again; nothing is cached)',
        security: sessionAuth,
        parameters: [
          {
            name: 'after',
            in: 'query',
            required: false,
            schema: { type: 'integer', minimum: 0, default: 0 },
          },
          {
            name: 'limit',
            in: 'query',
            required: false,
            schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
          },
        ],
        responses: {
          '200': { description: '{threadId, messages[], lastSeq, hasMore}', ...json({ type: 'object' }) },
          ...errors,
        },
      },
    },
    '/v1/thread/customer': {
      get: {
        summary:
          'The customer’s own data as the brand gave it with their latest message (OAuth-managed fields only; 404 before the first message)',
        security: sessionAuth,
        responses: {
          '200': { description: '{id, name, customFields, fetchedAt}', ...json({ type: 'object' }) },
          ...errors,
        },
      },
    },
    '/v1/bot/token': {
      post: {
        summary: 'A bot gets the customer’s current brand access token for a thread (audited)',
        security: apiKeyAuth,
        requestBody: json({
          type: 'object',
          required: ['threadId', 'reason'],
          additionalProperties: false,
          properties: { threadId: { type: 'string' }, reason: { type: 'string', maxLength: 256 } },
        }),
        responses: {
          '200': { description: '{accessToken, tokenType, expiresAt}', ...json({ type: 'object' }) },
          ...errors,
        },
      },
    },
    '/v1/threads/{threadId}/messages': {
      post: {
        summary: 'A bot replies in a thread',
        security: apiKeyAuth,
        parameters: [{ name: 'threadId', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: json(messageBody),
        responses: {
          '202': { description: '{messageId, threadId}', ...json({ type: 'object' }) },
          ...errors,
        },
      },
    },
    '/v1/customers/{customerKey}': {
      get: {
        summary: 'An agent reads a customer profile; OAuth-managed fields are marked readOnly',
        security: apiKeyAuth,
        parameters: [{ name: 'customerKey', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'The profile', ...json({ type: 'object' }) }, ...errors },
      },
    },
    '/v1/customers/{customerKey}/fields': {
      patch: {
        summary: 'An agent sets its own fields; OAuth-managed ones answer 409 field_managed_by_origin',
        security: apiKeyAuth,
        parameters: [{ name: 'customerKey', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: json({
          type: 'object',
          additionalProperties: { type: ['string', 'number', 'boolean', 'null'] },
        }),
        responses: { '200': { description: 'The profile', ...json({ type: 'object' }) }, ...errors },
      },
    },
    '/v1/stream': {
      get: {
        summary: 'WebSocket: a device’s live connection',
        description: [
          'Upgrade with subprotocols `parley.v1` and `parley.token.<session token>`, or send `{"type":"auth","token":…}` first (never put the token in the URL).',
          'Connect with `?after=<last seq seen>` (or `after` in the auth frame) to get what was missed.',
          'Server frames: `ready {threadId, sessionId}`, `sync {threadId, messages, lastSeq, hasMore}`, `message {threadId, seq, message}`, `ack {clientMessageId, messageId, threadId}`, `error {clientMessageId, code, message}`, `pong`.',
          'Client frames: `send {clientMessageId, text}` (authorized by the brand like POST /v1/messages; one it refuses, e.g. text with a NUL character, is answered by `error` with `invalid_argument`), `ping`.',
          'Close codes: 1001 server going away (reconnect and sync), 4400 bad frame, 4401 reauthentication required (sign in again), 4403 no valid session, 4408 no credentials in time, 4503 brand or auth unavailable (retry with backoff).',
        ].join(' '),
        responses: { '101': { description: 'Switching to the WebSocket protocol' }, ...errors },
      },
    },
    '/openapi.json': {
      get: {
        summary: 'This document',
        responses: { '200': { description: 'OpenAPI 3.1', ...json({ type: 'object' }) } },
      },
    },
  },
} as const;
