// The views below are the server's, from their one schema (`@parley/contracts`, the same schemas
// ingress's OpenAPI and AsyncAPI documents are generated from); types only, nothing loads at runtime.
import type * as api from '@parley/contracts';
import { ParleyClientError } from './parley-client-error.js';

/**
 * Who wrote a message: the customer (from any of their devices), a bot or an agent.
 *
 * @example
 * const mine = (message: ThreadMessage) => message.author.kind === 'customer';
 */
export type MessageAuthor = api.MessageAuthor;

/**
 * One stored message of the thread, the same in sync pages and live: `seq` numbers the thread's
 * messages 1, 2, 3… without gaps; `deviceId` is on the customer's own messages; `customerData`
 * tells on customer messages whether the brand's fresh customer data came with it (`unavailable`
 * with a reason such as `timeout` when the brand did not answer; the message is stored either way).
 *
 * @example
 * client.onMessage((message: ThreadMessage) => render(message.seq, message.author.kind, message.text));
 */
export type ThreadMessage = api.ThreadMessage;

/**
 * The signed-in customer as the brand described them at sign-in (`key` is Parley's stable key for
 * this customer, `id` their id at the brand).
 *
 * @example
 * const greeting = (customer: CustomerInfo) => `Hello ${customer.name ?? customer.id}`;
 */
export type CustomerInfo = api.SignedInCustomer;

/**
 * The session of this device: who is signed in, their thread, and when the session ends.
 * The session token itself is kept inside the client and never exposed.
 *
 * @example
 * const info: SessionInfo = await client.authorize(code, codeVerifier);
 * console.log(info.customer.name, info.threadId, info.expiresAt);
 */
export interface SessionInfo {
  readonly customer: CustomerInfo;
  readonly threadId: string;
  readonly expiresAt: string;
}

/**
 * The customer's own data as the brand gave it with their latest message (`GET /v1/thread/customer`):
 * only the fields the brand manages, never what agents noted.
 *
 * @example
 * const data: CustomerData | null = await client.getCustomerData();
 * if (data) tierBadge.textContent = String(data.customFields.tier ?? '');
 */
export type CustomerData = api.CustomerData;

/** A page of the thread after a cursor, as `GET /v1/thread/messages` and the `sync` frame carry it. */
export type SyncPage = api.SyncPage;

/** Frames the server sends on `/v1/stream` (ingress's `/asyncapi.json`). */
export type ServerFrame = api.ServerFrame;

/** Frames the client sends on `/v1/stream`. */
export type ClientFrame = api.ClientFrame;

/** The subprotocol of the stream, and the prefix of the one that carries the session token. */
export const streamProtocol = 'parley.v1';
export const tokenProtocolPrefix = 'parley.token.';

/** Close codes of `/v1/stream`, as ingress sends them (one table, in `@parley/contracts`). */
export { type StreamCloseCode, streamCloseCodes } from '@parley/contracts/stream-close-codes';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(what: string): ParleyClientError {
  return new ParleyClientError('invalid_response', `the server sent ${what} the client cannot read`);
}

/** A message as the server sends it; seq comes from the message or, in live frames, beside it. */
function readMessage(value: unknown, seq: unknown = isRecord(value) ? value.seq : undefined): ThreadMessage {
  if (
    !isRecord(value) ||
    typeof value.messageId !== 'string' ||
    typeof seq !== 'number' ||
    !Number.isInteger(seq) ||
    seq < 1 ||
    !isRecord(value.author) ||
    typeof value.text !== 'string'
  )
    throw invalid('a message');
  return { ...(value as unknown as ThreadMessage), seq };
}

/** A sync page from the HTTP API or a `sync` frame, checked enough to order messages safely. */
export function readSyncPage(value: unknown): SyncPage {
  if (
    !isRecord(value) ||
    typeof value.threadId !== 'string' ||
    !Array.isArray(value.messages) ||
    typeof value.hasMore !== 'boolean'
  )
    throw invalid('a sync page');
  return {
    threadId: value.threadId,
    messages: value.messages.map((message) => readMessage(message)),
    lastSeq: typeof value.lastSeq === 'number' ? value.lastSeq : 0,
    hasMore: value.hasMore,
  };
}

const stringFields: Record<string, readonly string[]> = {
  ready: ['threadId'],
  message: ['threadId'],
  ack: ['clientMessageId', 'messageId', 'threadId'],
  error: ['clientMessageId', 'code'],
  pong: [],
};

/**
 * Reads one server frame. Unknown frame types give `null` (newer servers may add some);
 * malformed frames throw `invalid_response`.
 */
export function readServerFrame(data: unknown): ServerFrame | null {
  let frame: unknown;
  try {
    frame = typeof data === 'string' ? JSON.parse(data) : undefined;
  } catch {
    frame = undefined;
  }
  if (!isRecord(frame) || typeof frame.type !== 'string') throw invalid('a frame');
  if (frame.type === 'sync') return { type: 'sync', ...readSyncPage(frame) };
  const required = stringFields[frame.type];
  if (!required) return null;
  if (required.some((field) => typeof frame[field] !== 'string')) throw invalid(`a ${frame.type} frame`);
  if (frame.type === 'message') {
    const message = readMessage(frame.message, frame.seq);
    return { type: 'message', threadId: frame.threadId as string, seq: message.seq, message };
  }
  return frame as ServerFrame;
}
