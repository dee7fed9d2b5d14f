/** The events a tenant can receive (docs/integrations.md), by webhook and from the stream. */
export const eventTypes = [
  'message.enriched',
  'message.stored',
  'customer.updated',
  'session.ended',
] as const;

export type EventType = (typeof eventTypes)[number];

export function isEventType(value: string): value is EventType {
  return (eventTypes as readonly string[]).includes(value);
}

/** One event of a tenant's log: appended once per (tenant, id), numbered by the tenant's cursor. */
export interface TenantEvent {
  readonly tenantId: string;
  /** Increasing per tenant without gaps: 1, 2, 3… */
  readonly cursor: number;
  /** `evt_…`, derived from the internal event: the CloudEvents `id` and the `webhook-id`. */
  readonly id: string;
  readonly type: EventType;
  readonly threadId: string | null;
  readonly customerKey: string;
  /** What deliveries keep in order: the thread, or `customer:<key>` for an event of no thread. */
  readonly orderKey: string;
  readonly occurredAt: Date;
  /** The CloudEvents JSON, exactly as webhooks and the stream send it. */
  readonly body: string;
}

export type NewTenantEvent = Omit<TenantEvent, 'cursor'>;

export type SubscriptionStatus = 'active' | 'paused' | 'disabled';

/** A webhook subscription as the store keeps it; its secrets only ever sealed. */
export interface Subscription {
  readonly tenantId: string;
  readonly id: string;
  readonly url: string;
  readonly eventTypes: readonly EventType[];
  readonly description: string;
  readonly enabled: boolean;
  /** Set when the subscription was paused for failing (cleared when it is enabled again). */
  readonly pausedAt: Date | null;
  readonly pausedReason: string | null;
  readonly sealedSecret: string;
  readonly sealedPreviousSecret: string | null;
  readonly previousSecretExpiresAt: Date | null;
  readonly secretRotatedAt: Date;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** disabled: not enabled; paused: enabled but stopped for failing; active otherwise. */
export function statusOf(subscription: Pick<Subscription, 'enabled' | 'pausedAt'>): SubscriptionStatus {
  if (!subscription.enabled) return 'disabled';
  return subscription.pausedAt ? 'paused' : 'active';
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export const deliveryStatuses: readonly DeliveryStatus[] = ['pending', 'delivered', 'failed'];

/** One event to one subscription, with its latest attempt: the delivery log. */
export interface Delivery {
  readonly tenantId: string;
  readonly id: string;
  readonly subscriptionId: string;
  readonly eventCursor: number;
  readonly eventId: string;
  readonly eventType: EventType;
  readonly threadId: string | null;
  readonly orderKey: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  /** While pending: when it is due (it may wait longer for an earlier event of its thread). */
  readonly nextAttemptAt: Date | null;
  readonly lastAttemptAt: Date | null;
  /** The HTTP status of the latest answer; null when none came. */
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly deliveredAt: Date | null;
  readonly createdAt: Date;
  /** Creation, or the last redelivery: retries end a retry window after it. */
  readonly seriesStartedAt: Date;
}

/** A delivery leased to this replica for one attempt, with what the attempt needs. */
export interface ClaimedDelivery {
  readonly delivery: Delivery;
  /** Names this lease: only its holder records the attempt. */
  readonly leaseToken: string;
  readonly url: string;
  readonly body: string;
  readonly sealedSecret: string;
  readonly sealedPreviousSecret: string | null;
  readonly previousSecretExpiresAt: Date | null;
}

/** What an attempt leads to, decided by the domain (retry schedule, pause rule). */
export interface AttemptOutcome {
  readonly at: Date;
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly next:
    | { readonly kind: 'delivered' }
    | { readonly kind: 'retry'; readonly nextAttemptAt: Date }
    | { readonly kind: 'failed' };
  /**
   * For a failed attempt: pause the subscription (with `reason`) when no attempt of it has
   * succeeded since `pauseIfFailingSince` or earlier. A successful attempt ends the failing streak.
   */
  readonly pause?: { readonly pauseIfFailingSince: Date; readonly reason: string };
}
