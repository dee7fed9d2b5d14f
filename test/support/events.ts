import type { MessageEnriched } from '@parley/contracts';

/**
 * The n-th enriched message of a thread of tenant `acme`, as enrichment publishes it (customer
 * `ck-<threadId>`, brand data fetched just now).
 */
export function enrichedMessage(
  threadId: string,
  n: number,
  customFields: Record<string, string | number | null> = { tier: 'gold' },
): MessageEnriched {
  return {
    messageId: `${threadId}-m${n}`,
    clientMessageId: `c${n}`,
    tenantId: 'acme',
    channelId: 'web',
    threadId,
    customerKey: `ck-${threadId}`,
    deviceId: 'laptop',
    text: `message ${n}`,
    sentAt: new Date().toISOString(),
    customer: { id: `cust-${threadId}`, name: 'Ada', customFields },
    enrichment: { status: 'ok', fetchedAt: new Date().toISOString(), latencyMs: 12 },
  };
}
