import { ParleyError } from '@parley/errors';
import { type Database, type SqlStatement, sql } from '@parley/postgres';
import type {
  AuditEntry,
  Channel,
  Credentials,
  RefusedCall,
  Session,
  StoredCredentials,
  UnopenedChannel,
} from '../domain/model.js';
import {
  type AccessReads,
  type AuditLog,
  type AuthRepositories,
  type ChannelRepository,
  type CredentialRepository,
  checkLeaseTtl,
  type RefreshLocks,
  type RefusalLog,
  refusalWindowOf,
  type SecretBox,
  type SessionRepository,
} from '../domain/ports.js';
import { secretContexts } from './secret-contexts.js';

interface ChannelRow {
  tenant_id: string;
  channel_id: string;
  issuer: string;
  allow_without_pkce: boolean;
  endpoints: Channel['endpoints'];
  client_id: string;
  client_auth_method: Channel['client']['method'];
  sealed_client_secret: string;
  redirect_uris: string[];
  validation: Channel['validation'];
  mapping: Channel['mapping'];
  messaging_mode: Channel['messagingMode'];
  updated_at: Date;
}

interface CredentialsRow {
  tenant_id: string;
  customer_key: string;
  channel_id: string;
  subject: string;
  sealed_access_token: string;
  access_token_expires_at: Date;
  sealed_refresh_token: string | null;
  scope: string | null;
  version: number;
  updated_at: Date;
}

interface SessionRow {
  tenant_id: string;
  session_id: string;
  channel_id: string;
  customer_key: string;
  device_id: string;
  platform: string;
  thread_id: string;
  created_at: Date;
  expires_at: Date;
  idle_expires_at: Date | null;
}

interface AuditRow {
  tenant_id: string;
  customer_key: string;
  caller_kind: AuditEntry['caller']['kind'];
  caller_id: string;
  bot_id: string | null;
  reason: string;
  action: AuditEntry['action'];
  at: Date;
}

interface RefusalRow {
  method: string;
  code: RefusedCall['code'];
  caller: string | null;
  peer: string;
  tenant_id: string | null;
  first_seen: Date;
  last_seen: Date;
  count: number;
}

/** A row as `to_jsonb` renders it: timestamps as text. */
type Json<Row> = { [K in keyof Row]: Row[K] extends Date ? string : Row[K] };

const channelRowOf = (json: Json<ChannelRow>): ChannelRow => ({
  ...json,
  updated_at: new Date(json.updated_at),
});

const credentialsRowOf = (json: Json<CredentialsRow>): CredentialsRow => ({
  ...json,
  access_token_expires_at: new Date(json.access_token_expires_at),
  updated_at: new Date(json.updated_at),
});

/** How long refused calls are kept (the expiry sweep removes them after). */
const refusalRetentionDays = 90;

const credentialColumns = sql`tenant_id, customer_key, channel_id, subject, sealed_access_token,
  access_token_expires_at, sealed_refresh_token, scope, version, updated_at`;
const sessionColumns = sql`tenant_id, session_id, channel_id, customer_key, device_id, platform,
  thread_id, created_at, expires_at, idle_expires_at`;
/** A session neither past its expiry nor idle past its idle expiry, on the database's clock. */
const liveSession = sql`expires_at > now() and (idle_expires_at is null or idle_expires_at > now())`;
const inChannel = (channelId: string | undefined) => (channelId ? sql`and channel_id = ${channelId}` : sql``);

/**
 * The PostgreSQL repositories of the auth service. Every statement runs through
 * `db.forTenant(tenantId)` (row-level security confines it to that tenant) and names the tenant in
 * its key as well; client secrets and brand tokens are sealed with `secretBox` before they reach
 * the store. Expiry compares with the database's clock, as the sweeps do.
 *
 * @example
 * const stores = createAuthRepositories({ database: () => postgres.database(), secretBox });
 * await stores.channels.find('tenant-a', 'web');
 */
export function createAuthRepositories(deps: {
  /** The service's database; resolved per call, so the repositories exist before the pool starts. */
  database: () => Database;
  secretBox: SecretBox;
}): AuthRepositories {
  const { database, secretBox } = deps;
  const tenant = (tenantId: string) => database().forTenant(tenantId);

  const channels: ChannelRepository = {
    async save(channel) {
      const { tenantId, channelId, client } = channel;
      const sealedSecret = await secretBox.seal(
        client.clientSecret,
        secretContexts.clientSecret(tenantId, channelId),
      );
      await tenant(tenantId).query(
        'save channel',
        sql`insert into channels (tenant_id, channel_id, issuer, allow_without_pkce, endpoints, client_id,
            client_auth_method, sealed_client_secret, redirect_uris, validation, mapping, messaging_mode, updated_at)
          values (${tenantId}, ${channelId}, ${channel.issuer}, ${channel.allowWithoutPkce},
            ${JSON.stringify(channel.endpoints)}::jsonb, ${client.clientId}, ${client.method}, ${sealedSecret},
            ${[...channel.redirectUris]}::text[], ${JSON.stringify(channel.validation)}::jsonb,
            ${JSON.stringify(channel.mapping)}::jsonb, ${channel.messagingMode}, ${channel.updatedAt})
          on conflict (tenant_id, channel_id) do update set
            issuer = excluded.issuer, allow_without_pkce = excluded.allow_without_pkce,
            endpoints = excluded.endpoints, client_id = excluded.client_id,
            client_auth_method = excluded.client_auth_method, sealed_client_secret = excluded.sealed_client_secret,
            redirect_uris = excluded.redirect_uris, validation = excluded.validation, mapping = excluded.mapping,
            messaging_mode = excluded.messaging_mode, updated_at = excluded.updated_at`,
      );
    },
    async find(tenantId, channelId) {
      const [row] = await tenant(tenantId).query<ChannelRow>(
        'find channel',
        sql`select * from channels where tenant_id = ${tenantId} and channel_id = ${channelId}`,
      );
      return row ? openChannel(row) : null;
    },
  };

  /** A channel row's settings, its client secret still sealed. */
  const settingsOf = (row: ChannelRow) => ({
    tenantId: row.tenant_id,
    channelId: row.channel_id,
    issuer: row.issuer,
    allowWithoutPkce: row.allow_without_pkce,
    endpoints: row.endpoints,
    client: { clientId: row.client_id, method: row.client_auth_method },
    redirectUris: row.redirect_uris,
    validation: row.validation,
    mapping: row.mapping,
    messagingMode: row.messaging_mode,
    updatedAt: row.updated_at,
  });

  async function openChannel(row: ChannelRow): Promise<Channel> {
    const { tenant_id: tenantId, channel_id: channelId } = row;
    const clientSecret = await openBound(
      tenantId,
      row.sealed_client_secret,
      secretContexts.clientSecret(tenantId, channelId),
      (rebound) =>
        sql`update channels set sealed_client_secret = ${rebound}
          where tenant_id = ${tenantId} and channel_id = ${channelId}
            and sealed_client_secret = ${row.sealed_client_secret}`,
    );
    const settings = settingsOf(row);
    return { ...settings, client: { ...settings.client, clientSecret } };
  }

  const unopenedChannel = (row: ChannelRow): UnopenedChannel => ({
    ...settingsOf(row),
    open: () => openChannel(row),
  });

  /**
   * Opens a sealed column bound to `context`. A value sealed before secrets were bound (no context)
   * opens this once and is stored bound in its place, only if the row still holds it
   * (docs/database.md "Sealed secrets").
   */
  async function openBound(
    tenantId: string,
    sealed: string,
    context: string,
    rebind: (rebound: string) => SqlStatement,
  ): Promise<string> {
    const { plaintext, rebound } = await secretBox.openRebinding(sealed, context);
    if (rebound) await tenant(tenantId).query('bind sealed secret', rebind(rebound));
    return plaintext;
  }

  /**
   * Opens the access token; the refresh token stays sealed until `openRefreshToken` (a refresh or
   * a revocation), so a read costs one decryption.
   */
  async function openCredentials(row: CredentialsRow): Promise<StoredCredentials> {
    const { tenant_id: tenantId, customer_key: customerKey, channel_id: channelId } = row;
    const inRow = sql`tenant_id = ${tenantId} and customer_key = ${customerKey} and channel_id = ${channelId}`;
    const accessToken = await openBound(
      tenantId,
      row.sealed_access_token,
      secretContexts.accessToken(tenantId, customerKey, channelId),
      (rebound) =>
        sql`update credentials set sealed_access_token = ${rebound}
          where ${inRow} and sealed_access_token = ${row.sealed_access_token}`,
    );
    const sealedRefresh = row.sealed_refresh_token;
    return {
      tenantId,
      customerKey,
      channelId,
      subject: row.subject,
      accessToken,
      accessTokenExpiresAt: row.access_token_expires_at,
      ...(sealedRefresh === null
        ? {}
        : {
            openRefreshToken: () =>
              openBound(
                tenantId,
                sealedRefresh,
                secretContexts.refreshToken(tenantId, customerKey, channelId),
                (rebound) =>
                  sql`update credentials set sealed_refresh_token = ${rebound}
                    where ${inRow} and sealed_refresh_token = ${sealedRefresh}`,
              ),
          }),
      ...(row.scope === null ? {} : { scope: row.scope }),
      version: row.version,
      updatedAt: row.updated_at,
    };
  }

  async function sealCredentials(credentials: Credentials) {
    const { tenantId, customerKey, channelId } = credentials;
    return {
      accessToken: await secretBox.seal(
        credentials.accessToken,
        secretContexts.accessToken(tenantId, customerKey, channelId),
      ),
      refreshToken:
        credentials.refreshToken === undefined
          ? null
          : await secretBox.seal(
              credentials.refreshToken,
              secretContexts.refreshToken(tenantId, customerKey, channelId),
            ),
    };
  }

  const credentials: CredentialRepository = {
    async find(tenantId, customerKey, channelId) {
      const [row] = await tenant(tenantId).query<CredentialsRow>(
        'find credentials',
        sql`select ${credentialColumns} from credentials
          where tenant_id = ${tenantId} and customer_key = ${customerKey} and channel_id = ${channelId}`,
      );
      return row ? openCredentials(row) : null;
    },
    async findAllOfCustomer(tenantId, customerKey) {
      const rows = await tenant(tenantId).query<CredentialsRow>(
        'find credentials of customer',
        sql`select ${credentialColumns} from credentials
          where tenant_id = ${tenantId} and customer_key = ${customerKey} order by channel_id`,
      );
      return Promise.all(rows.map(openCredentials));
    },
    async save(next) {
      const sealed = await sealCredentials(next);
      await tenant(next.tenantId).query(
        'save credentials',
        sql`insert into credentials (${credentialColumns})
          values (${next.tenantId}, ${next.customerKey}, ${next.channelId}, ${next.subject}, ${sealed.accessToken},
            ${next.accessTokenExpiresAt}, ${sealed.refreshToken}, ${next.scope ?? null}, ${next.version},
            ${next.updatedAt})
          on conflict (tenant_id, customer_key, channel_id) do update set
            subject = excluded.subject, sealed_access_token = excluded.sealed_access_token,
            access_token_expires_at = excluded.access_token_expires_at,
            sealed_refresh_token = excluded.sealed_refresh_token, scope = excluded.scope,
            version = excluded.version, updated_at = excluded.updated_at`,
      );
    },
    async replace(next) {
      const sealed = await sealCredentials(next);
      // An update, never an insert: credentials a logout deleted stay deleted. Only from the version
      // before `next`, so a late writer cannot overwrite credentials that moved on meanwhile.
      const rows = await tenant(next.tenantId).query(
        'replace credentials',
        sql`update credentials set subject = ${next.subject}, sealed_access_token = ${sealed.accessToken},
            access_token_expires_at = ${next.accessTokenExpiresAt}, sealed_refresh_token = ${sealed.refreshToken},
            scope = ${next.scope ?? null}, version = ${next.version}, updated_at = ${next.updatedAt}
          where tenant_id = ${next.tenantId} and customer_key = ${next.customerKey}
            and channel_id = ${next.channelId} and version = ${next.version - 1}
          returning 1`,
      );
      return rows.length > 0;
    },
    async delete(tenantId, customerKey, channelId) {
      await tenant(tenantId).query(
        'delete credentials',
        sql`delete from credentials
          where tenant_id = ${tenantId} and customer_key = ${customerKey} and channel_id = ${channelId}`,
      );
    },
  };

  const toSession = (row: SessionRow): Session => ({
    sessionId: row.session_id,
    tenantId: row.tenant_id,
    channelId: row.channel_id,
    customerKey: row.customer_key,
    deviceId: row.device_id,
    platform: row.platform,
    threadId: row.thread_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    ...(row.idle_expires_at === null ? {} : { idleExpiresAt: row.idle_expires_at }),
  });

  const sessions: SessionRepository = {
    async create(session) {
      const rows = await tenant(session.tenantId).query(
        'create session',
        sql`insert into sessions (${sessionColumns})
          values (${session.tenantId}, ${session.sessionId}, ${session.channelId}, ${session.customerKey},
            ${session.deviceId}, ${session.platform}, ${session.threadId}, ${session.createdAt},
            ${session.expiresAt}, ${session.idleExpiresAt ?? null})
          on conflict (tenant_id, session_id) do nothing
          returning 1`,
      );
      if (rows.length === 0) throw new ParleyError('already_exists', 'a session with this id exists');
    },
    async find(tenantId, sessionId) {
      const [row] = await tenant(tenantId).query<SessionRow>(
        'find session',
        sql`select ${sessionColumns} from sessions
          where tenant_id = ${tenantId} and session_id = ${sessionId} and ${liveSession}`,
      );
      return row ? toSession(row) : null;
    },
    async touch(tenantId, sessionId, idleExpiresAt, minStepMs) {
      await tenant(tenantId).query(
        'touch session',
        sql`update sessions set idle_expires_at = ${idleExpiresAt}
          where tenant_id = ${tenantId} and session_id = ${sessionId} and ${liveSession}
            and (idle_expires_at is null
              or idle_expires_at <= ${idleExpiresAt}::timestamptz - ${Math.ceil(minStepMs)}::integer * interval '1 millisecond')`,
      );
    },
    async channelsOfThread(tenantId, customerKey, threadId) {
      const rows = await tenant(tenantId).query<{ channel_id: string }>(
        'channels of thread',
        sql`select distinct channel_id from sessions
          where tenant_id = ${tenantId} and customer_key = ${customerKey} and thread_id = ${threadId}
            and ${liveSession}
          order by channel_id`,
      );
      return rows.map((row) => row.channel_id);
    },
    async delete(tenantId, sessionId) {
      await tenant(tenantId).query(
        'delete session',
        sql`delete from sessions where tenant_id = ${tenantId} and session_id = ${sessionId}`,
      );
    },
    async deleteAllOfCustomer(tenantId, customerKey, channelId) {
      // Expired sessions go too, but only live ones count as ended now.
      const [row] = await tenant(tenantId).query<{ ended: number }>(
        'delete sessions of customer',
        sql`with ended as (
            delete from sessions
            where tenant_id = ${tenantId} and customer_key = ${customerKey} ${inChannel(channelId)}
            returning expires_at, idle_expires_at)
          select (count(*) filter (where ${liveSession}))::integer as ended from ended`,
      );
      return row?.ended ?? 0;
    },
    async countOfCustomer(tenantId, customerKey, channelId) {
      const [row] = await tenant(tenantId).query<{ live: number }>(
        'count sessions of customer',
        sql`select count(*)::integer as live from sessions
          where tenant_id = ${tenantId} and customer_key = ${customerKey} ${inChannel(channelId)}
            and ${liveSession}`,
      );
      return row?.live ?? 0;
    },
  };

  // Each read one statement: rows of other tables come as JSON (to_jsonb), under the same tenant
  // scope, their timestamps revived.
  const access: AccessReads = {
    async customerChannel(tenantId, customerKey, channelId) {
      const [row] = await tenant(tenantId).query<{
        credentials: Json<CredentialsRow> | null;
        channel: Json<ChannelRow> | null;
        signed_in: boolean;
      }>(
        'find customer channel access',
        sql`select
            (select to_jsonb(credentials) from credentials
              where tenant_id = ${tenantId} and customer_key = ${customerKey} and channel_id = ${channelId})
              as credentials,
            (select to_jsonb(channels) from channels
              where tenant_id = ${tenantId} and channel_id = ${channelId}) as channel,
            exists (select 1 from sessions
              where tenant_id = ${tenantId} and customer_key = ${customerKey} and channel_id = ${channelId}
                and ${liveSession}) as signed_in`,
      );
      return {
        credentials: row?.credentials ? await openCredentials(credentialsRowOf(row.credentials)) : null,
        channel: row?.channel ? unopenedChannel(channelRowOf(row.channel)) : null,
        signedIn: row?.signed_in ?? false,
      };
    },
    async session(tenantId, sessionId) {
      const [row] = await tenant(tenantId).query<
        SessionRow & { channel: Json<ChannelRow> | null; credentials: Json<CredentialsRow> | null }
      >(
        'find session access',
        sql`select ${sessionColumns},
            (select to_jsonb(channels) from channels
              where channels.tenant_id = sessions.tenant_id and channels.channel_id = sessions.channel_id)
              as channel,
            (select to_jsonb(credentials) from credentials
              where credentials.tenant_id = sessions.tenant_id
                and credentials.customer_key = sessions.customer_key
                and credentials.channel_id = sessions.channel_id) as credentials
          from sessions
          where tenant_id = ${tenantId} and session_id = ${sessionId} and ${liveSession}`,
      );
      if (!row) return null;
      return {
        session: toSession(row),
        channel: row.channel ? await openChannel(channelRowOf(row.channel)) : null,
        credentials: row.credentials ? await openCredentials(credentialsRowOf(row.credentials)) : null,
      };
    },
  };

  const audit: AuditLog = {
    async record(entry) {
      await tenant(entry.tenantId).query(
        'record audit entry',
        sql`insert into audit (tenant_id, customer_key, caller_kind, caller_id, bot_id, reason, action, at)
          values (${entry.tenantId}, ${entry.customerKey}, ${entry.caller.kind}, ${entry.caller.id},
            ${entry.botId ?? null}, ${entry.reason}, ${entry.action}, ${entry.at})`,
      );
    },
    async listOfCustomer(tenantId, customerKey, limit = 100) {
      const rows = await tenant(tenantId).query<AuditRow>(
        'list audit entries of customer',
        sql`select tenant_id, customer_key, caller_kind, caller_id, bot_id, reason, action, at from audit
          where tenant_id = ${tenantId} and customer_key = ${customerKey}
          order by at desc, audit_id desc limit ${limit}`,
      );
      return rows.map((row) => ({
        tenantId: row.tenant_id,
        customerKey: row.customer_key,
        caller: { kind: row.caller_kind, id: row.caller_id },
        ...(row.bot_id === null ? {} : { botId: row.bot_id }),
        reason: row.reason,
        action: row.action,
        at: row.at,
      }));
    },
  };

  // Outside tenant scope by design (migration 0002): a refused caller's tenant is only a claim.
  const refusals: RefusalLog = {
    async record(refusal) {
      const { method, code, caller, peer, tenantId, firstSeen, lastSeen, count } = refusal;
      // One statement, so processes adding to the same record at once add up (the unique key).
      await database().global.query(
        'record refused calls',
        sql`insert into refused_calls
            (window_start, method, code, caller, peer, tenant_id, first_seen, last_seen, count, expires_at)
          values (${refusalWindowOf(firstSeen)}, ${method}, ${code}, ${caller ?? null}, ${peer},
            ${tenantId ?? null}, ${firstSeen}, ${lastSeen}, ${count},
            now() + ${refusalRetentionDays}::integer * interval '1 day')
          on conflict (window_start, method, code, caller, peer) do update set
            tenant_id = coalesce(refused_calls.tenant_id, excluded.tenant_id),
            first_seen = least(refused_calls.first_seen, excluded.first_seen),
            last_seen = greatest(refused_calls.last_seen, excluded.last_seen),
            count = refused_calls.count + excluded.count`,
      );
    },
    async listRecent(limit = 100) {
      const rows = await database().global.query<RefusalRow>(
        'list refused calls',
        sql`select method, code, caller, peer, tenant_id, first_seen, last_seen, count from refused_calls
          order by last_seen desc, refusal_id desc limit ${limit}`,
      );
      return rows.map((row) => ({
        method: row.method,
        code: row.code,
        ...(row.caller === null ? {} : { caller: row.caller }),
        peer: row.peer,
        ...(row.tenant_id === null ? {} : { tenantId: row.tenant_id }),
        firstSeen: row.first_seen,
        lastSeen: row.last_seen,
        count: row.count,
      }));
    },
  };

  const refreshLocks: RefreshLocks = {
    async tryAcquire(tenantId, key, owner, ttlMs) {
      checkLeaseTtl(ttlMs);
      // One statement: a free key is inserted, a lease that ran out is taken over, a running lease
      // is left alone (no row returned). Contenders queue on the row, and each re-checks the
      // condition on the row as the one before it left it, so a lease is never granted twice.
      const rows = await tenant(tenantId).query<{ owner: string }>(
        'acquire refresh lock',
        sql`insert into refresh_locks (tenant_id, lock_key, owner, expires_at)
          values (${tenantId}, ${key}, ${owner}, now() + ${Math.ceil(ttlMs)}::integer * interval '1 millisecond')
          on conflict (tenant_id, lock_key) do update set owner = excluded.owner, expires_at = excluded.expires_at
            where refresh_locks.expires_at <= now()
          returning owner`,
      );
      return rows[0]?.owner === owner;
    },
    async release(tenantId, key, owner) {
      await tenant(tenantId).query(
        'release refresh lock',
        sql`delete from refresh_locks where tenant_id = ${tenantId} and lock_key = ${key} and owner = ${owner}`,
      );
    },
  };

  return { channels, credentials, sessions, access, audit, refusals, refreshLocks };
}
