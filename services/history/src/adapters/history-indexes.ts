import type { IndexSpec } from '@parley/mongo';

/**
 * The history database (DESIGN.md §4): threads, messages stored once with a per-thread seq,
 * customer snapshots from the brand (insert-only) and agent-owned customer fields.
 * Every index leads with tenantId, so no tenant shares a key or a sequence with another.
 */
export const historyIndexes: readonly IndexSpec[] = [
  {
    collection: 'threads',
    key: { tenantId: 1, threadId: 1 },
    options: { name: 'tenant_thread', unique: true },
  },
  { collection: 'threads', key: { tenantId: 1, customerKey: 1 }, options: { name: 'tenant_customer' } },
  {
    collection: 'messages',
    key: { tenantId: 1, threadId: 1, messageId: 1 },
    options: { name: 'tenant_thread_message', unique: true },
  },
  {
    collection: 'messages',
    key: { tenantId: 1, threadId: 1, seq: 1 },
    options: { name: 'tenant_thread_seq', unique: true },
  },
  {
    collection: 'customer_snapshots',
    key: { tenantId: 1, customerKey: 1, at: -1 },
    options: { name: 'tenant_customer_at', unique: true },
  },
  {
    collection: 'customer_agent_fields',
    key: { tenantId: 1, customerKey: 1, name: 1 },
    options: { name: 'tenant_customer_field', unique: true },
  },
];
