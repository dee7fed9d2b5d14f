import { setTimeout as sleep } from 'node:timers/promises';
import { type CustomerSnapshot, customerSnapshot, type MessageEnriched } from '@parley/contracts';
import { BrandFailure, type BrandFailureReason, type ParleyError, toParleyError } from '@parley/errors';
import { type CustomerMapping, mapCustomer } from './customer-mapping.js';

/** How a message's customer data went: the data (or null) and the event's `enrichment` verdict. */
export interface CustomerData {
  readonly customer: CustomerSnapshot | null;
  readonly enrichment: MessageEnriched['enrichment'];
}

export interface CustomerDataOptions {
  /** Attempts in all; only a quick retriable failure is tried again (see `customerDataOf`). */
  readonly maxAttempts?: number;
  readonly backoffMs?: number;
  readonly now?: () => Date;
  readonly signal?: AbortSignal;
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

/** Failures not worth a second try within one message: the brand is slow, or not being called. */
const notRetried = new Set<BrandFailureReason>(['timeout', 'circuit_open']);

function reasonOf(error: ParleyError): UnavailableReason {
  if (error instanceof BrandFailure) return unavailableReasons[error.reason];
  // Brand failures relayed by auth (or its brand adapter) arrive as their code alone.
  if (error.code === 'brand_unavailable') return 'unreachable';
  if (error.code === 'brand_error' || error.code === 'url_not_allowed') return 'invalid_response';
  return 'token_unavailable'; // signed out, refused grant, auth unavailable
}

/**
 * A message's fresh customer data (nothing cached between messages; docs/architecture.md,
 * "Customer data beside the introspection"): `fetch` GETs the brand's customer data, with the
 * channel's mapping that turns it into the snapshot. A quick retriable failure is tried again after a
 * backoff, up to `maxAttempts`; a timeout or an open circuit is not (a second wait would only
 * hold the message longer). Whatever the brand did, the message flows on: data the brand could
 * not give, or that would break the event's schema, is `unavailable` with a fixed reason. Only a
 * retriable failure that is not the brand's (Parley's own dependency) is thrown, for the caller to
 * retry the message.
 */
export async function customerDataOf(
  fetch: () => Promise<{ readonly data: unknown; readonly mapping: CustomerMapping }>,
  options: CustomerDataOptions = {},
): Promise<CustomerData> {
  const { maxAttempts = 3, backoffMs = 200, now = () => new Date(), signal } = options;
  const started = now().getTime();
  try {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const { data, mapping } = await fetch();
        const customer = mapCustomer(data, mapping);
        // Brand data that would break the event's schema (a huge name, a token-looking value) must
        // not stop the message: it flows on, marked unavailable.
        if (!customerSnapshot.safeParse(customer).success)
          throw new BrandFailure('invalid_response', 'the brand’s customer data does not fit the event');
        const fetchedAt = now();
        return {
          customer,
          enrichment: {
            status: 'ok',
            fetchedAt: fetchedAt.toISOString(),
            latencyMs: fetchedAt.getTime() - started,
          },
        };
      } catch (thrown) {
        const error = toParleyError(thrown, 'dependency_unavailable');
        const slow = error instanceof BrandFailure && notRetried.has(error.reason);
        if (!error.retriable || slow || attempt >= maxAttempts || signal?.aborted) throw error;
        await sleep(backoffMs * 2 ** (attempt - 1), undefined, signal ? { signal } : {});
      }
    }
  } catch (thrown) {
    const error = toParleyError(thrown);
    if (error.retriable && !brandTrouble.has(error.code)) throw error;
    return {
      customer: null,
      enrichment: { status: 'unavailable', reason: reasonOf(error), latencyMs: now().getTime() - started },
    };
  }
}
