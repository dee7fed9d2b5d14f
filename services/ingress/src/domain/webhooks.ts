import type {
  TenantEventType,
  WebhookDeliveryPage,
  WebhookDeliveryView,
  WebhookList,
  WebhookView,
  WebhookWithSecretView,
  webhookCreateRequest,
  webhookDeliveriesQuery,
  webhookUpdateRequest,
} from '@parley/contracts';
import { ParleyError } from '@parley/errors';
import type { z } from 'zod';
import type { IntegrationsPort, WebhookDelivery, WebhookSubscription, WebhookWithSecret } from './ports.js';

// Tenant admins manage their webhook subscriptions (docs/integrations.md): the tenant always comes from the
// admin's API key, the subscription from the path; integrations decides everything else.

export interface WebhookDeps {
  readonly integrations: IntegrationsPort;
}

const orNull = (value: string) => value || null;

/** A subscription as admins see it (never its secret). */
export function subscriptionView(subscription: WebhookSubscription): WebhookView {
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

export function deliveryView(delivery: WebhookDelivery): WebhookDeliveryView {
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

/** The secret is shown on creation and rotation only. */
const withSecret = ({ subscription, secret }: WebhookWithSecret): WebhookWithSecretView => ({
  ...subscriptionView(subscription),
  secret,
});

export async function createWebhook(
  { integrations }: WebhookDeps,
  tenantId: string,
  settings: z.output<typeof webhookCreateRequest>,
): Promise<WebhookWithSecretView> {
  return withSecret(await integrations.createSubscription({ ...settings, tenantId }));
}

export async function listWebhooks({ integrations }: WebhookDeps, tenantId: string): Promise<WebhookList> {
  const subscriptions = await integrations.listSubscriptions({ tenantId });
  return { webhooks: subscriptions.map(subscriptionView) };
}

export async function getWebhook(
  { integrations }: WebhookDeps,
  tenantId: string,
  id: string,
): Promise<WebhookView> {
  return subscriptionView(await integrations.getSubscription({ tenantId, id }));
}

/** Changes only the fields given. */
export async function updateWebhook(
  { integrations }: WebhookDeps,
  tenantId: string,
  id: string,
  changes: z.output<typeof webhookUpdateRequest>,
): Promise<WebhookView> {
  // After the changes: the tenant and the subscription always come from the key and the path.
  return subscriptionView(await integrations.updateSubscription({ ...changes, tenantId, id }));
}

export async function deleteWebhook({ integrations }: WebhookDeps, tenantId: string, id: string) {
  if (!(await integrations.deleteSubscription({ tenantId, id })))
    throw new ParleyError('not_found', 'no such webhook subscription');
}

export async function rotateWebhookSecret(
  { integrations }: WebhookDeps,
  tenantId: string,
  id: string,
  overlapSeconds: number,
): Promise<WebhookWithSecretView> {
  return withSecret(await integrations.rotateSecret({ tenantId, id, overlapSeconds }));
}

/** A page of a subscription's delivery log, newest first. */
export async function listWebhookDeliveries(
  { integrations }: WebhookDeps,
  tenantId: string,
  subscriptionId: string,
  query: z.output<typeof webhookDeliveriesQuery>,
): Promise<WebhookDeliveryPage> {
  const page = await integrations.listDeliveries({
    tenantId,
    subscriptionId,
    ...(query.status ? { status: query.status } : {}),
    limit: query.limit,
    ...(query.before ? { before: query.before } : {}),
  });
  return { deliveries: page.deliveries.map(deliveryView), nextCursor: orNull(page.nextCursor) };
}

export async function redeliverWebhook(
  { integrations }: WebhookDeps,
  tenantId: string,
  subscriptionId: string,
  deliveryId: string,
): Promise<WebhookDeliveryView> {
  return deliveryView(await integrations.redeliver({ tenantId, subscriptionId, deliveryId }));
}
