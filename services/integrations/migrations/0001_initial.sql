-- Up Migration

-- Integrations' store (docs/integrations.md, docs/database.md). Every key leads with tenant_id, and
-- row-level security shows each statement one tenant only.

-- Each tenant's newest event cursor (and the expiry of its newest event), bumped in the statement
-- that appends the next event: cursors are gap-free and increasing per tenant, events commit in
-- cursor order (the row is locked until the append commits), and expiry never goes backwards, so
-- the expired events of a tenant are always its oldest ones. Kept when the events expire, so a
-- cursor is never handed out twice.
create table tenant_cursors (
  tenant_id text not null primary key,
  last_cursor bigint not null,
  last_expires_at timestamptz not null
);

-- The tenant event log: every event once per (tenant, event id), with the body webhooks and the
-- stream send byte for byte.
create table events (
  tenant_id text not null,
  cursor bigint not null,
  event_id text not null,
  type text not null check (type in ('message.enriched', 'message.stored', 'customer.updated', 'session.ended')),
  thread_id text,
  customer_key text not null,
  -- What deliveries keep in order: the thread, or `customer:<key>` for events of no thread.
  order_key text not null,
  occurred_at timestamptz not null,
  body text not null,
  appended_at timestamptz not null,
  expires_at timestamptz not null,
  primary key (tenant_id, cursor),
  constraint events_event_once unique (tenant_id, event_id)
);
create index events_expiry on events (expires_at);

-- Webhook subscriptions. The signing secrets are sealed (libs/secrets) and bound to the tenant and
-- the subscription; the previous secret signs beside the new one until previous_secret_expires_at.
-- Status: disabled when not enabled, paused (paused_at set) when its attempts kept failing.
create table subscriptions (
  tenant_id text not null,
  subscription_id text not null,
  url text not null,
  event_types text[] not null
    check (event_types <@ array['message.enriched', 'message.stored', 'customer.updated', 'session.ended']::text[]),
  description text not null,
  enabled boolean not null,
  paused_at timestamptz,
  paused_reason text,
  -- Since when no attempt has succeeded (null after a success).
  failing_since timestamptz,
  sealed_secret text not null,
  sealed_previous_secret text,
  previous_secret_expires_at timestamptz,
  secret_rotated_at timestamptz not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (tenant_id, subscription_id)
);

-- One delivery of one event to one subscription, with its latest attempt (the delivery log). A
-- claim leases it (lease_token, lease_expires_at) so that no two replicas send the same attempt at
-- once, and a crashed replica's lease runs out and the delivery is taken again. It expires with its
-- event.
create table deliveries (
  tenant_id text not null,
  delivery_id text not null,
  subscription_id text not null,
  event_cursor bigint not null,
  event_id text not null,
  event_type text not null,
  thread_id text,
  order_key text not null,
  status text not null check (status in ('pending', 'delivered', 'failed')),
  attempts integer not null,
  next_attempt_at timestamptz,
  lease_token text,
  lease_expires_at timestamptz,
  last_attempt_at timestamptz,
  last_status_code integer,
  last_error text,
  delivered_at timestamptz,
  created_at timestamptz not null,
  -- Start of the current attempt series (creation, or the last redelivery): retries end 24 h on.
  series_started_at timestamptz not null,
  expires_at timestamptz not null,
  primary key (tenant_id, delivery_id),
  constraint deliveries_once unique (tenant_id, subscription_id, event_id)
);
create index deliveries_due on deliveries (next_attempt_at) where status = 'pending';
create index deliveries_thread_order on deliveries (tenant_id, subscription_id, order_key, event_cursor)
  where status = 'pending';
create index deliveries_log on deliveries (tenant_id, subscription_id, event_cursor desc);
create index deliveries_expiry on deliveries (expires_at);

alter table tenant_cursors enable row level security;
alter table tenant_cursors force row level security;
create policy tenant_isolation on tenant_cursors
  using (tenant_id = current_setting('parley.tenant_id', true))
  with check (tenant_id = current_setting('parley.tenant_id', true));

alter table events enable row level security;
alter table events force row level security;
create policy tenant_isolation on events
  using (tenant_id = current_setting('parley.tenant_id', true))
  with check (tenant_id = current_setting('parley.tenant_id', true));
create policy expiry_sweep on events for all
  using (current_setting('parley.maintenance', true) = 'on' and expires_at < now());

-- The dispatcher looks for due work across tenants (db.global, which sets parley.global) and then
-- claims and changes it only in each tenant's own scope; the metrics count pending deliveries and
-- paused subscriptions the same way. Global statements read these two tables and write nothing.
alter table subscriptions enable row level security;
alter table subscriptions force row level security;
create policy tenant_isolation on subscriptions
  using (tenant_id = current_setting('parley.tenant_id', true))
  with check (tenant_id = current_setting('parley.tenant_id', true));
create policy due_scan on subscriptions for select using (current_setting('parley.global', true) = 'on');

alter table deliveries enable row level security;
alter table deliveries force row level security;
create policy tenant_isolation on deliveries
  using (tenant_id = current_setting('parley.tenant_id', true))
  with check (tenant_id = current_setting('parley.tenant_id', true));
create policy due_scan on deliveries for select using (current_setting('parley.global', true) = 'on');
create policy expiry_sweep on deliveries for all
  using (current_setting('parley.maintenance', true) = 'on' and expires_at < now());

-- Down Migration

drop table deliveries;
drop table subscriptions;
drop table events;
drop table tenant_cursors;
