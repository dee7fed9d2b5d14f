-- Up Migration

-- Service identity on gRPC (docs/service-identity.md). GetAccessToken's audit names the service
-- whose client certificate made the call (caller_kind 'service', caller_id its name) and, for a
-- token ingress hands to a bot, that bot in bot_id. Rows written before this migration hold the
-- caller's unproven claim in caller_kind and caller_id, and no bot_id.
alter table audit add column bot_id text;

-- gRPC calls refused for who made them: no client certificate of the CA (unauthenticated), or a
-- service the method does not allow (permission_denied). One row per kind of refusal (method, code,
-- the identity seen or null), address (peer, without the port; `*` for the sources past auth's
-- per-minute limit) and minute (window_start): repeats add to count and move last_seen, so a
-- client looping refused calls adds one row a minute, not one a call. Not a tenant's data: a
-- refused caller is not trusted to name a tenant, so tenant_id is only what the first request of
-- the row claimed (or null), and the log spans tenants. Row-level security lets only statements
-- outside tenant scope reach it (db.global, `parley.global` on), and the expiry sweep remove rows
-- past expires_at (90 days). Operators read it as a superuser or, as parley_auth,
--   begin; set local parley.global = on;
--   select last_seen, count, method, code, caller, peer, tenant_id from refused_calls
--     order by last_seen desc limit 100;
--   commit;
create table refused_calls (
  refusal_id bigint generated always as identity primary key,
  window_start timestamptz not null,
  method text not null,
  code text not null,
  caller text,
  peer text not null,
  tenant_id text,
  first_seen timestamptz not null,
  last_seen timestamptz not null,
  count integer not null check (count > 0),
  expires_at timestamptz not null
);
-- The record repeats are added to; a refusal without an identity is one kind too (PostgreSQL 15+).
create unique index refused_calls_kind on refused_calls
  (window_start, method, code, caller, peer) nulls not distinct;
create index refused_calls_last_seen on refused_calls (last_seen desc);
create index refused_calls_expiry on refused_calls (expires_at);

alter table refused_calls enable row level security;
alter table refused_calls force row level security;
create policy refusal_log on refused_calls
  using (current_setting('parley.global', true) = 'on')
  with check (current_setting('parley.global', true) = 'on');
create policy expiry_sweep on refused_calls for all
  using (current_setting('parley.maintenance', true) = 'on' and expires_at < now());

-- Down Migration

drop table refused_calls;
alter table audit drop column bot_id;
