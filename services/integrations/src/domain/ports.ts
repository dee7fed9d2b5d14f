import type {
  AttemptOutcome,
  ClaimedDelivery,
  Delivery,
  DeliveryStatus,
  EventType,
  NewTenantEvent,
  Subscription,
  TenantEvent,
} from './model.js';

/** Every method takes the tenant: an unscoped read cannot be written. */
export interface EventLog {
  /**
   * Appends the event once per (tenant, id) with the tenant's next cursor and, in the same
   * transaction, queues one pending delivery (due `now`) for every enabled subscription of the
   * tenant that takes its type. An id appended already returns its cursor, `inserted: false`, and
   * queues nothing. Expiry never goes backwards within a tenant: an event expires no earlier than
   * the tenant's previous one.
   */
  append(
    event: NewTenantEvent,
    at: { readonly now: Date; readonly expiresAt: Date },
  ): Promise<{ cursor: number; inserted: boolean; deliveries: number }>;
  /**
   * The tenant's live (not expired at `now`) events after cursor `after` (0: from the oldest),
   * oldest first, at most `limit`, only of `types` when given; with, read in the same snapshot,
   * the tenant's newest cursor (`head`, 0 before any event) and its oldest live one (`oldest`,
   * null when none is live).
   */
  read(
    tenantId: string,
    query: {
      readonly after: number;
      readonly limit: number;
      readonly types: readonly EventType[] | null;
      readonly now: Date;
    },
  ): Promise<{ events: TenantEvent[]; head: number; oldest: number | null }>;
}

export type SubscriptionChanges = Partial<
  Pick<Subscription, 'url' | 'eventTypes' | 'description' | 'enabled'>
>;

export interface SubscriptionStore {
  /** Stores a new subscription unless the tenant has `maxPerTenant` already (`limit_exceeded`). */
  create(subscription: Subscription, maxPerTenant: number): Promise<void>;
  find(tenantId: string, id: string): Promise<Subscription | null>;
  /** The tenant's subscriptions, oldest first. */
  list(tenantId: string): Promise<Subscription[]>;
  /**
   * Changes the given fields. `enabled: true` also ends a pause (and the failing streak) and makes
   * the subscription's pending deliveries due at `now`. Null when there is no such subscription.
   */
  update(tenantId: string, id: string, changes: SubscriptionChanges, now: Date): Promise<Subscription | null>;
  /**
   * Makes `sealedSecret` the signing secret; the current one signs beside it until
   * `previousSecretExpiresAt` (an older previous one is dropped). Null when there is no such one.
   */
  rotateSecret(
    tenantId: string,
    id: string,
    rotation: { sealedSecret: string; previousSecretExpiresAt: Date; now: Date },
  ): Promise<Subscription | null>;
  /** Deletes the subscription and its deliveries; false when there was none. */
  delete(tenantId: string, id: string): Promise<boolean>;
}

export interface ClaimRequest {
  readonly now: Date;
  /** Most deliveries to claim for this tenant. */
  readonly limit: number;
  /** Slots left per subscription that has attempts in flight here; others have `perSubscription`. */
  readonly freeSlots: Readonly<Record<string, number>>;
  readonly perSubscription: number;
  readonly leaseMs: number;
}

/** Tenants and subscriptions with as many attempts in flight here as they may have. */
export interface BusyLanes {
  readonly tenants: readonly string[];
  readonly subscriptions: readonly { readonly tenantId: string; readonly subscriptionId: string }[];
}

export interface DeliveryQueue {
  /**
   * Tenants with a delivery that could be claimed at `now` (the earliest pending one of its
   * subscription and order key, due, not leased, of an active subscription that is not busy), most
   * overdue first: the one statement that looks across tenants.
   */
  dueTenants(now: Date, limit: number, busy: BusyLanes): Promise<string[]>;
  /**
   * Leases (for `leaseMs`) up to `limit` due deliveries of the tenant's active subscriptions, at
   * most the free slots of each subscription, and only the earliest pending delivery of each
   * (subscription, order key): a later event of a thread waits until the earlier one is delivered
   * or failed. A lease that ran out may be taken again; two claims never hold one delivery at once.
   */
  claim(tenantId: string, request: ClaimRequest): Promise<ClaimedDelivery[]>;
  /**
   * Records an attempt under its lease and ends the lease; also updates the subscription's failing
   * streak and pauses it as `outcome.pause` says. Not recorded (`recorded: false`) when the lease
   * is no longer this one's (it ran out and was taken again, or a redelivery superseded it: then
   * the delivery is let go, to be claimed at once) or the delivery is gone.
   */
  complete(
    lease: { readonly tenantId: string; readonly deliveryId: string; readonly leaseToken: string },
    outcome: AttemptOutcome,
  ): Promise<{ recorded: boolean; paused: boolean }>;
  /** A subscription's deliveries, newest event first, before the event cursor `before` when given. */
  list(
    tenantId: string,
    subscriptionId: string,
    query: { readonly status: DeliveryStatus | null; readonly limit: number; readonly before: number | null },
  ): Promise<Delivery[]>;
  /**
   * Queues a delivery again, due at `now`, as a new attempt series (attempts from 0); null when the
   * subscription has no such delivery. An attempt in flight goes on and holds the delivery until it
   * ends, but its outcome is not recorded (`supersededLease` of claim-order.ts).
   */
  redeliver(
    tenantId: string,
    subscriptionId: string,
    deliveryId: string,
    now: Date,
  ): Promise<Delivery | null>;
  /** For metrics, across tenants: pending deliveries, and subscriptions paused for failing. */
  counts(): Promise<{ pending: number; paused: number }>;
}

/** Sends one attempt of a claimed delivery (signed); never throws for what the endpoint does. */
export interface WebhookSender {
  send(claimed: ClaimedDelivery, at: Date): Promise<{ statusCode: number | null; error: string | null }>;
}

/** Integrations' repositories, as `createApp` takes them (PostgreSQL by default, in-memory in tests). */
export interface IntegrationsStores {
  readonly events: EventLog;
  readonly subscriptions: SubscriptionStore;
  readonly deliveries: DeliveryQueue;
}

export interface Clock {
  now(): Date;
}

/** Seals secrets at rest, bound to a context (libs/secrets). */
export interface SecretBox {
  seal(plaintext: string, context: string): Promise<string>;
  open(sealed: string, context: string): Promise<string>;
}
