import type { EventProducer } from '@parley/bus';
import { limits } from '@parley/contracts';
import type { AuthServiceDefinition, ServiceClient } from '@parley/grpc';
import { z } from 'zod';
import { deriveMessageId } from '../domain/message-ids.js';

export const outgoingMessage = z
  .object({
    clientMessageId: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'letters, digits, dot, dash, colon, underscore; at most 128'),
    text: z
      .string()
      .min(1, 'text must not be empty')
      .max(limits.textMaxLength, `text must be at most ${limits.textMaxLength} characters`),
  })
  .strict();

export type OutgoingMessage = z.output<typeof outgoingMessage>;

export interface SentMessage {
  readonly messageId: string;
  readonly threadId: string;
  /** Who sent it, as auth confirmed for this very message. */
  readonly session: {
    readonly tenantId: string;
    readonly channelId: string;
    readonly customerKey: string;
    readonly deviceId: string;
    readonly threadId: string;
    readonly sessionId: string;
  };
}

export type MessageSender = (
  sessionToken: string,
  message: OutgoingMessage,
  traceparent?: string,
) => Promise<SentMessage>;

/**
 * Sends one customer message, over HTTP or WebSocket alike: the brand authorizes it (through
 * auth), then it is published keyed by thread. The event carries no token.
 */
export function createMessageSender(deps: {
  auth: ServiceClient<AuthServiceDefinition>;
  producer: EventProducer;
}): MessageSender {
  const { auth, producer } = deps;
  return async function sendMessage(sessionToken, message, traceparent) {
    const session = await auth.call.AuthorizeMessage({ sessionToken });
    const messageId = deriveMessageId({
      tenantId: session.tenantId,
      threadId: session.threadId,
      author: { kind: 'customer' },
      clientMessageId: message.clientMessageId,
    });
    await producer.publish(
      'chat.messages.received.v1',
      {
        messageId,
        clientMessageId: message.clientMessageId,
        tenantId: session.tenantId,
        channelId: session.channelId,
        threadId: session.threadId,
        customerKey: session.customerKey,
        deviceId: session.deviceId,
        text: message.text,
        sentAt: new Date().toISOString(),
      },
      // The same message twice is one event id too, so consumers can tell.
      { id: messageId, ...(traceparent ? { traceparent } : {}) },
    );
    return { messageId, threadId: session.threadId, session };
  };
}
