import { randomBytes } from 'node:crypto';
import { ParleyError } from '@parley/errors';
import { leaseAfterRedelivery, pickClaimable, supersededLease } from '../domain/claim-order.js';
import type { ClaimedDelivery, Delivery, Subscription, TenantEvent } from '../domain/model.js';
import type { DeliveryQueue, EventLog, IntegrationsStores, SubscriptionStore } from '../domain/ports.js';
import { healthAfter } from '../domain/subscription-health.js';

interface StoredEvent extends TenantEvent {
  readonly expiresAt: Date;
}

interface StoredSubscription extends Subscription {
  readonly failingSince: Date | null;
}

interface StoredDelivery extends Delivery {
  readonly leaseToken: string | null;
  readonly leaseExpiresAt: Date | null;
  readonly expiresAt: Date;
}

function tenantMap<V>(maps: Map<string, Map<string, V>>, tenantId: string): Map<string, V> {
  let map = maps.get(tenantId);
  if (!map) {
    map = new Map();
    maps.set(tenantId, map);
  }
  return map;
}

const publicSubscription = ({
  failingSince: _failing,
  ...subscription
}: StoredSubscription): Subscription => ({
  ...subscription,
  eventTypes: [...subscription.eventTypes],
});

const publicDelivery = ({
  leaseToken: _token,
  leaseExpiresAt: _lease,
  expiresAt: _expires,
  ...delivery
}: StoredDelivery): Delivery => ({ ...delivery });

/**
 * Integrations' stores in memory, for unit tests and the app without PostgreSQL; the same contract
 * suite as the PostgreSQL adapters holds them to the same behaviour.
 */
export function createInMemoryIntegrationsStores(): IntegrationsStores {
  const cursors = new Map<string, { last: number; lastExpiresAt: Date }>();
  const eventsByTenant = new Map<string, Map<string, StoredEvent>>(); // by event id
  const subscriptionsByTenant = new Map<string, Map<string, StoredSubscription>>();
  const deliveriesByTenant = new Map<string, Map<string, StoredDelivery>>();

  const liveDeliveries = (tenantId: string, now: Date) =>
    [...tenantMap(deliveriesByTenant, tenantId).values()].filter((delivery) => delivery.expiresAt > now);
  const isActive = (subscription: StoredSubscription | undefined) =>
    subscription?.enabled === true && subscription.pausedAt === null;

  const events: EventLog = {
    async append(event, { now, expiresAt }) {
      const tenantEvents = tenantMap(eventsByTenant, event.tenantId);
      const existing = tenantEvents.get(event.id);
      if (existing) return { cursor: existing.cursor, inserted: false, deliveries: 0 };
      const previous = cursors.get(event.tenantId);
      const cursor = (previous?.last ?? 0) + 1;
      const expires = previous && previous.lastExpiresAt > expiresAt ? previous.lastExpiresAt : expiresAt;
      cursors.set(event.tenantId, { last: cursor, lastExpiresAt: expires });
      tenantEvents.set(event.id, { ...event, cursor, expiresAt: expires });
      let queued = 0;
      for (const subscription of tenantMap(subscriptionsByTenant, event.tenantId).values()) {
        if (!subscription.enabled || !subscription.eventTypes.includes(event.type)) continue;
        const id = `dlv_${randomBytes(16).toString('hex')}`;
        tenantMap(deliveriesByTenant, event.tenantId).set(id, {
          tenantId: event.tenantId,
          id,
          subscriptionId: subscription.id,
          eventCursor: cursor,
          eventId: event.id,
          eventType: event.type,
          threadId: event.threadId,
          orderKey: event.orderKey,
          status: 'pending',
          attempts: 0,
          nextAttemptAt: now,
          lastAttemptAt: null,
          lastStatusCode: null,
          lastError: null,
          deliveredAt: null,
          createdAt: now,
          seriesStartedAt: now,
          leaseToken: null,
          leaseExpiresAt: null,
          expiresAt: expires,
        });
        queued += 1;
      }
      return { cursor, inserted: true, deliveries: queued };
    },

    async read(tenantId, { after, limit, types, now }) {
      const live = [...tenantMap(eventsByTenant, tenantId).values()]
        .filter((event) => event.expiresAt > now)
        .sort((a, b) => a.cursor - b.cursor);
      const page = live
        .filter((event) => event.cursor > after && (types === null || types.includes(event.type)))
        .slice(0, limit)
        .map(({ expiresAt: _expires, ...event }) => event);
      return { events: page, head: cursors.get(tenantId)?.last ?? 0, oldest: live[0]?.cursor ?? null };
    },
  };

  const subscriptions: SubscriptionStore = {
    async create(subscription, maxPerTenant) {
      const tenantSubscriptions = tenantMap(subscriptionsByTenant, subscription.tenantId);
      if (tenantSubscriptions.size >= maxPerTenant)
        throw new ParleyError('limit_exceeded', `a tenant has at most ${maxPerTenant} webhook subscriptions`);
      if (tenantSubscriptions.has(subscription.id))
        throw new ParleyError('already_exists', 'subscription exists already');
      tenantSubscriptions.set(subscription.id, {
        ...subscription,
        eventTypes: [...subscription.eventTypes],
        failingSince: null,
      });
    },
    async find(tenantId, id) {
      const subscription = tenantMap(subscriptionsByTenant, tenantId).get(id);
      return subscription ? publicSubscription(subscription) : null;
    },
    async list(tenantId) {
      return [...tenantMap(subscriptionsByTenant, tenantId).values()]
        .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id))
        .map(publicSubscription);
    },
    async update(tenantId, id, changes, now) {
      const tenantSubscriptions = tenantMap(subscriptionsByTenant, tenantId);
      const current = tenantSubscriptions.get(id);
      if (!current) return null;
      const resumes = changes.enabled === true && (!current.enabled || current.pausedAt !== null);
      const next: StoredSubscription = {
        ...current,
        ...changes,
        eventTypes: [...(changes.eventTypes ?? current.eventTypes)],
        ...(resumes ? { pausedAt: null, pausedReason: null, failingSince: null } : {}),
        updatedAt: now,
      };
      tenantSubscriptions.set(id, next);
      if (resumes) {
        const tenantDeliveries = tenantMap(deliveriesByTenant, tenantId);
        for (const delivery of tenantDeliveries.values()) {
          if (delivery.subscriptionId === id && delivery.status === 'pending')
            tenantDeliveries.set(delivery.id, { ...delivery, nextAttemptAt: now });
        }
      }
      return publicSubscription(next);
    },
    async rotateSecret(tenantId, id, { sealedSecret, previousSecretExpiresAt, now }) {
      const tenantSubscriptions = tenantMap(subscriptionsByTenant, tenantId);
      const current = tenantSubscriptions.get(id);
      if (!current) return null;
      const next: StoredSubscription = {
        ...current,
        sealedSecret,
        sealedPreviousSecret: current.sealedSecret,
        previousSecretExpiresAt,
        secretRotatedAt: now,
        updatedAt: now,
      };
      tenantSubscriptions.set(id, next);
      return publicSubscription(next);
    },
    async delete(tenantId, id) {
      const deleted = tenantMap(subscriptionsByTenant, tenantId).delete(id);
      const tenantDeliveries = tenantMap(deliveriesByTenant, tenantId);
      for (const delivery of [...tenantDeliveries.values()])
        if (delivery.subscriptionId === id) tenantDeliveries.delete(delivery.id);
      return deleted;
    },
  };

  const deliveries: DeliveryQueue = {
    async dueTenants(now, limit, busy) {
      // Due when a claim would take something: the same rule, with no slots for busy subscriptions.
      const due: { tenantId: string; oldest: number }[] = [];
      for (const tenantId of deliveriesByTenant.keys()) {
        if (busy.tenants.includes(tenantId)) continue;
        const tenantSubscriptions = tenantMap(subscriptionsByTenant, tenantId);
        const freeSlots = Object.fromEntries(
          busy.subscriptions
            .filter((lane) => lane.tenantId === tenantId)
            .map((lane) => [lane.subscriptionId, 0]),
        );
        const [oldest] = pickClaimable(
          liveDeliveries(tenantId, now).map((delivery) => ({
            ...delivery,
            subscriptionActive: isActive(tenantSubscriptions.get(delivery.subscriptionId)),
          })),
          { now, limit: 1, freeSlots, perSubscription: Number.POSITIVE_INFINITY, leaseMs: 0 },
        );
        if (oldest) due.push({ tenantId, oldest: oldest.nextAttemptAt?.getTime() ?? 0 });
      }
      return due
        .sort((a, b) => a.oldest - b.oldest)
        .slice(0, limit)
        .map(({ tenantId }) => tenantId);
    },

    async claim(tenantId, request) {
      const tenantSubscriptions = tenantMap(subscriptionsByTenant, tenantId);
      const tenantDeliveries = tenantMap(deliveriesByTenant, tenantId);
      const candidates = liveDeliveries(tenantId, request.now).map((delivery) => ({
        ...delivery,
        subscriptionActive: isActive(tenantSubscriptions.get(delivery.subscriptionId)),
      }));
      const claimed: ClaimedDelivery[] = [];
      for (const candidate of pickClaimable(candidates, request)) {
        const subscription = tenantSubscriptions.get(candidate.subscriptionId) as StoredSubscription;
        const event = tenantMap(eventsByTenant, tenantId).get(candidate.eventId);
        if (!event) continue;
        const leaseToken = randomBytes(16).toString('hex');
        const leased: StoredDelivery = {
          ...(tenantDeliveries.get(candidate.id) as StoredDelivery),
          leaseToken,
          leaseExpiresAt: new Date(request.now.getTime() + request.leaseMs),
        };
        tenantDeliveries.set(candidate.id, leased);
        claimed.push({
          delivery: publicDelivery(leased),
          leaseToken,
          url: subscription.url,
          body: event.body,
          sealedSecret: subscription.sealedSecret,
          sealedPreviousSecret: subscription.sealedPreviousSecret,
          previousSecretExpiresAt: subscription.previousSecretExpiresAt,
        });
      }
      return claimed;
    },

    async complete({ tenantId, deliveryId, leaseToken }, outcome) {
      const tenantDeliveries = tenantMap(deliveriesByTenant, tenantId);
      const delivery = tenantDeliveries.get(deliveryId);
      if (!delivery || delivery.leaseToken !== leaseToken) {
        if (delivery?.leaseToken === supersededLease(leaseToken))
          tenantDeliveries.set(deliveryId, { ...delivery, leaseToken: null, leaseExpiresAt: null });
        return { recorded: false, paused: false };
      }
      const { next } = outcome;
      tenantDeliveries.set(deliveryId, {
        ...delivery,
        status: next.kind === 'retry' ? 'pending' : next.kind,
        attempts: delivery.attempts + 1,
        nextAttemptAt: next.kind === 'retry' ? next.nextAttemptAt : null,
        lastAttemptAt: outcome.at,
        lastStatusCode: outcome.statusCode,
        lastError: outcome.error,
        deliveredAt: next.kind === 'delivered' ? outcome.at : delivery.deliveredAt,
        leaseToken: null,
        leaseExpiresAt: null,
      });
      const tenantSubscriptions = tenantMap(subscriptionsByTenant, tenantId);
      const subscription = tenantSubscriptions.get(delivery.subscriptionId);
      if (!subscription) return { recorded: true, paused: false };
      const { health, paused } = healthAfter(subscription, outcome);
      tenantSubscriptions.set(subscription.id, { ...subscription, ...health });
      return { recorded: true, paused };
    },

    async list(tenantId, subscriptionId, { status, limit, before }) {
      return liveDeliveries(tenantId, new Date())
        .filter(
          (delivery) =>
            delivery.subscriptionId === subscriptionId &&
            (status === null || delivery.status === status) &&
            (before === null || delivery.eventCursor < before),
        )
        .sort((a, b) => b.eventCursor - a.eventCursor)
        .slice(0, limit)
        .map(publicDelivery);
    },

    async redeliver(tenantId, subscriptionId, deliveryId, now) {
      const tenantDeliveries = tenantMap(deliveriesByTenant, tenantId);
      const delivery = tenantDeliveries.get(deliveryId);
      if (!delivery || delivery.subscriptionId !== subscriptionId || delivery.expiresAt <= now) return null;
      const queued: StoredDelivery = {
        ...delivery,
        ...leaseAfterRedelivery(delivery, now),
        status: 'pending',
        attempts: 0,
        nextAttemptAt: now,
        deliveredAt: null,
        seriesStartedAt: now,
      };
      tenantDeliveries.set(deliveryId, queued);
      return publicDelivery(queued);
    },

    async counts() {
      const now = new Date();
      let pending = 0;
      for (const tenantId of deliveriesByTenant.keys())
        pending += liveDeliveries(tenantId, now).filter((delivery) => delivery.status === 'pending').length;
      let paused = 0;
      for (const tenantSubscriptions of subscriptionsByTenant.values())
        for (const subscription of tenantSubscriptions.values())
          if (subscription.enabled && subscription.pausedAt !== null) paused += 1;
      return { pending, paused };
    },
  };

  return { events, subscriptions, deliveries };
}
