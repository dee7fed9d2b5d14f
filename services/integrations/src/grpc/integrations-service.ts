import type { IntegrationsServiceDefinition, MethodCallers, UnaryImplementation } from '@parley/grpc';
import type { DeliveryLog } from '../domain/delivery-log.js';
import { type Delivery, type Subscription, statusOf, type TenantEvent } from '../domain/model.js';
import type { Subscriptions } from '../domain/subscriptions.js';
import type { TenantEventLog } from '../domain/tenant-event-log.js';

const time = (date: Date | null) => date?.toISOString() ?? '';

/** A subscription as callers see it: never its secrets. */
function subscriptionOf(subscription: Subscription) {
  return {
    tenantId: subscription.tenantId,
    id: subscription.id,
    url: subscription.url,
    eventTypes: [...subscription.eventTypes],
    description: subscription.description,
    enabled: subscription.enabled,
    status: statusOf(subscription),
    pausedReason: subscription.pausedReason ?? '',
    pausedAt: time(subscription.pausedAt),
    createdAt: time(subscription.createdAt),
    updatedAt: time(subscription.updatedAt),
    secretRotatedAt: time(subscription.secretRotatedAt),
    previousSecretExpiresAt:
      subscription.previousSecretExpiresAt && subscription.previousSecretExpiresAt > new Date()
        ? time(subscription.previousSecretExpiresAt)
        : '',
  };
}

function deliveryOf(delivery: Delivery) {
  return {
    id: delivery.id,
    subscriptionId: delivery.subscriptionId,
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    threadId: delivery.threadId ?? '',
    status: delivery.status,
    attempts: delivery.attempts,
    nextAttemptAt: delivery.status === 'pending' ? time(delivery.nextAttemptAt) : '',
    lastAttemptAt: time(delivery.lastAttemptAt),
    lastStatusCode: delivery.lastStatusCode ?? 0,
    lastError: delivery.lastError ?? '',
    deliveredAt: time(delivery.deliveredAt),
    createdAt: time(delivery.createdAt),
  };
}

function eventOf(event: TenantEvent) {
  return {
    cursor: String(event.cursor),
    id: event.id,
    type: event.type,
    threadId: event.threadId ?? '',
    customerKey: event.customerKey,
    occurredAt: time(event.occurredAt),
    body: event.body,
  };
}

/** A waiting ReadEvents answers this long before the caller's deadline, so the answer arrives. */
const answerMarginMs = 250;

/** Who may call each IntegrationsService method: ingress, the edge (admin API, bot stream), only. */
export const integrationsServiceCallers: MethodCallers<IntegrationsServiceDefinition> = {
  CreateSubscription: ['ingress'],
  UpdateSubscription: ['ingress'],
  GetSubscription: ['ingress'],
  ListSubscriptions: ['ingress'],
  DeleteSubscription: ['ingress'],
  RotateSecret: ['ingress'],
  ListDeliveries: ['ingress'],
  Redeliver: ['ingress'],
  ReadEvents: ['ingress'],
};

/** gRPC IntegrationsService over the use cases: message mapping only. */
export function integrationsServiceHandlers(deps: {
  subscriptions: Subscriptions;
  deliveryLog: DeliveryLog;
  eventLog: TenantEventLog;
}): UnaryImplementation<IntegrationsServiceDefinition> {
  const { subscriptions, deliveryLog, eventLog } = deps;
  return {
    async CreateSubscription(request) {
      const { subscription, secret } = await subscriptions.create(request);
      return { subscription: subscriptionOf(subscription), secret };
    },
    async UpdateSubscription(request) {
      return subscriptionOf(await subscriptions.update(request));
    },
    async GetSubscription(request) {
      return subscriptionOf(await subscriptions.get(request.tenantId, request.id));
    },
    async ListSubscriptions(request) {
      return { subscriptions: (await subscriptions.list(request.tenantId)).map(subscriptionOf) };
    },
    async DeleteSubscription(request) {
      return { deleted: await subscriptions.delete(request.tenantId, request.id) };
    },
    async RotateSecret(request) {
      const { subscription, secret } = await subscriptions.rotateSecret(request);
      return { subscription: subscriptionOf(subscription), secret };
    },
    async ListDeliveries(request) {
      const page = await deliveryLog.list(request);
      return { deliveries: page.deliveries.map(deliveryOf), nextCursor: page.nextCursor };
    },
    async Redeliver(request) {
      return deliveryOf(await deliveryLog.redeliver(request));
    },
    async ReadEvents(request, context) {
      const result = await eventLog.read(request, {
        until: context.deadline - answerMarginMs,
        abort: context.signal,
      });
      return {
        events: result.events.map(eventOf),
        cursor: result.cursor,
        cursorExpired: result.cursorExpired,
      };
    },
  };
}
