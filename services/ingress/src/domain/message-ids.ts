import { createHash } from 'node:crypto';

/**
 * The Parley message id of a customer message: derived from the device's `clientMessageId`, so
 * the same message sent twice (a retry after a lost answer) gets the same id and the same answer,
 * and is stored once downstream (history's unique (threadId, messageId)).
 *
 * @example
 * deriveMessageId({ tenantId: 'acme', threadId: 'th_1', clientMessageId: 'c-17' }); // 'm_…'
 */
export function deriveMessageId(message: {
  tenantId: string;
  threadId: string;
  clientMessageId: string;
}): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([message.tenantId, message.threadId, message.clientMessageId]))
    .digest('base64url');
  return `m_${digest.slice(0, 32)}`;
}
