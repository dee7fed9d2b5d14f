import type { DeliveryStatus } from './model.js';
import type { ClaimRequest } from './ports.js';

/** What the claim rule looks at for each delivery of a tenant. */
export interface ClaimCandidate {
  readonly id: string;
  readonly subscriptionId: string;
  readonly orderKey: string;
  readonly eventCursor: number;
  readonly status: DeliveryStatus;
  readonly nextAttemptAt: Date | null;
  readonly leaseExpiresAt: Date | null;
  /** The subscription is enabled and not paused. */
  readonly subscriptionActive: boolean;
}

/**
 * Which of a tenant's deliveries a claim takes, in order (the in-memory queue applies this; the
 * PostgreSQL one says the same in SQL, and the contract suite holds both to it):
 *
 * 1. per (subscription, order key) only the earliest pending delivery may go: a later event of a
 *    thread waits until the earlier one is delivered or failed, even while that one is in flight;
 * 2. of those, the due ones (next attempt reached, no live lease) of active subscriptions;
 * 3. most overdue first, at most each subscription's free slots, at most `limit` in all.
 */
export function pickClaimable<C extends ClaimCandidate>(
  deliveries: readonly C[],
  request: ClaimRequest,
): C[] {
  const { now, limit, freeSlots, perSubscription } = request;
  const heads = new Map<string, C>();
  for (const delivery of deliveries) {
    if (delivery.status !== 'pending') continue;
    const lane = `${delivery.subscriptionId}\u0000${delivery.orderKey}`;
    const head = heads.get(lane);
    if (!head || delivery.eventCursor < head.eventCursor) heads.set(lane, delivery);
  }
  const due = [...heads.values()]
    .filter(
      (delivery) =>
        delivery.subscriptionActive &&
        delivery.nextAttemptAt !== null &&
        delivery.nextAttemptAt <= now &&
        (delivery.leaseExpiresAt === null || delivery.leaseExpiresAt <= now),
    )
    .sort(
      (a, b) =>
        (a.nextAttemptAt?.getTime() ?? 0) - (b.nextAttemptAt?.getTime() ?? 0) ||
        a.eventCursor - b.eventCursor,
    );
  const taken = new Map<string, number>();
  const picked: C[] = [];
  for (const delivery of due) {
    if (picked.length >= limit) break;
    const slots = freeSlots[delivery.subscriptionId] ?? perSubscription;
    const used = taken.get(delivery.subscriptionId) ?? 0;
    if (used >= slots) continue;
    taken.set(delivery.subscriptionId, used + 1);
    picked.push(delivery);
  }
  return picked;
}

/** What `supersededLease` puts before a token (the PostgreSQL queue's statements use it too). */
export const supersededLeasePrefix = 'superseded:';

/**
 * The lease token a redelivery leaves on a delivery whose attempt is in flight (with the lease's
 * expiry). The attempt goes on and still holds the delivery, so a delivery has one attempt at a
 * time, but its outcome is not recorded: when it ends it only lets the delivery go, and the
 * redelivery is sent at once instead of when the lease would have run out.
 */
export function supersededLease(leaseToken: string): string {
  return `${supersededLeasePrefix}${leaseToken}`;
}

/**
 * A delivery's lease once it was queued again at `now`: a live lease is superseded (once, however
 * often the delivery is queued again during the attempt), one that ran out is dropped.
 */
export function leaseAfterRedelivery(
  lease: { readonly leaseToken: string | null; readonly leaseExpiresAt: Date | null },
  now: Date,
): { leaseToken: string | null; leaseExpiresAt: Date | null } {
  const { leaseToken, leaseExpiresAt } = lease;
  if (leaseToken === null || leaseExpiresAt === null || leaseExpiresAt <= now)
    return { leaseToken: null, leaseExpiresAt: null };
  return {
    leaseToken: leaseToken.startsWith(supersededLeasePrefix) ? leaseToken : supersededLease(leaseToken),
    leaseExpiresAt,
  };
}
