import type { OutgoingMessage, SentMessage } from './http-api.js';
import { ParleyClientError } from './parley-client-error.js';
import type { ClientFrame, ServerFrame } from './protocol.js';
import { sleep, type Timers } from './scheduling.js';

type Answer = Extract<ServerFrame, { type: 'ack' } | { type: 'error' }>;

interface Awaiting {
  resolve(sent: SentMessage): void;
  reject(error: ParleyClientError): void;
  timer: unknown;
}

/**
 * Sends messages over the live stream when there is one (answered by an `ack` or `error` frame),
 * over HTTP otherwise. A message keeps its clientMessageId through every attempt, so a retry after
 * a lost connection or a timeout is the same message to the server, never a second one.
 */
export function createMessageSending(deps: {
  signedIn: () => boolean;
  sendOverHttp: (message: OutgoingMessage) => Promise<SentMessage>;
  /** Sends a frame on the live stream; false when there is none. */
  sendFrame: (frame: ClientFrame) => boolean;
  newMessageId: () => string;
  /** How many times a retriable failure is tried again. */
  retries: number;
  ackTimeoutMs: number;
  retryDelay: (attempt: number, error: ParleyClientError) => number;
  timers: Timers;
}) {
  const { timers } = deps;
  const awaiting = new Map<string, Awaiting>();

  function overStream(message: OutgoingMessage): Promise<SentMessage> | null {
    let entry: Awaiting | undefined;
    const answered = new Promise<SentMessage>((resolve, reject) => {
      entry = { resolve, reject, timer: undefined };
    });
    if (!entry || !deps.sendFrame({ type: 'send', ...message })) return null;
    const { clientMessageId } = message;
    entry.timer = timers.setTimeout(() => {
      awaiting.delete(clientMessageId);
      entry?.reject(new ParleyClientError('timeout', 'the server did not acknowledge the message in time'));
    }, deps.ackTimeoutMs);
    awaiting.set(clientMessageId, entry);
    return answered;
  }

  function sendOnce(message: OutgoingMessage): Promise<SentMessage> {
    if (!deps.signedIn()) throw new ParleyClientError('not_signed_in', 'sign in before sending messages');
    return overStream(message) ?? deps.sendOverHttp(message);
  }

  return {
    async send(text: string): Promise<SentMessage> {
      const message = { clientMessageId: deps.newMessageId(), text };
      for (let attempt = 0; ; attempt += 1) {
        try {
          return await sendOnce(message);
        } catch (error) {
          const failure = error as ParleyClientError;
          // rate_limited is retriable, but only the caller can decide to wait that long.
          const again = failure.retriable && failure.code !== 'rate_limited' && attempt < deps.retries;
          if (!again) throw failure;
          await sleep(timers, deps.retryDelay(attempt, failure));
        }
      }
    },

    /** Settles the message an `ack` or `error` frame answers; late answers are ignored. */
    answer(frame: Answer): void {
      const entry = awaiting.get(frame.clientMessageId);
      if (!entry) return;
      awaiting.delete(frame.clientMessageId);
      timers.clearTimeout(entry.timer);
      if (frame.type === 'ack') {
        entry.resolve({ messageId: frame.messageId, threadId: frame.threadId });
        return;
      }
      entry.reject(
        new ParleyClientError(frame.code, frame.message ?? 'the server refused the message', {
          ...(frame.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: frame.retryAfterSeconds }),
        }),
      );
    },

    /** The stream is gone: messages waiting for an ack are tried again (over HTTP if still offline). */
    interrupt(): void {
      const lost = [...awaiting.values()];
      awaiting.clear();
      for (const entry of lost) {
        timers.clearTimeout(entry.timer);
        entry.reject(
          new ParleyClientError('connection_lost', 'the stream closed before the message was acknowledged'),
        );
      }
    },
  };
}

export type MessageSending = ReturnType<typeof createMessageSending>;
