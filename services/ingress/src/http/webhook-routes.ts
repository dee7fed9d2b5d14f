import {
  identifiers,
  webhookCreateRequest,
  webhookDeliveriesQuery,
  webhookRotateRequest,
  webhookUpdateRequest,
} from '@parley/contracts';
import type { FastifyInstance } from 'fastify';
import type { ApiKeyAccess } from '../domain/api-key-access.js';
import { parse } from '../domain/input.js';
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhookDeliveries,
  listWebhooks,
  redeliverWebhook,
  rotateWebhookSecret,
  updateWebhook,
  type WebhookDeps,
} from '../domain/webhooks.js';
import { requireApiKey } from './credentials.js';

export interface WebhookRouteDeps extends ApiKeyAccess, WebhookDeps {}

const resourceId = identifiers.resourceId;

/**
 * Tenant admins manage their webhook subscriptions (admin-scoped API key; the tenant comes from the
 * key). Thin: parse, call the use cases (domain/webhooks.ts), map.
 */
export function registerWebhookRoutes(app: FastifyInstance, deps: WebhookRouteDeps): void {
  const admin = async (request: Parameters<typeof requireApiKey>[0]) =>
    (await requireApiKey(request, deps, 'admin')).tenantId;
  type ById = { Params: { id: string } };
  const idOf = (params: { id: string }) => parse(resourceId, params.id, 'id');

  app.post('/v1/admin/webhooks', async (request, reply) => {
    const tenantId = await admin(request);
    const body = parse(webhookCreateRequest, request.body);
    return reply.status(201).send(await createWebhook(deps, tenantId, body));
  });

  app.get('/v1/admin/webhooks', async (request) => listWebhooks(deps, await admin(request)));

  app.get<ById>('/v1/admin/webhooks/:id', async (request) => {
    const tenantId = await admin(request);
    return getWebhook(deps, tenantId, idOf(request.params));
  });

  app.patch<ById>('/v1/admin/webhooks/:id', async (request) => {
    const tenantId = await admin(request);
    const id = idOf(request.params);
    return updateWebhook(deps, tenantId, id, parse(webhookUpdateRequest, request.body));
  });

  app.delete<ById>('/v1/admin/webhooks/:id', async (request, reply) => {
    const tenantId = await admin(request);
    await deleteWebhook(deps, tenantId, idOf(request.params));
    return reply.status(204).send();
  });

  app.post<ById>('/v1/admin/webhooks/:id/rotate-secret', async (request) => {
    const tenantId = await admin(request);
    const id = idOf(request.params);
    const { overlapSeconds = 0 } = parse(webhookRotateRequest, request.body);
    return rotateWebhookSecret(deps, tenantId, id, overlapSeconds);
  });

  app.get<ById>('/v1/admin/webhooks/:id/deliveries', async (request) => {
    const tenantId = await admin(request);
    const subscriptionId = idOf(request.params);
    const query = parse(webhookDeliveriesQuery, request.query, 'query');
    return listWebhookDeliveries(deps, tenantId, subscriptionId, query);
  });

  app.post<{ Params: { id: string; deliveryId: string } }>(
    '/v1/admin/webhooks/:id/deliveries/:deliveryId/redeliver',
    async (request, reply) => {
      const tenantId = await admin(request);
      const subscriptionId = idOf(request.params);
      const deliveryId = parse(resourceId, request.params.deliveryId, 'deliveryId');
      return reply.status(202).send(await redeliverWebhook(deps, tenantId, subscriptionId, deliveryId));
    },
  );
}
