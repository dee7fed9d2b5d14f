const error = {
  description:
    'An error with a stable code (see libs/errors/README.md), also for errors raised before any route runs (README, "Errors"): a request the HTTP parser refuses is 400 invalid_argument, headers over 16 KiB 431 headers_too_large, a request too slow to arrive 408 request_timeout. A refused API key is 401 unauthenticated, api_key_expired or api_key_revoked.',
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
      description:
        'Valid Unicode without NUL (U+0000) and without control characters but tab, newline and CRLF, as every string of a request (README, "Text Parley accepts"); else 400 invalid_argument',
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
        description:
          'A tenant API key `pk_<id>.<secret>` with the needed scope; refused once expired (401 api_key_expired) or revoked (401 api_key_revoked), and past RATE_LIMIT_PER_API_KEY_PER_MINUTE (429 rate_limited).',
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
              description:
                'The `iss` of the authorization response (RFC 9207); required (401 unauthenticated without it) when the brand’s metadata says authorization_response_iss_parameter_supported',
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
          description:
            'Channel settings (README: Pointing a channel at your OAuth server; docs/brands.md). Explicit endpoints must be on the issuer’s origin or be the ones its discovery document names (else 400 invalid_argument naming the endpoint). Moving the issuer, the token, introspection or revocation endpoint or customerDataUrl to another origin needs client.clientSecret in the same request (else 400 invalid_argument naming client.clientSecret; nothing changes).',
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
    '/v1/admin/api-keys': {
      get: {
        summary: 'List the tenant’s API keys (never their secrets), newest first',
        security: apiKeyAuth,
        responses: {
          '200': {
            description: 'The keys, revoked and expired ones included',
            ...json({
              type: 'object',
              required: ['apiKeys'],
              properties: {
                apiKeys: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['keyId', 'name', 'scopes', 'createdAt', 'expiresAt', 'revokedAt'],
                    properties: {
                      keyId: { type: 'string', description: 'The 12 characters after `pk_`' },
                      name: { type: 'string' },
                      scopes: { type: 'array', items: { enum: ['admin', 'bot', 'agent'] } },
                      createdAt: { type: 'string', format: 'date-time' },
                      expiresAt: { type: ['string', 'null'], format: 'date-time' },
                      revokedAt: { type: ['string', 'null'], format: 'date-time' },
                    },
                  },
                },
              },
            }),
          },
          ...errors,
        },
      },
    },
    '/v1/admin/api-keys/{keyId}': {
      delete: {
        summary: 'Revoke one of the tenant’s API keys',
        description:
          'Refused from the next request on, on every pod (401 api_key_revoked); an open bot event stream of the key ends at its next key check. Revoking again answers the first revokedAt. Another tenant’s or an unknown key: 404 not_found.',
        security: apiKeyAuth,
        parameters: [
          {
            name: 'keyId',
            in: 'path',
            required: true,
            schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{12}$' },
          },
        ],
        responses: {
          '200': {
            description: 'Revoked',
            ...json({
              type: 'object',
              required: ['keyId', 'revokedAt'],
              properties: { keyId: { type: 'string' }, revokedAt: { type: 'string', format: 'date-time' } },
            }),
          },
          ...errors,
        },
      },
    },
    '/v1/admin/channels/{channelId}/test': {
      post: {
        summary: 'Self-test a channel against the brand’s servers',
        description:
          'Every check appears, in order: discovery, each endpoint, client credentials (token) and (introspection), clock skew, mapping; a check that cannot be made is not_measured with the reason (docs/brands.md).',
        security: apiKeyAuth,
        parameters: [channelIdParam],
        requestBody: {
          required: false,
          ...json({
            type: 'object',
            additionalProperties: false,
            properties: {
              sampleCustomerData: {
                type: 'object',
                description: 'A customer-data response of the brand, to apply the mapping to',
              },
            },
          }),
        },
        responses: {
          '200': {
            description: 'The checks; ok is false when any check failed',
            ...json({
              type: 'object',
              properties: {
                ok: { type: 'boolean' },
                checks: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      name: { type: 'string' },
                      ok: { type: 'boolean', description: 'false only when the check failed' },
                      status: { type: 'string', enum: ['passed', 'failed', 'not_measured'] },
                      detail: {
                        type: 'string',
                        description: 'what was seen, or why it could not be measured, and the likely cause',
                      },
                    },
                  },
                },
              },
            }),
          },
          ...errors,
        },
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
          properties: {
            threadId: { type: 'string' },
            channelId: {
              type: 'string',
              description:
                'The channel whose client’s token is wanted; needed only when the customer’s sessions on a messaging thread span several channels (400 otherwise)',
            },
            reason: { type: 'string', maxLength: 256 },
          },
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
          'Limits per pod: STREAMS_PER_SESSION (5) streams of one session, STREAMS_PER_CUSTOMER (20) of one customer; frames are handled in order, at most STREAM_MAX_PENDING_FRAMES (32) waiting. Connects and each periodic re-check count against the session’s rate limit like messages. A logout closes the session’s streams on every pod within a second; a re-check that cannot reach auth or the brand closes the stream.',
          'Close codes: 1001 server going away (reconnect and sync), 1008 too many frames waiting (wait for acks), 1009 frame over BODY_LIMIT_BYTES, 4400 bad frame, 4401 reauthentication required (sign in again), 4403 no valid session (logged out: reason session_ended; forged or expired), 4408 no credentials in time, 4409 too many streams of this session or customer on this pod, 4429 the session’s rate limit is used up (reconnect after a minute), 4503 brand or auth unavailable (retry with backoff).',
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
