-- Up Migration

-- A session also ends after SESSION_IDLE_TIMEOUT_SECONDS without use (README "Sessions"):
-- idle_expires_at moves forward when the session authorizes a message or stream, at most once a
-- minute (not a write per message). Null: no idle limit (sessions created before this migration,
-- or with the idle timeout off); such a session gets one at its next use while the timeout is on.
-- Reads treat a session past either expiry as absent; the sweep removes it at expires_at.
alter table sessions add column idle_expires_at timestamptz;

-- GetAccessToken no longer reads "the customer's latest credentials" (it takes the request's
-- channel); the credentials_latest index stays for pods of the release before, until a later
-- migration drops it (expand, then contract: docs/database.md).

-- Down Migration

alter table sessions drop column idle_expires_at;
