import { createHostPolicy } from '@parley/brand-http';
import { ParleyError } from '@parley/errors';
import type { Subscription } from './model.js';
import type { Clock, SecretBox, SubscriptionChanges, SubscriptionStore } from './ports.js';
import {
  newSigningSecret,
  newSubscriptionId,
  overlapMs,
  requireId,
  secretContext,
  subscriptionLimits,
  validateDescription,
  validateEventTypes,
  validateWebhookUrl,
} from './subscription-rules.js';

export interface SubscriptionsDeps {
  readonly store: SubscriptionStore;
  readonly secretBox: SecretBox;
  readonly clock: Clock;
  /**
   * Hosts a webhook may reach over http or on a private address (WEBHOOK_HOST_ALLOW_LIST): `host`
   * or `host:port` for every tenant, `host@tenant` for one.
   */
  readonly allowHosts: readonly string[];
  /** After a change that may have made deliveries due (a subscription enabled again). */
  readonly onChanged?: () => void;
}

/** The fields an update may name (proto `UpdateSubscriptionRequest.fields`). */
const updatableFields = ['url', 'event_types', 'description', 'enabled'] as const;

const notFound = () => new ParleyError('not_found', 'no such subscription in this tenant');

/**
 * Managing a tenant's webhook subscriptions: every request validated and scoped to its tenant; a
 * signing secret generated here, sealed bound to its tenant and subscription, and shown only in
 * the answer to the create or rotate that made it.
 */
export function createSubscriptions(deps: SubscriptionsDeps) {
  const { store, secretBox, clock, allowHosts, onChanged = () => {} } = deps;
  const hosts = createHostPolicy(allowHosts);

  async function found(tenantId: string, id: string): Promise<Subscription> {
    const subscription = await store.find(requireId(tenantId, 'tenant_id'), requireId(id, 'id'));
    if (!subscription) throw notFound();
    return subscription;
  }

  return {
    async create(request: {
      tenantId: string;
      url: string;
      eventTypes: readonly string[];
      description: string;
      enabled: boolean;
    }): Promise<{ subscription: Subscription; secret: string }> {
      const tenantId = requireId(request.tenantId, 'tenant_id');
      const url = validateWebhookUrl(request.url, hosts, tenantId);
      const types = validateEventTypes(request.eventTypes);
      const description = validateDescription(request.description);
      const id = newSubscriptionId();
      const secret = newSigningSecret();
      const now = clock.now();
      const subscription: Subscription = {
        tenantId,
        id,
        url,
        eventTypes: types,
        description,
        enabled: request.enabled,
        pausedAt: null,
        pausedReason: null,
        sealedSecret: await secretBox.seal(secret, secretContext(tenantId, id)),
        sealedPreviousSecret: null,
        previousSecretExpiresAt: null,
        secretRotatedAt: now,
        createdAt: now,
        updatedAt: now,
      };
      await store.create(subscription, subscriptionLimits.perTenant);
      return { subscription, secret };
    },

    async update(request: {
      tenantId: string;
      id: string;
      fields: readonly string[];
      url: string;
      eventTypes: readonly string[];
      description: string;
      enabled: boolean;
    }): Promise<Subscription> {
      const tenantId = requireId(request.tenantId, 'tenant_id');
      const id = requireId(request.id, 'id');
      if (request.fields.length === 0)
        throw new ParleyError('invalid_argument', `fields names none of ${updatableFields.join(', ')}`, {
          context: { field: 'fields' },
        });
      const unknown = request.fields.find((field) => !(updatableFields as readonly string[]).includes(field));
      if (unknown !== undefined)
        throw new ParleyError(
          'invalid_argument',
          `field ${unknown.slice(0, 64)} cannot be changed; only ${updatableFields.join(', ')}`,
          { context: { field: 'fields' } },
        );
      const named = new Set(request.fields);
      const changes: SubscriptionChanges = {
        ...(named.has('url') ? { url: validateWebhookUrl(request.url, hosts, tenantId) } : {}),
        ...(named.has('event_types') ? { eventTypes: validateEventTypes(request.eventTypes) } : {}),
        ...(named.has('description') ? { description: validateDescription(request.description) } : {}),
        ...(named.has('enabled') ? { enabled: request.enabled } : {}),
      };
      const updated = await store.update(tenantId, id, changes, clock.now());
      if (!updated) throw notFound();
      onChanged();
      return updated;
    },

    get: (tenantId: string, id: string) => found(tenantId, id),

    list: (tenantId: string) => store.list(requireId(tenantId, 'tenant_id')),

    delete: (tenantId: string, id: string) =>
      store.delete(requireId(tenantId, 'tenant_id'), requireId(id, 'id')),

    /** A new secret (shown once); the current one signs beside it for the overlap. */
    async rotateSecret(request: {
      tenantId: string;
      id: string;
      overlapSeconds: number;
    }): Promise<{ subscription: Subscription; secret: string }> {
      const overlap = overlapMs(request.overlapSeconds);
      const { tenantId, id } = await found(request.tenantId, request.id);
      const secret = newSigningSecret();
      const now = clock.now();
      const subscription = await store.rotateSecret(tenantId, id, {
        sealedSecret: await secretBox.seal(secret, secretContext(tenantId, id)),
        previousSecretExpiresAt: new Date(now.getTime() + overlap),
        now,
      });
      if (!subscription) throw notFound();
      return { subscription, secret };
    },
  };
}

export type Subscriptions = ReturnType<typeof createSubscriptions>;
