import { Counter, type Registry } from 'prom-client';
import type { AuthMetrics } from '../domain/ports.js';

/**
 * Auth's own metrics (docs/operations.md "Auth metrics"): the per-message customer data and
 * the deprecated GetCustomerDataAccess's token use, counted by outcome instead of audited one by one. No label names a tenant or a customer.
 */
export function createAuthMetrics(registry: Registry): AuthMetrics {
  const customerDataAccess = new Counter({
    name: 'parley_auth_customer_data_access_total',
    help: 'GetCustomerDataAccess calls (deprecated: enrichment, for the previous release’s messages) by outcome: issued or the error code.',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const customerData = new Counter({
    name: 'parley_auth_customer_data_total',
    help: 'Customer data fetched for a message beside its introspection, by outcome: ok or the unavailable reason.',
    labelNames: ['outcome'],
    registers: [registry],
  });
  return {
    customerDataAccess(outcome) {
      customerDataAccess.inc({ outcome });
    },
    customerData(outcome) {
      customerData.inc({ outcome });
    },
  };
}
