-- Up Migration

-- Tenant API keys (bots, agents, admins). Only the SHA-256 of the secret is kept.
create table api_keys (
  tenant_id text not null,
  key_id text not null,
  name text not null,
  scopes text[] not null check (scopes <@ array['admin', 'bot', 'agent']::text[]),
  secret_hash text not null,
  created_at timestamptz not null,
  primary key (tenant_id, key_id),
  -- A presented key names only its key id: the id is unique across tenants, and the tenant of a
  -- request is read from the key found, never from the request.
  constraint api_keys_key_id_key unique (key_id)
);

-- A request is authenticated before its tenant is known, so the lookup by key id runs outside any
-- tenant scope (db.global, which sets parley.global) and sees every tenant's keys; it returns the
-- key's own tenant, which is then the request's tenant, so the caller never chooses one. Everything
-- else runs in its tenant's scope (db.forTenant): it sees that tenant's keys only, and the policy
-- refuses a key written, changed or deleted for any other tenant.
alter table api_keys enable row level security;
alter table api_keys force row level security;
create policy tenant_isolation on api_keys
  using (tenant_id = current_setting('parley.tenant_id', true))
  with check (tenant_id = current_setting('parley.tenant_id', true));
create policy key_lookup on api_keys for select using (current_setting('parley.global', true) = 'on');

-- Down Migration

drop table api_keys;
