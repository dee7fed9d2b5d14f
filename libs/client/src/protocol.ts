import { ParleyClientError } from './parley-client-error.js';

/**
 * Who wrote a message: the customer (from any of their devices), a bot or an agent.
 *
 * @example
 * const mine = (message: ThreadMessage) => message.author.kind === 'customer';
 */
export interface MessageAuthor {
  readonly kind: 'customer' | 'bot' | 'agent';
  readonly id: string;
  readonly name?: string;
}

/**
 * One stored message of the thread. `seq` numbers the thread's messages 1, 2, 3… without gaps.
 *
 * @example
 * client.onMessage((message: ThreadMessage) => render(message.seq, message.author.kind, message.text));
 */
export interface ThreadMessage {
  readonly messageId: string;
  readonly seq: number;
  readonly author: MessageAuthor;
  /** The sending device, on the customer's own messages. */
  readonly deviceId?: string;
  readonly text: string;
  /** ISO 8601 timestamps. */
  readonly sentAt: string;
  readonly storedAt: string;
  /**
   * Customer messages: whether the brand's fresh customer data came with it (`unavailable` with a
   * reason such as `timeout` when the brand did not answer; the message is stored either way).
   */
  readonly customerData?: { readonly status: 'ok' | 'unavailable'; readonly reason?: string };
}

/**
 * The signed-in customer as the brand described them at sign-in.
 *
 * @example
 * const greeting = (customer: CustomerInfo) => `Hello ${customer.name ?? customer.id}`;
 */
export interface CustomerInfo {
  /** Parley's stable key for this customer. */
  readonly key: string;
  /** The customer's id at the brand. */
  readonly id: string;
  readonly name: string | null;
  readonly customFields: Readonly<Record<string, string | number | boolean | null>>;
}

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
export interface CustomerData {
  readonly id: string | null;
  readonly name: string | null;
  readonly customFields: Readonly<Record<string, string | number | boolean | null>>;
  /** When the brand gave them (ISO 8601), or null. */
  readonly fetchedAt: string | null;
}

/** A page of the thread after a cursor, as `GET /v1/thread/messages` and the `sync` frame carry it. */
export interface SyncPage {
  readonly threadId: string;
  readonly messages: readonly ThreadMessage[];
  readonly lastSeq: number;
  readonly hasMore: boolean;
}

/** Frames the server sends on `/v1/stream` (ingress `openapi.ts`). */
export type ServerFrame =
  | { readonly type: 'ready'; readonly threadId: string; readonly sessionId: string }
  | ({ readonly type: 'sync' } & SyncPage)
  | { readonly type: 'message'; readonly threadId: string; readonly message: ThreadMessage }
  | {
      readonly type: 'ack';
      readonly clientMessageId: string;
      readonly messageId: string;
      readonly threadId: string;
    }
  | {
      readonly type: 'error';
      readonly clientMessageId: string;
      readonly code: string;
      readonly message?: string;
      readonly retryAfterSeconds?: number;
    }
  | { readonly type: 'pong' };

/** Frames the client sends on `/v1/stream`. */
export type ClientFrame =
  | { readonly type: 'send'; readonly clientMessageId: string; readonly text: string }
  | { readonly type: 'ping' };

/** The subprotocol of the stream, and the prefix of the one that carries the session token. */
export const streamProtocol = 'parley.v1';
export const tokenProtocolPrefix = 'parley.token.';

/**
 * Close codes of `/v1/stream`, as ingress sends them.
 *
 * @example
 * if (error.closeCode === streamCloseCodes.unavailable) showBanner('chat is reconnecting…');
 */
export const streamCloseCodes = {
  goingAway: 1001, // the server pod is shutting down: reconnect and sync
  badFrame: 4400, // the client sent a frame the server does not understand (a bug)
  reauthenticationRequired: 4401, // the brand refused the grant: sign in again
  unauthenticated: 4403, // no valid session (ended, forged or expired)
  authTimeout: 4408, // no credentials in time after connecting
  unavailable: 4503, // the brand or auth did not answer: retry with backoff
} as const;

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
    return {
      type: 'message',
      threadId: frame.threadId as string,
      message: readMessage(frame.message, frame.seq),
    };
  }
  return frame as ServerFrame;
}
