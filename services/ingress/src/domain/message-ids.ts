import { createHash } from 'node:crypto';

/** Who chose a `clientMessageId`: the customer (any device of the thread) or one bot's API key. */
export type MessageAuthor = { readonly kind: 'customer' } | { readonly kind: 'bot'; readonly keyId: string };

/**
 * The Parley message id of a message: derived from the sender's `clientMessageId`, so the same
 * message sent twice (a retry after a lost answer) gets the same id and the same answer, and is
 * stored once downstream (history's unique (threadId, messageId)).
 *
 * The author is hashed as components of its own, never spliced into the client's string: a
 * customer's id hashes `[tenant, thread, clientMessageId]` (as before bots were set apart, so a
 * customer's retry keeps its id), a bot's `[tenant, thread, 'bot', keyId, clientMessageId]`. The
 * two JSON arrays differ in length, so no `clientMessageId` a customer picks can give a bot reply's
 * id and make history drop that reply as a duplicate (docs/api.md, "Message ids").
 *
 * @example
 * deriveMessageId({ tenantId: 'acme', threadId: 'th_1', author: { kind: 'customer' }, clientMessageId: 'c-17' }); // 'm_…'
 */
export function deriveMessageId(message: {
  tenantId: string;
  threadId: string;
  author: MessageAuthor;
  clientMessageId: string;
}): string {
  const { tenantId, threadId, author, clientMessageId } = message;
  const components =
    author.kind === 'customer'
      ? [tenantId, threadId, clientMessageId]
      : [tenantId, threadId, 'bot', author.keyId, clientMessageId];
  const digest = createHash('sha256').update(JSON.stringify(components)).digest('base64url');
  return `m_${digest.slice(0, 32)}`;
}
