-- Up Migration

-- API keys expire and can be revoked (README, "API keys"). A key is refused from expires_at on
-- (api_key_expired) and from revoked_at on (api_key_revoked); the row stays, so what a key did can
-- still be traced to it. Keys created before this migration have no expiry (null) and stay valid
-- until revoked.
alter table api_keys add column expires_at timestamptz;
alter table api_keys add column revoked_at timestamptz;

-- Down Migration

alter table api_keys drop column revoked_at;
alter table api_keys drop column expires_at;
