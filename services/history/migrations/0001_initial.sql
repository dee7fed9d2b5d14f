-- Up Migration

-- History's store (docs/database.md). Every key leads with tenant_id, so no tenant shares a thread, a
-- sequence or a customer with another, and row-level security shows each statement one tenant only.

-- A customer's thread: its owner, and the number of its newest message (bumped in the statement
-- that stores the next one, so numbers are gap-free).
create table threads (
  tenant_id text not null,
  thread_id text not null,
  customer_key text not null,
  last_seq bigint not null,
  primary key (tenant_id, thread_id)
);

-- Every message once per (tenant, thread, message id), numbered per thread.
create table messages (
  tenant_id text not null,
  thread_id text not null,
  seq bigint not null,
  message_id text not null,
  customer_key text not null,
  author_kind text not null check (author_kind in ('customer', 'bot', 'agent')),
  author_id text not null,
  author_name text,
  device_id text,
  text text not null,
  sent_at timestamptz not null,
  stored_at timestamptz not null,
  -- Customer messages: whether the brand's customer data came with it ({status, reason?}).
  customer_data jsonb,
  primary key (tenant_id, thread_id, seq),
  constraint messages_message_once unique (tenant_id, thread_id, message_id)
);

-- What the brand last said about a customer: one row, replaced only by a newer snapshot.
create table customers (
  tenant_id text not null,
  customer_key text not null,
  id text not null,
  name text,
  fields jsonb not null,
  fetched_at timestamptz not null,
  primary key (tenant_id, customer_key)
);

-- Fields agents set on a customer, beside (never inside) the brand's snapshot.
create table customer_agent_fields (
  tenant_id text not null,
  customer_key text not null,
  name text not null,
  value jsonb not null,
  updated_at timestamptz not null,
  primary key (tenant_id, customer_key, name)
);

alter table threads enable row level security;
alter table threads force row level security;
create policy tenant_isolation on threads
  using (tenant_id = current_setting('parley.tenant_id', true))
  with check (tenant_id = current_setting('parley.tenant_id', true));

alter table messages enable row level security;
alter table messages force row level security;
create policy tenant_isolation on messages
  using (tenant_id = current_setting('parley.tenant_id', true))
  with check (tenant_id = current_setting('parley.tenant_id', true));

alter table customers enable row level security;
alter table customers force row level security;
create policy tenant_isolation on customers
  using (tenant_id = current_setting('parley.tenant_id', true))
  with check (tenant_id = current_setting('parley.tenant_id', true));

alter table customer_agent_fields enable row level security;
alter table customer_agent_fields force row level security;
create policy tenant_isolation on customer_agent_fields
  using (tenant_id = current_setting('parley.tenant_id', true))
  with check (tenant_id = current_setting('parley.tenant_id', true));

-- Down Migration

drop table customer_agent_fields;
drop table customers;
drop table messages;
drop table threads;
