import type { CustomerData, CustomerProfile } from '@parley/contracts';
import { ParleyError } from '@parley/errors';
import type { ApiKey } from './api-keys.js';
import { authorizeCustomerSession, type SessionCheckDeps } from './customer-sessions.js';
import type { FieldValue, HistoryPort, StoredCustomer } from './ports.js';

/** A customer as agents see it (`customerProfile`): every field, with where it comes from. */
export function customerView(profile: StoredCustomer): CustomerProfile {
  return {
    customerKey: profile.customerKey,
    id: profile.id || null,
    name: profile.name || null,
    customFields: Object.fromEntries(
      profile.customFields.map((field) => [
        field.name,
        {
          value: field.value,
          source: field.source,
          // OAuth-managed fields are read-only here: change them at the origin.
          readOnly: field.source === 'oauth',
          ...(field.fetchedAt ? { fetchedAt: field.fetchedAt } : {}),
          updatedAt: field.updatedAt,
        },
      ]),
    ),
  };
}

/**
 * The customer's own data as the brand gave it with their latest message (`customerData`:
 * OAuth-managed fields only, what agents note about a customer is not shown to the customer).
 */
export async function customerOwnData(
  deps: SessionCheckDeps & { readonly history: HistoryPort },
  sessionToken: string,
): Promise<CustomerData> {
  const session = await authorizeCustomerSession(deps, sessionToken, 'requests');
  const view = customerView(
    await deps.history.getCustomer({ tenantId: session.tenantId, customerKey: session.customerKey }),
  );
  const fromBrand = Object.entries(view.customFields).filter(([, field]) => field.source === 'oauth');
  return {
    id: view.id,
    name: view.name,
    customFields: Object.fromEntries(fromBrand.map(([name, field]) => [name, field.value])),
    fetchedAt: fromBrand[0]?.[1].fetchedAt ?? null,
  };
}

/** A customer of the key's tenant, for an agent. */
export async function customerForAgent(
  deps: { readonly history: HistoryPort },
  key: ApiKey,
  customerKey: string,
): Promise<CustomerProfile> {
  return customerView(await deps.history.getCustomer({ tenantId: key.tenantId, customerKey }));
}

/** An agent's edit of a customer's own fields (not the OAuth-managed ones). */
export async function editAgentFields(
  deps: { readonly history: HistoryPort },
  key: ApiKey,
  customerKey: string,
  fields: Readonly<Record<string, FieldValue>>,
): Promise<CustomerProfile> {
  if (Object.keys(fields).length === 0) throw new ParleyError('invalid_argument', 'send at least one field');
  return customerView(
    await deps.history.updateCustomerFields({
      tenantId: key.tenantId,
      customerKey,
      fields,
      agentId: key.keyId,
    }),
  );
}
