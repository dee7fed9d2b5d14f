import { ParleyError } from '@parley/errors';
import { type Database, isUniqueViolation, sql } from '@parley/postgres';
import type { EventType, Subscription } from '../domain/model.js';
import type { SubscriptionStore } from '../domain/ports.js';

export interface SubscriptionRow {
  readonly tenant_id: string;
  readonly subscription_id: string;
  readonly url: string;
  readonly event_types: EventType[];
  readonly description: string;
  readonly enabled: boolean;
  readonly paused_at: Date | null;
  readonly paused_reason: string | null;
  readonly sealed_secret: string;
  readonly sealed_previous_secret: string | null;
  readonly previous_secret_expires_at: Date | null;
  readonly secret_rotated_at: Date;
  readonly created_at: Date;
  readonly updated_at: Date;
}

const subscriptionColumns = sql`tenant_id, subscription_id, url, event_types, description, enabled,
  paused_at, paused_reason, sealed_secret, sealed_previous_secret, previous_secret_expires_at,
  secret_rotated_at, created_at, updated_at`;

function toSubscription(row: SubscriptionRow): Subscription {
  return {
    tenantId: row.tenant_id,
    id: row.subscription_id,
    url: row.url,
    eventTypes: row.event_types,
    description: row.description,
    enabled: row.enabled,
    pausedAt: row.paused_at,
    pausedReason: row.paused_reason,
    sealedSecret: row.sealed_secret,
    sealedPreviousSecret: row.sealed_previous_secret,
    previousSecretExpiresAt: row.previous_secret_expires_at,
    secretRotatedAt: row.secret_rotated_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Webhook subscriptions on PostgreSQL, one row each, secrets only sealed. */
export function createSubscriptionRepository(db: () => Database): SubscriptionStore {
  const find = async (tenantId: string, id: string) => {
    const [row] = await db()
      .forTenant(tenantId)
      .query<SubscriptionRow>(
        'find subscription',
        sql`select ${subscriptionColumns} from subscriptions where tenant_id = ${tenantId} and subscription_id = ${id}`,
      );
    return row ? toSubscription(row) : null;
  };

  return {
    async create(subscription, maxPerTenant) {
      const { tenantId } = subscription;
      await db()
        .forTenant(tenantId)
        .transaction('create subscription', async (tx) => {
          // Creates of one tenant take turns, so two at once cannot both pass the limit.
          await tx.query(
            'lock tenant subscriptions',
            sql`select pg_advisory_xact_lock(hashtextextended(${`integrations.subscriptions:${tenantId}`}, 0))`,
          );
          const [count] = await tx.query<{ n: number }>(
            'count subscriptions',
            sql`select count(*)::integer as n from subscriptions where tenant_id = ${tenantId}`,
          );
          if ((count?.n ?? 0) >= maxPerTenant)
            throw new ParleyError(
              'limit_exceeded',
              `a tenant has at most ${maxPerTenant} webhook subscriptions`,
            );
          try {
            await tx.query(
              'insert subscription',
              sql`insert into subscriptions (${subscriptionColumns}) values (${tenantId}, ${subscription.id},
                ${subscription.url}, ${[...subscription.eventTypes]}::text[], ${subscription.description},
                ${subscription.enabled}, ${subscription.pausedAt}, ${subscription.pausedReason},
                ${subscription.sealedSecret}, ${subscription.sealedPreviousSecret},
                ${subscription.previousSecretExpiresAt}, ${subscription.secretRotatedAt},
                ${subscription.createdAt}, ${subscription.updatedAt})`,
            );
          } catch (error) {
            if (isUniqueViolation(error, 'subscriptions_pkey'))
              throw new ParleyError('already_exists', 'subscription exists already', { cause: error });
            throw error;
          }
        });
    },

    find,

    async list(tenantId) {
      const rows = await db()
        .forTenant(tenantId)
        .query<SubscriptionRow>(
          'list subscriptions',
          sql`select ${subscriptionColumns} from subscriptions where tenant_id = ${tenantId}
            order by created_at, subscription_id`,
        );
      return rows.map(toSubscription);
    },

    async update(tenantId, id, changes, now) {
      return db()
        .forTenant(tenantId)
        .transaction('update subscription', async (tx) => {
          const [current] = await tx.query<{ enabled: boolean; paused_at: Date | null }>(
            'lock subscription',
            sql`select enabled, paused_at from subscriptions
              where tenant_id = ${tenantId} and subscription_id = ${id} for update`,
          );
          if (!current) return null;
          // Enabling a paused or disabled subscription ends the pause and its failing streak, and
          // its pending deliveries go out at once.
          const resumes = changes.enabled === true && (!current.enabled || current.paused_at !== null);
          const [row] = await tx.query<SubscriptionRow>(
            'change subscription',
            sql`update subscriptions set
              url = coalesce(${changes.url ?? null}::text, url),
              event_types = coalesce(${changes.eventTypes ? [...changes.eventTypes] : null}::text[], event_types),
              description = coalesce(${changes.description ?? null}::text, description),
              enabled = coalesce(${changes.enabled ?? null}::boolean, enabled),
              paused_at = case when ${resumes} then null else paused_at end,
              paused_reason = case when ${resumes} then null else paused_reason end,
              failing_since = case when ${resumes} then null else failing_since end,
              updated_at = ${now}
            where tenant_id = ${tenantId} and subscription_id = ${id}
            returning ${subscriptionColumns}`,
          );
          if (resumes) {
            await tx.query(
              'resume deliveries',
              sql`update deliveries set next_attempt_at = ${now}
                where tenant_id = ${tenantId} and subscription_id = ${id} and status = 'pending'`,
            );
          }
          return row ? toSubscription(row) : null;
        });
    },

    async rotateSecret(tenantId, id, { sealedSecret, previousSecretExpiresAt, now }) {
      const [row] = await db()
        .forTenant(tenantId)
        .query<SubscriptionRow>(
          'rotate subscription secret',
          sql`update subscriptions set sealed_previous_secret = sealed_secret, sealed_secret = ${sealedSecret},
            previous_secret_expires_at = ${previousSecretExpiresAt}, secret_rotated_at = ${now}, updated_at = ${now}
          where tenant_id = ${tenantId} and subscription_id = ${id}
          returning ${subscriptionColumns}`,
        );
      return row ? toSubscription(row) : null;
    },

    async delete(tenantId, id) {
      return db()
        .forTenant(tenantId)
        .transaction('delete subscription', async (tx) => {
          await tx.query(
            'delete subscription deliveries',
            sql`delete from deliveries where tenant_id = ${tenantId} and subscription_id = ${id}`,
          );
          const deleted = await tx.query(
            'delete subscription',
            sql`delete from subscriptions where tenant_id = ${tenantId} and subscription_id = ${id} returning 1`,
          );
          return deleted.length > 0;
        });
    },
  };
}
