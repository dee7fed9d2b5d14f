import type { IndexSpec } from '@parley/mongo';

/**
 * The auth database (DESIGN.md §4): channels, credentials, sessions (expiring), audit, and the
 * per-customer refresh locks (expiring; the unique index is what makes acquiring one atomic).
 */
export const authIndexes: readonly IndexSpec[] = [
  {
    collection: 'channels',
    key: { tenantId: 1, channelId: 1 },
    options: { name: 'tenant_channel', unique: true },
  },
  {
    collection: 'credentials',
    key: { tenantId: 1, customerKey: 1, channelId: 1 },
    options: { name: 'tenant_customer_channel', unique: true },
  },
  { collection: 'sessions', key: { sessionId: 1 }, options: { name: 'session', unique: true } },
  {
    collection: 'sessions',
    key: { tenantId: 1, customerKey: 1, deviceId: 1 },
    options: { name: 'tenant_customer_device' },
  },
  { collection: 'sessions', key: { expiresAt: 1 }, options: { name: 'sessions_ttl', expireAfterSeconds: 0 } },
  { collection: 'audit', key: { tenantId: 1, at: -1 }, options: { name: 'tenant_at' } },
  {
    collection: 'refresh_locks',
    key: { tenantId: 1, customerKey: 1 },
    options: { name: 'tenant_customer', unique: true },
  },
  {
    collection: 'refresh_locks',
    key: { expiresAt: 1 },
    options: { name: 'refresh_locks_ttl', expireAfterSeconds: 0 },
  },
];
