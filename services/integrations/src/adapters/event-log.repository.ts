import { ParleyError } from '@parley/errors';
import { type Database, isUniqueViolation, sql } from '@parley/postgres';
import type { EventType, TenantEvent } from '../domain/model.js';
import type { EventLog } from '../domain/ports.js';

interface EventJson {
  readonly cursor: number;
  readonly event_id: string;
  readonly type: EventType;
  readonly thread_id: string | null;
  readonly customer_key: string;
  readonly order_key: string;
  readonly occurred_at: string;
  readonly body: string;
}

/**
 * The tenant event log on PostgreSQL. An append is one statement: the tenant's cursor row is bumped
 * (and locked until commit, so a tenant's events commit in cursor order), the event inserted with
 * that cursor, and a delivery queued for every enabled subscription that takes its type.
 */
export function createEventLogRepository(db: () => Database): EventLog {
  return {
    async append(event, { now, expiresAt }) {
      const { tenantId, id } = event;
      const tenant = db().forTenant(tenantId);
      const existing = sql`select cursor from events where tenant_id = ${tenantId} and event_id = ${id}`;
      let rows: { cursor: string; inserted: boolean; deliveries: number }[];
      try {
        rows = await tenant.query(
          'append event',
          sql`with existing as (${existing}),
          bumped as (
            insert into tenant_cursors (tenant_id, last_cursor, last_expires_at)
            select ${tenantId}::text, 1, ${expiresAt}::timestamptz where not exists (select from existing)
            on conflict (tenant_id) do update
              set last_cursor = tenant_cursors.last_cursor + 1,
                  last_expires_at = greatest(tenant_cursors.last_expires_at, excluded.last_expires_at)
            returning last_cursor, last_expires_at
          ),
          inserted as (
            insert into events (tenant_id, cursor, event_id, type, thread_id, customer_key, order_key,
              occurred_at, body, appended_at, expires_at)
            select ${tenantId}::text, last_cursor, ${id}::text, ${event.type}::text, ${event.threadId}::text,
              ${event.customerKey}::text, ${event.orderKey}::text, ${event.occurredAt}::timestamptz,
              ${event.body}::text, ${now}::timestamptz, last_expires_at
            from bumped
            returning cursor, expires_at
          ),
          queued as (
            insert into deliveries (tenant_id, delivery_id, subscription_id, event_cursor, event_id, event_type,
              thread_id, order_key, status, attempts, next_attempt_at, created_at, series_started_at, expires_at)
            select ${tenantId}::text, 'dlv_' || replace(gen_random_uuid()::text, '-', ''), s.subscription_id,
              i.cursor, ${id}::text, ${event.type}::text, ${event.threadId}::text, ${event.orderKey}::text,
              'pending', 0, ${now}::timestamptz, ${now}::timestamptz, ${now}::timestamptz, i.expires_at
            from inserted i
            join subscriptions s on s.tenant_id = ${tenantId} and s.enabled and ${event.type}::text = any(s.event_types)
            returning 1
          )
          select cursor, false as inserted, 0 as deliveries from existing
          union all
          select cursor, true as inserted, (select count(*) from queued)::integer as deliveries from inserted`,
        );
      } catch (error) {
        // Appended by a concurrent delivery of the same record after this statement began: the
        // violation rolled the cursor back, so the stored event stands, without a gap.
        if (!isUniqueViolation(error, 'events_event_once')) throw error;
        rows = (await tenant.query<{ cursor: string }>('read appended event', existing)).map((row) => ({
          ...row,
          inserted: false,
          deliveries: 0,
        }));
      }
      const [row] = rows;
      if (!row)
        throw new ParleyError('server_error', 'append returned no event', { context: { eventId: id } });
      return { cursor: Number(row.cursor), inserted: row.inserted, deliveries: row.deliveries };
    },

    async read(tenantId, { after, limit, types, now }) {
      const ofType = types === null ? sql`` : sql`and type = any(${[...types]}::text[])`;
      // One statement, so the page, the head and the oldest live event come from one snapshot.
      const [row] = await db()
        .forTenant(tenantId)
        .query<{ head: string; oldest: string | null; events: EventJson[] }>(
          'read events',
          sql`select
            coalesce((select last_cursor from tenant_cursors where tenant_id = ${tenantId}), 0) as head,
            (select min(cursor) from events where tenant_id = ${tenantId} and expires_at > ${now}::timestamptz) as oldest,
            coalesce((select json_agg(page order by page.cursor) from (
              select cursor, event_id, type, thread_id, customer_key, order_key, occurred_at, body from events
              where tenant_id = ${tenantId} and cursor > ${after} and expires_at > ${now}::timestamptz ${ofType}
              order by cursor limit ${limit}
            ) page), '[]'::json) as events`,
        );
      const events: TenantEvent[] = (row?.events ?? []).map((event) => ({
        tenantId,
        cursor: Number(event.cursor),
        id: event.event_id,
        type: event.type,
        threadId: event.thread_id,
        customerKey: event.customer_key,
        orderKey: event.order_key,
        occurredAt: new Date(event.occurred_at),
        body: event.body,
      }));
      return {
        events,
        head: Number(row?.head ?? 0),
        oldest: row?.oldest === null || row?.oldest === undefined ? null : Number(row.oldest),
      };
    },
  };
}
