import { ParleyError } from '@parley/errors';
import type { IntegrationsServiceDefinition, ServiceClient } from '@parley/grpc';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { tenantEventTypes } from '../domain/tenant-event-types.js';
import { type ApiKeyAccess, requireApiKey } from './admin-routes.js';
import { parse } from './request-parsing.js';

export interface WebhookRouteDeps extends ApiKeyAccess {
  readonly integrations: ServiceClient<IntegrationsServiceDefinition>;
}

type Integrations = ServiceClient<IntegrationsServiceDefinition>['call'];
type Subscription = Awaited<ReturnType<Integrations['GetSubscription']>>;
type Delivery = Awaited<ReturnType<Integrations['Redeliver']>>;

const resourceId = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'letters, digits, dot, dash, colon, underscore; at most 128');
// The shape only: integrations checks the address itself (https, public, the operator's allow-list).
const webhookUrl = z
  .string()
  .max(2048)
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), 'an http(s) URL');
const eventTypes = z
  .array(z.enum(tenantEventTypes))
  .min(1)
  .max(tenantEventTypes.length)
  .refine((types) => new Set(types).size === types.length, 'each event type once');
const description = z.string().max(256);

const createBody = z
  .object({
    url: webhookUrl,
    eventTypes,
    description: description.default(''),
    enabled: z.boolean().default(true),
  })
  .strict();
const updateBody = z
  .object({ url: webhookUrl, eventTypes, description, enabled: z.boolean() })
  .partial()
  .strict()
  .refine(
    (body) => Object.keys(body).length > 0,
    'change at least one of url, eventTypes, description, enabled',
  );
const rotateBody = z
  .object({
    // The proto's 0 means "the default" (24 h): the smallest overlap one can ask for is a second.
    overlapSeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600)
      .optional(),
  })
  .strict();
const deliveriesQuery = z
  .object({
    status: z.enum(['pending', 'delivered', 'failed']).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    before: z
      .string()
      .regex(/^[A-Za-z0-9._:~-]{1,200}$/, 'a nextCursor of a previous page')
      .optional(),
  })
  .strict();

const orNull = (value: string) => value || null;

/** A subscription as admins see it (never its secret). */
export function subscriptionView(subscription: Subscription) {
  return {
    id: subscription.id,
    url: subscription.url,
    eventTypes: subscription.eventTypes,
    description: subscription.description,
    enabled: subscription.enabled,
    status: subscription.status,
    pausedReason: orNull(subscription.pausedReason),
    pausedAt: orNull(subscription.pausedAt),
    createdAt: subscription.createdAt,
    updatedAt: subscription.updatedAt,
    secretRotatedAt: orNull(subscription.secretRotatedAt),
    previousSecretExpiresAt: orNull(subscription.previousSecretExpiresAt),
  };
}

export function deliveryView(delivery: Delivery) {
  return {
    id: delivery.id,
    subscriptionId: delivery.subscriptionId,
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    threadId: orNull(delivery.threadId),
    status: delivery.status,
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
    const body = parse(createBody, request.body);
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
    const body = parse(updateBody, request.body);
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
    const { overlapSeconds = 0 } = parse(rotateBody, request.body);
    const rotated = await integrations.call.RotateSecret({ tenantId, id, overlapSeconds });
    return { ...subscriptionView(rotated.subscription as Subscription), secret: rotated.secret };
  });

  app.get<ById>('/v1/admin/webhooks/:id/deliveries', async (request) => {
    const tenantId = await admin(request);
    const subscriptionId = idOf(request.params);
    const query = parse(deliveriesQuery, request.query, 'query');
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
