import type { Database } from '@parley/postgres';
import type { IntegrationsStores } from '../domain/ports.js';
import { createDeliveryQueueRepository } from './delivery-queue.repository.js';
import { createEventLogRepository } from './event-log.repository.js';
import { createSubscriptionRepository } from './subscription.repository.js';

/** Integrations' PostgreSQL adapters (migrations/0001_initial.sql). */
export function createIntegrationsStores(db: () => Database): IntegrationsStores {
  return {
    events: createEventLogRepository(db),
    subscriptions: createSubscriptionRepository(db),
    deliveries: createDeliveryQueueRepository(db),
  };
}
