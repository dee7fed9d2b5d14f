import type { EventProducer } from '@parley/bus';
import type { BotTokenResponse, MessageAccepted, SendMessageRequest } from '@parley/contracts';
import type { ApiKey } from './api-keys.js';
import { deriveMessageId } from './message-ids.js';
import type { AuthPort, HistoryPort } from './ports.js';

/**
 * A brand access token for a bot, of the customer of a thread of the key's tenant. Audited by
 * auth: which bot, for which customer, why. The token is of the thread's channel.
 */
export async function issueBotToken(
  deps: { readonly auth: AuthPort; readonly history: HistoryPort },
  key: ApiKey,
  request: { readonly threadId: string; readonly channelId?: string; readonly reason: string },
): Promise<BotTokenResponse> {
  const thread = await deps.history.getThread({ tenantId: key.tenantId, threadId: request.threadId });
  const token = await deps.auth.issueAccessToken({
    tenantId: key.tenantId,
    customerKey: thread.customerKey,
    threadId: request.threadId,
    ...(request.channelId ? { channelId: request.channelId } : {}),
    caller: { kind: 'bot', id: `${key.name} (${key.keyId})`, reason: request.reason },
  });
  return { accessToken: token.accessToken, tokenType: token.tokenType, expiresAt: token.expiresAt };
}

/** A bot's reply in a thread of its tenant, published for delivery (its id derived: retries are one message). */
export async function replyAsBot(
  deps: { readonly history: HistoryPort; readonly producer: EventProducer },
  key: ApiKey,
  threadId: string,
  message: SendMessageRequest,
): Promise<MessageAccepted> {
  const thread = await deps.history.getThread({ tenantId: key.tenantId, threadId });
  const messageId = deriveMessageId({
    tenantId: key.tenantId,
    threadId,
    author: { kind: 'bot', keyId: key.keyId },
    clientMessageId: message.clientMessageId,
  });
  await deps.producer.publish(
    'chat.messages.outbound.v1',
    {
      messageId,
      tenantId: key.tenantId,
      threadId,
      customerKey: thread.customerKey,
      author: { kind: 'bot', id: key.keyId, name: key.name },
      text: message.text,
      sentAt: new Date().toISOString(),
    },
    { id: messageId },
  );
  return { messageId, threadId };
}
