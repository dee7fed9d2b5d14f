import { limits } from '@parley/contracts';
import { ParleyError } from '@parley/errors';
import { type Delivery, type DeliveryStatus, deliveryStatuses } from './model.js';
import type { Clock, DeliveryQueue, SubscriptionStore } from './ports.js';
import { requireId } from './subscription-rules.js';

/** A subscription's delivery log, newest first, and redelivery. */
export function createDeliveryLog(deps: {
  deliveries: DeliveryQueue;
  subscriptions: SubscriptionStore;
  clock: Clock;
  /** After a redelivery was queued (the dispatcher looks for work at once). */
  onQueued?: () => void;
}) {
  const { deliveries, subscriptions, clock, onQueued = () => {} } = deps;

  async function subscriptionOf(tenantId: string, subscriptionId: string) {
    const subscription = await subscriptions.find(
      requireId(tenantId, 'tenant_id'),
      requireId(subscriptionId, 'subscription_id'),
    );
    if (!subscription) throw new ParleyError('not_found', 'no such subscription in this tenant');
    return subscription;
  }

  return {
    async list(request: {
      tenantId: string;
      subscriptionId: string;
      status: string;
      limit: number;
      before: string;
    }): Promise<{ deliveries: Delivery[]; nextCursor: string }> {
      if (request.status !== '' && !(deliveryStatuses as readonly string[]).includes(request.status))
        throw new ParleyError('invalid_argument', `status is one of ${deliveryStatuses.join(', ')}`, {
          context: { field: 'status' },
        });
      if (request.before !== '' && !/^\d{1,15}$/.test(request.before))
        throw new ParleyError('invalid_argument', 'before is not a page cursor of this log', {
          context: { field: 'before' },
        });
      const limit =
        request.limit <= 0 ? limits.listPageDefaultSize : Math.min(request.limit, limits.listPageMaxSize);
      const { tenantId, id } = await subscriptionOf(request.tenantId, request.subscriptionId);
      const page = await deliveries.list(tenantId, id, {
        status: request.status === '' ? null : (request.status as DeliveryStatus),
        limit: limit + 1,
        before: request.before === '' ? null : Number(request.before),
      });
      const shown = page.slice(0, limit);
      const last = shown.at(-1);
      return {
        deliveries: shown,
        nextCursor: page.length > limit && last ? String(last.eventCursor) : '',
      };
    },

    /** Queues a logged delivery again now: a new attempt series with the same webhook-id. */
    async redeliver(request: { tenantId: string; subscriptionId: string; deliveryId: string }) {
      const { tenantId, id } = await subscriptionOf(request.tenantId, request.subscriptionId);
      const delivery = await deliveries.redeliver(
        tenantId,
        id,
        requireId(request.deliveryId, 'delivery_id'),
        clock.now(),
      );
      if (!delivery) throw new ParleyError('not_found', 'no such delivery of this subscription');
      onQueued();
      return delivery;
    },
  };
}

export type DeliveryLog = ReturnType<typeof createDeliveryLog>;
