import { z } from 'zod';
import { identifiers } from '../identifiers.js';
import { limits } from '../limits.js';

const timestamp = z.iso.datetime({ offset: true });
const nullableTimestamp = timestamp.nullable();

/** The event types a tenant receives, by webhook or on the bot stream (docs/integrations.md). */
export const tenantEventTypes = [
  'message.enriched',
  'message.stored',
  'customer.updated',
  'session.ended',
] as const;
export const tenantEventType = z.enum(tenantEventTypes);

/** An API key's id: the 12 characters after `pk_`. */
export const apiKeyId = z.string().regex(/^[A-Za-z0-9_-]{12}$/, 'the 12 characters after `pk_` of the key');

/** A key as admins see it: never its secret or the secret's hash. */
export const apiKeyView = z.object({
  keyId: apiKeyId,
  name: z.string(),
  scopes: z.array(z.enum(['admin', 'bot', 'agent'])),
  createdAt: timestamp,
  expiresAt: nullableTimestamp,
  revokedAt: nullableTimestamp,
});
export const apiKeyList = z.object({ apiKeys: z.array(apiKeyView) });
export const apiKeyRevoked = z.object({ keyId: apiKeyId, revokedAt: timestamp });

// The shape only: integrations checks the address itself (https, public, the operator's allow-list).
const webhookUrl = z
  .string()
  .max(2048)
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), 'an http(s) URL')
  .describe(
    'Where events are POSTed: https on a public address (hosts on the operator’s allow-list excepted)',
  );
const eventTypes = z
  .array(tenantEventType)
  .min(1)
  .max(tenantEventTypes.length)
  .refine((types) => new Set(types).size === types.length, 'each event type once');
const description = z.string().max(256);
const enabled = z.boolean().describe('false stops deliveries; true resumes a paused subscription');

export const webhookCreateRequest = z
  .object({
    url: webhookUrl,
    eventTypes,
    description: description.default(''),
    enabled: enabled.default(true),
  })
  .strict();
export const webhookUpdateRequest = z
  .object({ url: webhookUrl, eventTypes, description, enabled })
  .partial()
  .strict()
  .refine(
    (body) => Object.keys(body).length > 0,
    'change at least one of url, eventTypes, description, enabled',
  );
export const webhookRotateRequest = z
  .object({
    // The proto's 0 means "the default" (24 h): the smallest overlap one can ask for is a second.
    overlapSeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600)
      .optional()
      .describe('How long the previous secret still signs (default 24 h; 1 for a leaked secret)'),
  })
  .strict();

const deliveryStatus = z.enum(['pending', 'delivered', 'failed']);
/** An opaque cursor of integrations: a page of deliveries, or an event of the bot event stream. */
export const pageCursor = z
  .string()
  .regex(/^[A-Za-z0-9._:~-]{1,200}$/, 'a cursor of a previous page or event');
export const webhookDeliveriesQuery = z
  .object({
    status: deliveryStatus.optional(),
    limit: z.coerce.number().int().min(1).max(limits.listPageMaxSize).default(50),
    before: pageCursor.optional().describe('The nextCursor of the previous page'),
  })
  .strict();

/** A subscription as admins see it (never its secret). */
export const webhookView = z.object({
  id: identifiers.resourceId,
  url: z.string(),
  eventTypes: z.array(tenantEventType),
  description: z.string(),
  enabled: z.boolean(),
  status: z
    .enum(['active', 'paused', 'disabled'])
    .describe('paused: deliveries kept failing (see pausedReason); enable it again to resume'),
  pausedReason: z.string().nullable(),
  pausedAt: nullableTimestamp,
  createdAt: timestamp,
  updatedAt: timestamp,
  secretRotatedAt: nullableTimestamp,
  previousSecretExpiresAt: nullableTimestamp.describe(
    'Until then deliveries are signed with the previous secret too',
  ),
});
export const webhookWithSecret = z.object({
  ...webhookView.shape,
  secret: z.string().describe('The signing secret `whsec_…` (Standard Webhooks); shown only in this answer'),
});
export const webhookList = z.object({ webhooks: z.array(webhookView) });

export const webhookDeliveryView = z.object({
  id: z.string(),
  subscriptionId: z.string(),
  eventId: z.string().describe('The webhook-id header'),
  eventType: tenantEventType,
  threadId: z.string().nullable(),
  status: deliveryStatus,
  attempts: z.number().int().nonnegative(),
  nextAttemptAt: nullableTimestamp,
  lastAttemptAt: nullableTimestamp,
  lastStatusCode: z.number().int().nullable().describe('null when no HTTP answer came'),
  lastError: z.string().nullable(),
  deliveredAt: nullableTimestamp,
  createdAt: timestamp,
});
export const webhookDeliveryPage = z.object({
  deliveries: z.array(webhookDeliveryView),
  nextCursor: z.string().nullable().describe('null on the last page'),
});

/** `GET /v1/bot/events`: where to resume, and which event types (comma-separated). */
export const botEventsQuery = z
  .object({
    after: pageCursor.optional().describe('the id of the last event received (Last-Event-ID wins)'),
    types: z
      .string()
      .max(200)
      .transform((value) => [...new Set(value.split(',').map((type) => type.trim()))])
      .pipe(z.array(tenantEventType))
      .optional()
      .describe('Comma-separated event types to receive (default: all)'),
  })
  .strict();

export type TenantEventType = (typeof tenantEventTypes)[number];
export type ApiKeyView = z.infer<typeof apiKeyView>;
export type ApiKeyList = z.infer<typeof apiKeyList>;
export type ApiKeyRevoked = z.infer<typeof apiKeyRevoked>;
export type WebhookView = z.infer<typeof webhookView>;
export type WebhookWithSecretView = z.infer<typeof webhookWithSecret>;
export type WebhookList = z.infer<typeof webhookList>;
export type WebhookDeliveryView = z.infer<typeof webhookDeliveryView>;
export type WebhookDeliveryPage = z.infer<typeof webhookDeliveryPage>;
