import { z } from 'zod';
import { messageAuthor, storedMessage, unavailableReason } from './api/thread-message.js';
import { customFieldName } from './custom-fields.js';
import { limits } from './limits.js';

const id = z.string().min(1).max(limits.idMaxLength);
const timestamp = z.iso.datetime({ offset: true });

const jwtShape = /^eyJ[\w-]+\.[\w-]+\.[\w-]*$/;

export const customFieldValue = z.union([
  z
    .string()
    .max(limits.customFieldValueMaxLength)
    .refine((value) => !jwtShape.test(value), 'looks like a token (JWT); tokens never go into events'),
  z.number(),
  z.boolean(),
  z.null(),
]);

/** The customer as the brand's customer-data endpoint described them at `fetchedAt`. */
export const customerSnapshot = z.object({
  id: id.describe('customer id at the brand, from the channel mapping'),
  name: z.string().max(limits.nameMaxLength).nullable(),
  customFields: z
    .record(customFieldName, customFieldValue)
    .refine((fields) => Object.keys(fields).length <= limits.customFieldCount, {
      message: `at most ${limits.customFieldCount} custom fields`,
    }),
});

const inboundBase = {
  messageId: id.describe('Parley message id; unique per thread, the idempotency key downstream'),
  clientMessageId: id.describe('id chosen by the sending device; the same one twice is one message'),
  tenantId: id,
  channelId: id,
  threadId: id,
  customerKey: id.describe('URL-safe hash of (tenantId, issuer, subject)'),
  deviceId: id,
  text: z.string().min(1).max(limits.textMaxLength),
  sentAt: timestamp,
};

export const messageReceived = z.object(inboundBase).strict();

export const enrichmentResult = z.discriminatedUnion('status', [
  z.object({ status: z.literal('ok'), fetchedAt: timestamp, latencyMs: z.number().nonnegative() }),
  z.object({
    status: z.literal('unavailable'),
    // A fixed vocabulary, not free text: a brand's error body must not ride along into events.
    reason: unavailableReason,
    httpStatus: z.number().int().min(100).max(599).optional(),
    latencyMs: z.number().nonnegative(),
  }),
]);

export const messageEnriched = z
  .object({ ...inboundBase, customer: customerSnapshot.nullable(), enrichment: enrichmentResult })
  .strict();

export const messageOutbound = z
  .object({
    messageId: id,
    tenantId: id,
    threadId: id,
    customerKey: id,
    author: messageAuthor.refine(
      (author) => author.kind !== 'customer',
      'outbound authors are bots or agents',
    ),
    text: z.string().min(1).max(limits.textMaxLength),
    sentAt: timestamp,
  })
  .strict();

export const delivery = z
  .object({
    tenantId: id,
    customerKey: id,
    threadId: id,
    seq: z.number().int().positive(),
    // The message as clients see it, but for its seq, which stands beside it (api/thread-message.ts).
    message: storedMessage,
  })
  .strict();

export const customerUpdated = z
  .object({
    tenantId: id,
    customerKey: id,
    customer: customerSnapshot,
    changedFields: z.array(z.string()).min(1),
    fetchedAt: timestamp,
  })
  .strict();

/** Why a customer's Parley session ended (`customer_logout`: the customer signed out). */
export const sessionEndedReason = z.enum(['customer_logout']);

export const sessionEnded = z
  .object({
    sessionEventId: id.describe('unique per logout; the idempotency key downstream'),
    tenantId: id,
    customerKey: id,
    threadId: id,
    deviceId: id.describe('the device that asked for the logout'),
    sessionId: id
      .optional()
      .describe('the session the logout named (absent from events of older ingress pods)'),
    allDevices: z.boolean().describe('every device of the customer was signed out, not only this one'),
    sessionsEnded: z.number().int().nonnegative(),
    reason: sessionEndedReason,
    endedAt: timestamp,
  })
  .strict();

export type MessageReceived = z.infer<typeof messageReceived>;
export type MessageEnriched = z.infer<typeof messageEnriched>;
export type MessageOutbound = z.infer<typeof messageOutbound>;
export type Delivery = z.infer<typeof delivery>;
export type CustomerUpdated = z.infer<typeof customerUpdated>;
export type CustomerSnapshot = z.infer<typeof customerSnapshot>;
export type SessionEnded = z.infer<typeof sessionEnded>;
