import { type Database, sql } from '@parley/postgres';
import { supersededLease, supersededLeasePrefix } from '../domain/claim-order.js';
import type { Delivery, EventType } from '../domain/model.js';
import type { DeliveryQueue } from '../domain/ports.js';
import { healthAfter } from '../domain/subscription-health.js';

interface DeliveryRow {
  readonly tenant_id: string;
  readonly delivery_id: string;
  readonly subscription_id: string;
  readonly event_cursor: string; // bigint
  readonly event_id: string;
  readonly event_type: EventType;
  readonly thread_id: string | null;
  readonly order_key: string;
  readonly status: Delivery['status'];
  readonly attempts: number;
  readonly next_attempt_at: Date | null;
  readonly last_attempt_at: Date | null;
  readonly last_status_code: number | null;
  readonly last_error: string | null;
  readonly delivered_at: Date | null;
  readonly created_at: Date;
  readonly series_started_at: Date;
}

const deliveryColumns = sql`tenant_id, delivery_id, subscription_id, event_cursor, event_id, event_type,
  thread_id, order_key, status, attempts, next_attempt_at, last_attempt_at, last_status_code, last_error,
  delivered_at, created_at, series_started_at`;

function toDelivery(row: DeliveryRow): Delivery {
  return {
    tenantId: row.tenant_id,
    id: row.delivery_id,
    subscriptionId: row.subscription_id,
    eventCursor: Number(row.event_cursor),
    eventId: row.event_id,
    eventType: row.event_type,
    threadId: row.thread_id,
    orderKey: row.order_key,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastAttemptAt: row.last_attempt_at,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    deliveredAt: row.delivered_at,
    createdAt: row.created_at,
    seriesStartedAt: row.series_started_at,
  };
}

/**
 * The delivery queue on PostgreSQL. The dispatcher finds tenants with due work in one statement
 * across tenants (db.global, read only) and claims in each tenant's scope: the earliest pending
 * delivery of each (subscription, order key), leased with `for update skip locked`, so replicas
 * never hold one delivery at once and a lease that ran out is taken again.
 */
export function createDeliveryQueueRepository(db: () => Database): DeliveryQueue {
  return {
    async dueTenants(now, limit, busy) {
      // Only the head of a thread (the earliest pending delivery of its subscription and order key)
      // can be claimed, so only heads make a tenant due: the later deliveries of a thread whose head
      // is in flight or waits for its retry are due since they were queued, and counting them would
      // fill the window with tenants whose claims take nothing. The heads come from one ordered pass
      // over the pending entries of deliveries_thread_order.
      const rows = await db().global.query<{ tenant_id: string }>(
        'find tenants with due deliveries',
        sql`with heads as (
            select distinct on (tenant_id, subscription_id, order_key) tenant_id, subscription_id,
              next_attempt_at, lease_expires_at
            from deliveries
            where status = 'pending' and expires_at > ${now}::timestamptz
            order by tenant_id, subscription_id, order_key, event_cursor
          )
          select h.tenant_id from heads h
          join subscriptions s on s.tenant_id = h.tenant_id and s.subscription_id = h.subscription_id
          where h.next_attempt_at <= ${now}::timestamptz
            and (h.lease_expires_at is null or h.lease_expires_at <= ${now}::timestamptz)
            and s.enabled and s.paused_at is null
            and h.tenant_id <> all(${[...busy.tenants]}::text[])
            and not exists (
              select from unnest(${busy.subscriptions.map((lane) => lane.tenantId)}::text[],
                ${busy.subscriptions.map((lane) => lane.subscriptionId)}::text[]) as busy(tenant_id, subscription_id)
              where busy.tenant_id = h.tenant_id and busy.subscription_id = h.subscription_id)
          group by h.tenant_id
          order by min(h.next_attempt_at)
          limit ${limit}`,
      );
      return rows.map((row) => row.tenant_id);
    },

    async claim(tenantId, { now, limit, freeSlots, perSubscription, leaseMs }) {
      // The claim rule of domain/claim-order.ts, in one statement.
      const rows = await db()
        .forTenant(tenantId)
        .query<
          DeliveryRow & {
            lease_token: string;
            url: string;
            body: string;
            sealed_secret: string;
            sealed_previous_secret: string | null;
            previous_secret_expires_at: Date | null;
          }
        >(
          'claim deliveries',
          sql`with heads as (
            select distinct on (subscription_id, order_key) delivery_id, subscription_id, next_attempt_at,
              event_cursor, lease_expires_at
            from deliveries
            where tenant_id = ${tenantId} and status = 'pending' and expires_at > ${now}::timestamptz
            order by subscription_id, order_key, event_cursor
          ),
          ranked as (
            select h.delivery_id, h.subscription_id, h.next_attempt_at, h.event_cursor,
              row_number() over (partition by h.subscription_id order by h.next_attempt_at, h.event_cursor) as rank
            from heads h
            join subscriptions s on s.tenant_id = ${tenantId} and s.subscription_id = h.subscription_id
            where s.enabled and s.paused_at is null and h.next_attempt_at <= ${now}::timestamptz
              and (h.lease_expires_at is null or h.lease_expires_at <= ${now}::timestamptz)
          ),
          picked as (
            select d.delivery_id from deliveries d
            join ranked r on r.delivery_id = d.delivery_id
            where d.tenant_id = ${tenantId}
              and r.rank <= coalesce((${JSON.stringify(freeSlots)}::jsonb ->> r.subscription_id)::integer, ${perSubscription})
              and d.status = 'pending'
              and (d.lease_expires_at is null or d.lease_expires_at <= ${now}::timestamptz)
            order by r.next_attempt_at, r.event_cursor
            limit ${limit}
            for update of d skip locked
          ),
          leased as (
            update deliveries d set lease_token = replace(gen_random_uuid()::text, '-', ''),
              lease_expires_at = ${now}::timestamptz + ${leaseMs} * interval '1 millisecond'
            from picked p
            where d.tenant_id = ${tenantId} and d.delivery_id = p.delivery_id
            returning d.*
          )
          select l.*, s.url, s.sealed_secret, s.sealed_previous_secret, s.previous_secret_expires_at, e.body
          from leased l
          join subscriptions s on s.tenant_id = l.tenant_id and s.subscription_id = l.subscription_id
          join events e on e.tenant_id = l.tenant_id and e.cursor = l.event_cursor
          order by l.next_attempt_at, l.event_cursor`,
        );
      return rows.map((row) => ({
        delivery: toDelivery(row),
        leaseToken: row.lease_token,
        url: row.url,
        body: row.body,
        sealedSecret: row.sealed_secret,
        sealedPreviousSecret: row.sealed_previous_secret,
        previousSecretExpiresAt: row.previous_secret_expires_at,
      }));
    },

    async complete({ tenantId, deliveryId, leaseToken }, outcome) {
      const { next } = outcome;
      return db()
        .forTenant(tenantId)
        .transaction('record webhook attempt', async (tx) => {
          const [done] = await tx.query<{ subscription_id: string }>(
            'record attempt',
            sql`update deliveries set
              status = ${next.kind === 'retry' ? 'pending' : next.kind},
              attempts = attempts + 1,
              next_attempt_at = ${next.kind === 'retry' ? next.nextAttemptAt : null}::timestamptz,
              last_attempt_at = ${outcome.at}, last_status_code = ${outcome.statusCode}::integer,
              last_error = ${outcome.error}::text,
              delivered_at = case when ${next.kind === 'delivered'} then ${outcome.at}::timestamptz else delivered_at end,
              lease_token = null, lease_expires_at = null
            where tenant_id = ${tenantId} and delivery_id = ${deliveryId} and lease_token = ${leaseToken}
            returning subscription_id`,
          );
          if (!done) {
            await tx.query(
              'end a lease a redelivery superseded',
              sql`update deliveries set lease_token = null, lease_expires_at = null
                where tenant_id = ${tenantId} and delivery_id = ${deliveryId}
                  and lease_token = ${supersededLease(leaseToken)}`,
            );
            return { recorded: false, paused: false };
          }
          const [current] = await tx.query<{
            enabled: boolean;
            paused_at: Date | null;
            paused_reason: string | null;
            failing_since: Date | null;
          }>(
            'lock subscription health',
            sql`select enabled, paused_at, paused_reason, failing_since from subscriptions
              where tenant_id = ${tenantId} and subscription_id = ${done.subscription_id} for update`,
          );
          if (!current) return { recorded: true, paused: false };
          const { health, paused } = healthAfter(
            {
              enabled: current.enabled,
              pausedAt: current.paused_at,
              pausedReason: current.paused_reason,
              failingSince: current.failing_since,
            },
            outcome,
          );
          if (health.failingSince?.getTime() !== current.failing_since?.getTime() || paused) {
            await tx.query(
              'update subscription health',
              sql`update subscriptions set failing_since = ${health.failingSince}::timestamptz,
                paused_at = ${health.pausedAt}::timestamptz, paused_reason = ${health.pausedReason}::text
              where tenant_id = ${tenantId} and subscription_id = ${done.subscription_id}`,
            );
          }
          return { recorded: true, paused };
        });
    },

    async list(tenantId, subscriptionId, { status, limit, before }) {
      const rows = await db()
        .forTenant(tenantId)
        .query<DeliveryRow>(
          'list deliveries',
          sql`select ${deliveryColumns} from deliveries
            where tenant_id = ${tenantId} and subscription_id = ${subscriptionId} and expires_at > now()
              and (${status}::text is null or status = ${status}::text)
              and (${before}::bigint is null or event_cursor < ${before}::bigint)
            order by event_cursor desc limit ${limit}`,
        );
      return rows.map(toDelivery);
    },

    async redeliver(tenantId, subscriptionId, deliveryId, now) {
      // leaseAfterRedelivery of domain/claim-order.ts: an attempt in flight keeps the delivery under
      // a superseded lease, so its outcome no longer overwrites the redelivery.
      const [row] = await db()
        .forTenant(tenantId)
        .query<DeliveryRow>(
          'redeliver',
          sql`update deliveries set status = 'pending', attempts = 0, next_attempt_at = ${now},
              delivered_at = null, series_started_at = ${now},
              lease_token = case when lease_expires_at > ${now}::timestamptz then
                case when starts_with(lease_token, ${supersededLeasePrefix}) then lease_token
                  else ${supersededLeasePrefix} || lease_token end end,
              lease_expires_at = case when lease_expires_at > ${now}::timestamptz then lease_expires_at end
            where tenant_id = ${tenantId} and subscription_id = ${subscriptionId} and delivery_id = ${deliveryId}
              and expires_at > ${now}::timestamptz
            returning ${deliveryColumns}`,
        );
      return row ? toDelivery(row) : null;
    },

    async counts() {
      const [row] = await db().global.query<{ pending: number; paused: number }>(
        'count deliveries and paused subscriptions',
        sql`select
          (select count(*) from deliveries where status = 'pending' and expires_at > now())::integer as pending,
          (select count(*) from subscriptions where enabled and paused_at is not null)::integer as paused`,
      );
      return { pending: row?.pending ?? 0, paused: row?.paused ?? 0 };
    },
  };
}
