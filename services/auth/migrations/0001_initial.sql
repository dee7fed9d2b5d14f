-- Up Migration

-- The auth service's store. Every key starts with tenant_id, and every table is under
-- row-level security: a statement sees only the rows of the tenant its transaction set
-- (parley.tenant_id), so a query that forgets its tenant filter still cannot cross tenants. FORCE
-- because the service's own role owns these tables. Brand tokens and client secrets are stored only
-- sealed (JWE, sealed_* columns).

create table channels (
  tenant_id text not null,
  channel_id text not null,
  issuer text not null,
  allow_without_pkce boolean not null,
  endpoints jsonb not null,
  client_id text not null,
  client_auth_method text not null,
  sealed_client_secret text not null,
  redirect_uris text[] not null,
  validation jsonb not null,
  mapping jsonb not null,
  messaging_mode text not null,
  updated_at timestamptz not null,
  primary key (tenant_id, channel_id)
);

-- One set of brand tokens per customer and channel (a refresh token is bound to the channel's client).
create table credentials (
  tenant_id text not null,
  customer_key text not null,
  channel_id text not null,
  subject text not null,
  sealed_access_token text not null,
  access_token_expires_at timestamptz not null,
  sealed_refresh_token text,
  scope text,
  version integer not null,
  updated_at timestamptz not null,
  primary key (tenant_id, customer_key, channel_id)
);
-- GetAccessToken: the customer's most recently updated credentials.
create index credentials_latest on credentials (tenant_id, customer_key, updated_at desc);

create table sessions (
  tenant_id text not null,
  session_id text not null,
  channel_id text not null,
  customer_key text not null,
  device_id text not null,
  platform text not null,
  thread_id text not null,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  primary key (tenant_id, session_id)
);
-- Logout and GetAccessToken: the sessions of a customer (in one channel, or all of them).
create index sessions_customer on sessions (tenant_id, customer_key, channel_id);
-- The expiry sweep.
create index sessions_expiry on sessions (expires_at);

create table audit (
  tenant_id text not null,
  audit_id bigint generated always as identity,
  customer_key text not null,
  caller_kind text not null,
  caller_id text not null,
  reason text not null,
  action text not null,
  at timestamptz not null,
  primary key (tenant_id, audit_id)
);
create index audit_customer on audit (tenant_id, customer_key, at desc);

-- A lease per set of credentials: one refresh at a time across auth processes. Taken by one
-- `insert … on conflict … do update … where expires_at <= now()`, so it is never granted twice;
-- expires_at is on the database's clock.
create table refresh_locks (
  tenant_id text not null,
  lock_key text not null,
  owner text not null,
  expires_at timestamptz not null,
  primary key (tenant_id, lock_key)
);
create index refresh_locks_expiry on refresh_locks (expires_at);

alter table channels enable row level security;
alter table channels force row level security;
create policy tenant_isolation on channels
  using (tenant_id = current_setting('parley.tenant_id', true))
  with check (tenant_id = current_setting('parley.tenant_id', true));

alter table credentials enable row level security;
alter table credentials force row level security;
create policy tenant_isolation on credentials
  using (tenant_id = current_setting('parley.tenant_id', true))
  with check (tenant_id = current_setting('parley.tenant_id', true));

alter table sessions enable row level security;
alter table sessions force row level security;
create policy tenant_isolation on sessions
  using (tenant_id = current_setting('parley.tenant_id', true))
  with check (tenant_id = current_setting('parley.tenant_id', true));
create policy expiry_sweep on sessions for all
  using (current_setting('parley.maintenance', true) = 'on' and expires_at < now());

alter table audit enable row level security;
alter table audit force row level security;
create policy tenant_isolation on audit
  using (tenant_id = current_setting('parley.tenant_id', true))
  with check (tenant_id = current_setting('parley.tenant_id', true));

alter table refresh_locks enable row level security;
alter table refresh_locks force row level security;
create policy tenant_isolation on refresh_locks
  using (tenant_id = current_setting('parley.tenant_id', true))
  with check (tenant_id = current_setting('parley.tenant_id', true));
create policy expiry_sweep on refresh_locks for all
  using (current_setting('parley.maintenance', true) = 'on' and expires_at < now());

-- Down Migration

drop table refresh_locks;
drop table audit;
drop table sessions;
drop table credentials;
drop table channels;
