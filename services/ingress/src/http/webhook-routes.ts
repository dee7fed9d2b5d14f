import {
  identifiers,
  type TenantEventType,
  type WebhookDeliveryView,
  type WebhookView,
  webhookCreateRequest,
  webhookDeliveriesQuery,
  webhookRotateRequest,
  webhookUpdateRequest,
} from '@parley/contracts';
import { ParleyError } from '@parley/errors';
import type { IntegrationsServiceDefinition, ServiceClient } from '@parley/grpc';
import type { FastifyInstance } from 'fastify';
import type { ApiKeyAccess } from '../domain/api-key-access.js';
import { parse } from '../domain/input.js';
import { requireApiKey } from './credentials.js';

export interface WebhookRouteDeps extends ApiKeyAccess {
  readonly integrations: ServiceClient<IntegrationsServiceDefinition>;
}

type Integrations = ServiceClient<IntegrationsServiceDefinition>['call'];
type Subscription = Awaited<ReturnType<Integrations['GetSubscription']>>;
type Delivery = Awaited<ReturnType<Integrations['Redeliver']>>;

const resourceId = identifiers.resourceId;
const orNull = (value: string) => value || null;

/** A subscription as admins see it (never its secret). */
export function subscriptionView(subscription: Subscription): WebhookView {
  return {
    id: subscription.id,
    url: subscription.url,
    eventTypes: subscription.eventTypes as TenantEventType[],
    description: subscription.description,
    enabled: subscription.enabled,
    status: subscription.status as WebhookView['status'],
    pausedReason: orNull(subscription.pausedReason),
    pausedAt: orNull(subscription.pausedAt),
    createdAt: subscription.createdAt,
    updatedAt: subscription.updatedAt,
    secretRotatedAt: orNull(subscription.secretRotatedAt),
    previousSecretExpiresAt: orNull(subscription.previousSecretExpiresAt),
  };
}

export function deliveryView(delivery: Delivery): WebhookDeliveryView {
  return {
    id: delivery.id,
    subscriptionId: delivery.subscriptionId,
    eventId: delivery.eventId,
    eventType: delivery.eventType as TenantEventType,
    threadId: orNull(delivery.threadId),
    status: delivery.status as WebhookDeliveryView['status'],
    attempts: delivery.attempts,
    nextAttemptAt: orNull(delivery.nextAttemptAt),
    lastAttemptAt: orNull(delivery.lastAttemptAt),
    lastStatusCode: delivery.lastStatusCode || null,
    lastError: orNull(delivery.lastError),
    deliveredAt: orNull(delivery.deliveredAt),
    createdAt: delivery.createdAt,
  };
}

/**
 * Tenant admins manage their webhook subscriptions (admin-scoped API key; the tenant comes from the
 * key). Thin: parse, call integrations, map; integrations decides everything else.
 */
export function registerWebhookRoutes(app: FastifyInstance, deps: WebhookRouteDeps): void {
  const { integrations } = deps;
  const admin = async (request: Parameters<typeof requireApiKey>[0]) =>
    (await requireApiKey(request, deps, 'admin')).tenantId;
  type ById = { Params: { id: string } };
  const idOf = (params: { id: string }) => parse(resourceId, params.id, 'id');

  app.post('/v1/admin/webhooks', async (request, reply) => {
    const tenantId = await admin(request);
    const body = parse(webhookCreateRequest, request.body);
    const created = await integrations.call.CreateSubscription({ ...body, tenantId });
    // The secret is shown here and on rotation only.
    return reply
      .status(201)
      .send({ ...subscriptionView(created.subscription as Subscription), secret: created.secret });
  });

  app.get('/v1/admin/webhooks', async (request) => {
    const tenantId = await admin(request);
    const { subscriptions } = await integrations.call.ListSubscriptions({ tenantId });
    return { webhooks: subscriptions.map(subscriptionView) };
  });

  app.get<ById>('/v1/admin/webhooks/:id', async (request) => {
    const tenantId = await admin(request);
    return subscriptionView(await integrations.call.GetSubscription({ tenantId, id: idOf(request.params) }));
  });

  app.patch<ById>('/v1/admin/webhooks/:id', async (request) => {
    const tenantId = await admin(request);
    const id = idOf(request.params);
    const body = parse(webhookUpdateRequest, request.body);
    const updated = await integrations.call.UpdateSubscription({
      ...body,
      // After the body: the tenant and the subscription always come from the key and the path.
      tenantId,
      id,
      fields: Object.keys(body).map((field) => (field === 'eventTypes' ? 'event_types' : field)),
    });
    return subscriptionView(updated);
  });

  app.delete<ById>('/v1/admin/webhooks/:id', async (request, reply) => {
    const tenantId = await admin(request);
    const { deleted } = await integrations.call.DeleteSubscription({ tenantId, id: idOf(request.params) });
    if (!deleted) throw new ParleyError('not_found', 'no such webhook subscription');
    return reply.status(204).send();
  });

  app.post<ById>('/v1/admin/webhooks/:id/rotate-secret', async (request) => {
    const tenantId = await admin(request);
    const id = idOf(request.params);
    const { overlapSeconds = 0 } = parse(webhookRotateRequest, request.body);
    const rotated = await integrations.call.RotateSecret({ tenantId, id, overlapSeconds });
    return { ...subscriptionView(rotated.subscription as Subscription), secret: rotated.secret };
  });

  app.get<ById>('/v1/admin/webhooks/:id/deliveries', async (request) => {
    const tenantId = await admin(request);
    const subscriptionId = idOf(request.params);
    const query = parse(webhookDeliveriesQuery, request.query, 'query');
    const page = await integrations.call.ListDeliveries({
      tenantId,
      subscriptionId,
      status: query.status ?? '',
      limit: query.limit,
      before: query.before ?? '',
    });
    return { deliveries: page.deliveries.map(deliveryView), nextCursor: orNull(page.nextCursor) };
  });

  app.post<{ Params: { id: string; deliveryId: string } }>(
    '/v1/admin/webhooks/:id/deliveries/:deliveryId/redeliver',
    async (request, reply) => {
      const tenantId = await admin(request);
      const delivery = await integrations.call.Redeliver({
        tenantId,
        subscriptionId: idOf(request.params),
        deliveryId: parse(resourceId, request.params.deliveryId, 'deliveryId'),
      });
      return reply.status(202).send(deliveryView(delivery));
    },
  );
}
