import type { CustomerSnapshot, CustomerUpdated, MessageEnriched, MessageReceived } from '@parley/contracts';
import { type CustomerMapping, customerDataOf } from '@parley/customer-mapping';

/** What the drain of received messages needs, as ports. */
export interface EnricherDeps {
  /**
   * The channel's customer-data endpoint and mapping with the customer's current brand access token
   * of that channel (auth's deprecated GetCustomerDataAccess).
   */
  readonly customerDataAccess: (message: {
    tenantId: string;
    customerKey: string;
    channelId: string;
    messageId: string;
  }) => Promise<{ customerDataUrl: string; mapping: CustomerMapping; accessToken: string }>;
  /** GET the customer data with the token (through the guarded brand client, for the tenant). */
  readonly fetchCustomerData: (tenantId: string, url: string, accessToken: string) => Promise<unknown>;
  readonly publishEnriched: (event: MessageEnriched) => Promise<void>;
  readonly now: () => Date;
  readonly maxAttempts?: number;
  readonly backoffMs?: number;
}

/**
 * Deprecated, for one release: enriches the `chat.messages.received.v1` that ingress pods of the
 * previous release still publish during a rolling upgrade. Ingress now publishes messages already
 * enriched, with the customer data auth fetched beside the introspection (docs/architecture.md,
 * "Customer data beside the introspection"); both paths decide the data by `customerDataOf`.
 */
export function createEnricher(deps: EnricherDeps) {
  const { customerDataAccess, fetchCustomerData, publishEnriched, now, maxAttempts, backoffMs } = deps;
  return async function enrich(event: MessageReceived): Promise<MessageEnriched> {
    const { tenantId, customerKey, channelId, messageId } = event;
    const data = await customerDataOf(
      async () => {
        const access = await customerDataAccess({ tenantId, customerKey, channelId, messageId });
        return {
          data: await fetchCustomerData(tenantId, access.customerDataUrl, access.accessToken),
          mapping: access.mapping,
        };
      },
      { now, ...(maxAttempts ? { maxAttempts } : {}), ...(backoffMs !== undefined ? { backoffMs } : {}) },
    );
    const enriched: MessageEnriched = { ...event, ...data };
    await publishEnriched(enriched);
    return enriched;
  };
}

export interface ChangeAnnouncerDeps {
  readonly publishCustomerUpdated: (event: CustomerUpdated) => Promise<void>;
  /** The last snapshot seen per customer, to tell when the brand changed something. */
  readonly lastSeen: {
    get(key: string): CustomerSnapshot | undefined;
    set(key: string, snapshot: CustomerSnapshot): void;
  };
}

function changedFields(before: CustomerSnapshot, after: CustomerSnapshot): string[] {
  const changed: string[] = [];
  if (before.id !== after.id) changed.push('id');
  if (before.name !== after.name) changed.push('name');
  for (const name of new Set([...Object.keys(before.customFields), ...Object.keys(after.customFields)])) {
    if (before.customFields[name] !== after.customFields[name]) changed.push(`customFields.${name}`);
  }
  return changed;
}

/**
 * Reads every enriched message, off the message's path, and announces on
 * chat.customers.updated.v1 what the brand changed since the customer's last message.
 */
export function createChangeAnnouncer(deps: ChangeAnnouncerDeps) {
  const { publishCustomerUpdated, lastSeen } = deps;
  return async function announceChanges(event: MessageEnriched): Promise<string[]> {
    if (!event.customer || event.enrichment.status !== 'ok') return [];
    const key = `${event.tenantId}\u0000${event.customerKey}`;
    const before = lastSeen.get(key);
    const changed = before ? changedFields(before, event.customer) : [];
    if (changed.length > 0) {
      await publishCustomerUpdated({
        tenantId: event.tenantId,
        customerKey: event.customerKey,
        customer: event.customer,
        changedFields: changed,
        fetchedAt: event.enrichment.fetchedAt,
      });
    }
    // Remembered only once announced: a failed publish is retried with the change still pending.
    lastSeen.set(key, event.customer);
    return changed;
  };
}
