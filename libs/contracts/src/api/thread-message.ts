import { z } from 'zod';
import { limits } from '../limits.js';

const id = z.string().min(1).max(limits.idMaxLength);
const timestamp = z.iso.datetime({ offset: true });

/** Who wrote a message: the customer (from any of their devices), a bot or an agent. */
export const messageAuthor = z.object({
  kind: z.enum(['customer', 'bot', 'agent']),
  id,
  name: z.string().max(limits.nameMaxLength).optional(),
});

/** Why the brand's customer data did not come with a message: a fixed vocabulary, never a brand's text. */
export const unavailableReason = z.enum([
  'timeout',
  'unreachable',
  'http_error',
  'invalid_response',
  'circuit_open',
  'token_unavailable',
]);

/**
 * A stored message as history delivers it (the `message` of a `chat.deliveries.v1` event, whose
 * `seq` stands beside it). Clients see it as `threadMessage`, which adds `seq`.
 */
export const storedMessage = z.object({
  messageId: id,
  author: messageAuthor,
  deviceId: id.optional().describe('the sending device, for inbound messages'),
  text: z.string().min(1).max(limits.textMaxLength),
  sentAt: timestamp,
  storedAt: timestamp,
  customerData: z
    .object({ status: z.enum(['ok', 'unavailable']), reason: unavailableReason.optional() })
    .strict()
    .optional()
    .describe('customer messages: whether fresh customer data came with it (and why not)'),
});

/**
 * One stored message of a thread as every client sees it: in a sync page (HTTP and the `sync`
 * frame), in a live `message` frame and in the SDK. `seq` numbers the thread's messages 1, 2, 3…
 *
 * @example
 * threadMessage.parse({ ...delivery.message, seq: delivery.seq });
 */
export const threadMessage = z.object({
  messageId: storedMessage.shape.messageId,
  seq: z.number().int().positive().describe('the message’s number in its thread: 1, 2, 3… without gaps'),
  ...storedMessage.omit({ messageId: true }).shape,
});

/** A page of a thread after a cursor (`GET /v1/thread/messages` and the `sync` frame). */
export const syncPage = z.object({
  threadId: id,
  messages: z.array(threadMessage),
  lastSeq: z
    .number()
    .int()
    .nonnegative()
    .describe(
      'the seq of the page’s last message (the cursor asked for when the page is empty): the next `after`',
    ),
  hasMore: z.boolean().describe('more messages follow the page: ask again with after = the last seq'),
});

export type MessageAuthor = z.infer<typeof messageAuthor>;
export type StoredMessage = z.infer<typeof storedMessage>;
export type ThreadMessage = z.infer<typeof threadMessage>;
export type SyncPage = z.infer<typeof syncPage>;
