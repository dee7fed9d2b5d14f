import { z } from 'zod';
import { identifiers } from '../identifiers.js';
import { limits } from '../limits.js';
import type { streamCloseCodes } from '../stream-close-codes.js';
import { sendMessageRequest } from './customer-api.js';
import { type StoredMessage, syncPage, type ThreadMessage, threadMessage } from './thread-message.js';

const id = z.string().min(1).max(limits.idMaxLength);

/** Frames a device sends on `/v1/stream`. */
export const clientFrame = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('auth'),
      token: z.string().min(1).max(4096),
      after: z.number().int().min(0).optional().describe('the last seq the device has seen'),
    })
    .strict()
    .describe('the session token, when the subprotocol did not carry it; the first frame'),
  z
    .object({ type: z.literal('send') })
    .extend(sendMessageRequest.shape)
    .strict()
    .describe('a message, authorized by the brand like POST /v1/messages; answered by ack or error'),
  z
    .object({ type: z.literal('ping') })
    .strict()
    .describe('answered by pong'),
]);

export const readyFrame = z
  .object({ type: z.literal('ready'), threadId: id, sessionId: id })
  .describe('the stream is authorized; a sync frame follows');
export const syncFrame = z
  .object({ type: z.literal('sync'), ...syncPage.shape })
  .describe('what was stored after the cursor of the connect (at most 200 messages)');
export const messageFrame = z
  .object({
    type: z.literal('message'),
    threadId: id,
    seq: threadMessage.shape.seq.describe('the same as message.seq (kept for clients that read it here)'),
    message: threadMessage,
  })
  .describe('a message stored in the thread, live; the same message as sync pages carry');
export const ackFrame = z
  .object({
    type: z.literal('ack'),
    clientMessageId: identifiers.clientMessageId,
    messageId: id,
    threadId: id,
  })
  .describe('a send frame was accepted');
export const errorFrame = z
  .object({
    type: z.literal('error'),
    clientMessageId: identifiers.clientMessageId,
    code: z.string().describe('a code of the error registry (libs/errors/README.md)'),
    message: z.string().optional(),
    retryAfterSeconds: z.number().int().nonnegative().optional().describe('with rate_limited'),
  })
  .describe('a send frame was refused (nothing was published)');
export const pongFrame = z.object({ type: z.literal('pong') }).describe('the answer to ping');

/** Frames ingress sends on `/v1/stream`. */
export const serverFrame = z.discriminatedUnion('type', [
  readyFrame,
  syncFrame,
  messageFrame,
  ackFrame,
  errorFrame,
  pongFrame,
]);

/**
 * The live frame of a delivered message: the message as sync pages carry it.
 *
 * @example
 * connections.broadcast(delivery.tenantId, delivery.customerKey, liveMessageFrame(delivery));
 */
export function liveMessageFrame(delivery: {
  readonly threadId: string;
  readonly seq: number;
  readonly message: StoredMessage;
}): MessageFrame {
  const { messageId, ...rest } = delivery.message;
  const message: ThreadMessage = { messageId, seq: delivery.seq, ...rest };
  return { type: 'message', threadId: delivery.threadId, seq: delivery.seq, message };
}

/** What a client does on each close code of `/v1/stream` (the README lists the same). */
export const streamCloseCodeMeanings: Record<keyof typeof streamCloseCodes, string> = {
  goingAway: 'server going away (reconnect and sync)',
  tooManyPendingFrames: 'too many frames waiting (wait for acks)',
  frameTooLarge: 'frame over BODY_LIMIT_BYTES',
  badFrame: 'bad frame',
  reauthenticationRequired: 'reauthentication required (sign in again)',
  unauthenticated: 'no valid session (logged out: reason session_ended; forged or expired)',
  authTimeout: 'no credentials in time',
  tooManyStreams: 'too many streams of this session or customer on this pod',
  rateLimited: 'the session’s rate limit is used up (reconnect after a minute)',
  unavailable: 'brand or auth unavailable (retry with backoff)',
};

export type ClientFrame = z.infer<typeof clientFrame>;
export type ServerFrame = z.infer<typeof serverFrame>;
export type MessageFrame = z.infer<typeof messageFrame>;
