import { Counter, type Registry } from 'prom-client';
import type { AuthMetrics } from '../domain/ports.js';

/**
 * Auth's own metrics (docs/operations.md "Auth metrics"): enrichment's per-message token use,
 * counted by outcome instead of audited one by one. No label names a tenant or a customer.
 */
export function createAuthMetrics(registry: Registry): AuthMetrics {
  const customerDataAccess = new Counter({
    name: 'parley_auth_customer_data_access_total',
    help: 'GetCustomerDataAccess calls (enrichment, one per message) by outcome: issued or the error code.',
    labelNames: ['outcome'],
    registers: [registry],
  });
  return {
    customerDataAccess(outcome) {
      customerDataAccess.inc({ outcome });
    },
  };
}
