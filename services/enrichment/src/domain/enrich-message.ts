import { setTimeout as sleep } from 'node:timers/promises';
import {
  type CustomerSnapshot,
  type CustomerUpdated,
  customerSnapshot,
  type MessageEnriched,
  type MessageReceived,
} from '@parley/contracts';
import { type CustomerMapping, mapCustomer } from '@parley/customer-mapping';
import { BrandFailure, type BrandFailureReason, type ParleyError, toParleyError } from '@parley/errors';

/** What enrichment needs, as ports. */
export interface EnricherDeps {
  /**
   * The channel's customer-data endpoint and mapping with the customer's current brand access token
   * of that channel: one call to auth per message (GetCustomerDataAccess).
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
  readonly publishCustomerUpdated: (event: CustomerUpdated) => Promise<void>;
  /** The last snapshot seen per customer, to tell when the brand changed something. */
  readonly lastSeen: {
    get(key: string): CustomerSnapshot | undefined;
    set(key: string, snapshot: CustomerSnapshot): void;
  };
  readonly now: () => Date;
  readonly maxAttempts?: number;
  readonly backoffMs?: number;
}

type UnavailableReason = Extract<MessageEnriched['enrichment'], { status: 'unavailable' }>['reason'];

/** The event's reason for each brand failure reason (libs/errors README, "Brand failures"). */
const unavailableReasons: Record<BrandFailureReason, UnavailableReason> = {
  timeout: 'timeout',
  unreachable: 'unreachable',
  server_error: 'http_error',
  circuit_open: 'circuit_open',
  too_large: 'invalid_response',
  not_json: 'invalid_response',
  bad_redirect: 'invalid_response',
  invalid_response: 'invalid_response',
  not_allowed: 'invalid_response',
};

/** Codes that mark the message unavailable at once: the brand, or auth speaking for it, failed. */
const brandTrouble = new Set(['brand_unavailable', 'brand_error', 'url_not_allowed', 'auth_unavailable']);

function reasonOf(error: ParleyError): UnavailableReason {
  if (error instanceof BrandFailure) return unavailableReasons[error.reason];
  // Brand failures relayed by auth arrive as their code alone.
  if (error.code === 'brand_unavailable') return 'unreachable';
  if (error.code === 'brand_error' || error.code === 'url_not_allowed') return 'invalid_response';
  return 'token_unavailable'; // signed out, refused grant, auth unavailable
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
 * For every message, fresh customer data from the brand (nothing cached between messages): the
 * message flows on either way — enriched, or marked `unavailable` with a reason after bounded
 * retries — and a change at the brand is announced on chat.customers.updated.v1.
 */
export function createEnricher(deps: EnricherDeps) {
  const {
    customerDataAccess,
    fetchCustomerData,
    publishEnriched,
    publishCustomerUpdated,
    lastSeen,
    now,
    maxAttempts = 3,
    backoffMs = 200,
  } = deps;

  async function fetchSnapshot(event: MessageReceived): Promise<CustomerSnapshot> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const { tenantId, customerKey, channelId, messageId } = event;
        const access = await customerDataAccess({ tenantId, customerKey, channelId, messageId });
        const data = await fetchCustomerData(tenantId, access.customerDataUrl, access.accessToken);
        return mapCustomer(data, access.mapping);
      } catch (thrown) {
        const error = toParleyError(thrown, 'dependency_unavailable');
        if (!error.retriable || attempt >= maxAttempts) throw error;
        await sleep(backoffMs * 2 ** (attempt - 1));
      }
    }
  }

  return async function enrich(event: MessageReceived): Promise<MessageEnriched> {
    const started = now().getTime();
    let enriched: MessageEnriched;
    try {
      const customer = await fetchSnapshot(event);
      // Brand data that would break the event's schema (a huge name, a token-looking value) must not
      // stop the message: it flows on, marked unavailable.
      if (!customerSnapshot.safeParse(customer).success) {
        throw new BrandFailure('invalid_response', 'the brand’s customer data does not fit the event');
      }
      const fetchedAt = now();
      enriched = {
        ...event,
        customer,
        enrichment: {
          status: 'ok',
          fetchedAt: fetchedAt.toISOString(),
          latencyMs: fetchedAt.getTime() - started,
        },
      };
    } catch (thrown) {
      const error = toParleyError(thrown);
      // Whatever went wrong fetching the data, the accepted message flows on (marked unavailable);
      // only a retriable failure is retried first, by the consumer.
      if (error.retriable && !brandTrouble.has(error.code)) throw error;
      enriched = {
        ...event,
        customer: null,
        enrichment: { status: 'unavailable', reason: reasonOf(error), latencyMs: now().getTime() - started },
      };
    }
    await publishEnriched(enriched);
    if (enriched.customer && enriched.enrichment.status === 'ok') {
      const key = `${event.tenantId}\u0000${event.customerKey}`;
      const before = lastSeen.get(key);
      const changed = before ? changedFields(before, enriched.customer) : [];
      if (changed.length > 0) {
        await publishCustomerUpdated({
          tenantId: event.tenantId,
          customerKey: event.customerKey,
          customer: enriched.customer,
          changedFields: changed,
          fetchedAt: enriched.enrichment.fetchedAt,
        });
      }
      // Remembered only once announced: a failed publish is retried with the change still pending.
      lastSeen.set(key, enriched.customer);
    }
    return enriched;
  };
}
