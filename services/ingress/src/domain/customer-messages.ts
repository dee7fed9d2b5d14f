import type { EventProducer } from '@parley/bus';
import type { SendMessageRequest } from '@parley/contracts';
import { withMessageId } from '@parley/ops';
import { deriveMessageId } from './message-ids.js';
import type { AuthorizedSession, AuthPort } from './ports.js';
import type { SessionQuota } from './session-quota.js';

export interface SentMessage {
  readonly messageId: string;
  readonly threadId: string;
  /** Who sent it, as auth confirmed for this very message. */
  readonly session: AuthorizedSession;
}

export interface CustomerMessageDeps {
  readonly auth: AuthPort;
  readonly producer: EventProducer;
  readonly sessionQuota: SessionQuota;
}

/**
 * Takes one message from the session's quota, before anything else is looked at: a flood never
 * reaches the brand. Throws `rate_limited` (HTTP answers 429; the stream, an `error` frame).
 */
export function admitCustomerMessage(
  deps: Pick<CustomerMessageDeps, 'sessionQuota'>,
  sessionToken: string,
): void {
  deps.sessionQuota.take(sessionToken, 'messages');
}

/**
 * Sends one customer message, over HTTP or WebSocket alike (admitted first by
 * `admitCustomerMessage`): the brand authorizes it and gives the customer's data (through auth, in
 * one call), then it is published enriched, keyed by thread, in the current trace
 * (docs/architecture.md, "Customer data beside the introspection"). An auth of the previous release
 * gives no data: the message then goes as received, for enrichment. The event carries no token.
 */
export async function sendCustomerMessage(
  deps: CustomerMessageDeps,
  sessionToken: string,
  message: SendMessageRequest,
): Promise<SentMessage> {
  const { customerData, ...session } = await deps.auth.authorizeMessage(sessionToken);
  const messageId = deriveMessageId({
    tenantId: session.tenantId,
    threadId: session.threadId,
    author: { kind: 'customer' },
    clientMessageId: message.clientMessageId,
  });
  // From here on the request's span, and what it starts, belong to the message.
  const received = {
    messageId,
    clientMessageId: message.clientMessageId,
    tenantId: session.tenantId,
    channelId: session.channelId,
    threadId: session.threadId,
    customerKey: session.customerKey,
    deviceId: session.deviceId,
    text: message.text,
    sentAt: new Date().toISOString(),
  };
  // The same message twice is one event id too, so consumers can tell.
  await withMessageId(messageId, () =>
    customerData
      ? deps.producer.publish(
          'chat.messages.enriched.v1',
          { ...received, ...customerData },
          { id: messageId },
        )
      : deps.producer.publish('chat.messages.received.v1', received, { id: messageId }),
  );
  deps.sessionQuota.learn(sessionToken, session.sessionId);
  return { messageId, threadId: session.threadId, session };
}
