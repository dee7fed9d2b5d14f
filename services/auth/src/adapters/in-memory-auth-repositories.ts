import { ParleyError } from '@parley/errors';
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
  type Clock,
  type CredentialRepository,
  checkLeaseTtl,
  type RefreshLocks,
  type RefusalLog,
  refusalWindowOf,
  type SecretBox,
  type SessionRepository,
} from '../domain/ports.js';
import { secretContexts } from './secret-contexts.js';

type SealedChannel = Omit<Channel, 'client'> & {
  readonly client: Omit<Channel['client'], 'clientSecret'> & { readonly sealedSecret: string };
};
type SealedCredentials = Omit<Credentials, 'accessToken' | 'refreshToken'> & {
  readonly sealedAccessToken: string;
  readonly sealedRefreshToken?: string;
};

/** Rows of one tenant by key; a tenant's map is all a call for that tenant can reach. */
class TenantTable<Row> {
  private readonly tenants = new Map<string, Map<string, Row>>();
  of(tenantId: string): Map<string, Row> {
    if (typeof tenantId !== 'string' || tenantId.length === 0)
      throw new ParleyError('invalid_argument', 'tenant scope is empty');
    let rows = this.tenants.get(tenantId);
    if (!rows) {
      rows = new Map();
      this.tenants.set(tenantId, rows);
    }
    return rows;
  }
}

const credentialsKey = (customerKey: string, channelId: string) => `${customerKey}\u0000${channelId}`;

/**
 * The auth store ports in memory, for domain and edge tests without a database. They keep the
 * PostgreSQL adapters' contract (`auth-repositories.contract.ts`): secrets sealed with
 * `secretBox`, copies in and out, expiry by `clock`, leases never granted twice.
 *
 * @example
 * const app = createApp({ config, logger, version, stores: createInMemoryAuthRepositories({ secretBox }) });
 */
export function createInMemoryAuthRepositories(deps: {
  secretBox: SecretBox;
  clock?: Clock;
}): AuthRepositories {
  const { secretBox, clock = { now: () => new Date() } } = deps;
  const channelRows = new TenantTable<SealedChannel>();
  const credentialRows = new TenantTable<SealedCredentials>();
  const sessionRows = new TenantTable<Session>();
  const auditRows = new TenantTable<AuditEntry>();
  const leaseRows = new TenantTable<{ owner: string; expiresAt: number }>();
  let auditSeq = 0;
  const now = () => clock.now().getTime();
  const live = (session: Session) =>
    session.expiresAt.getTime() > now() &&
    (session.idleExpiresAt === undefined || session.idleExpiresAt.getTime() > now());

  const channels: ChannelRepository = {
    async save({ client, ...channel }) {
      const { clientSecret, ...publicClient } = client;
      const context = secretContexts.clientSecret(channel.tenantId, channel.channelId);
      const sealed = { ...publicClient, sealedSecret: await secretBox.seal(clientSecret, context) };
      channelRows
        .of(channel.tenantId)
        .set(channel.channelId, structuredClone({ ...channel, client: sealed }));
    },
    async find(tenantId, channelId) {
      const row = channelRows.of(tenantId).get(channelId);
      return row ? openChannel(row) : null;
    },
  };

  async function openChannel(row: SealedChannel): Promise<Channel> {
    const { client, ...settings } = structuredClone(row);
    const { sealedSecret, ...publicClient } = client;
    const context = secretContexts.clientSecret(row.tenantId, row.channelId);
    return {
      ...settings,
      client: { ...publicClient, clientSecret: await secretBox.open(sealedSecret, context) },
    };
  }

  function unopenedChannel(row: SealedChannel): UnopenedChannel {
    const { client, ...settings } = structuredClone(row);
    const { sealedSecret: _sealed, ...publicClient } = client;
    return { ...settings, client: publicClient, open: () => openChannel(row) };
  }

  async function seal({ accessToken, refreshToken, ...rest }: Credentials): Promise<SealedCredentials> {
    const { tenantId, customerKey, channelId } = rest;
    const refreshContext = secretContexts.refreshToken(tenantId, customerKey, channelId);
    return structuredClone({
      ...rest,
      sealedAccessToken: await secretBox.seal(
        accessToken,
        secretContexts.accessToken(tenantId, customerKey, channelId),
      ),
      ...(refreshToken === undefined
        ? {}
        : { sealedRefreshToken: await secretBox.seal(refreshToken, refreshContext) }),
    });
  }

  /** Opens the access token; the refresh token only when `openRefreshToken` is called. */
  async function open(row: SealedCredentials): Promise<StoredCredentials> {
    const { sealedAccessToken, sealedRefreshToken, ...rest } = structuredClone(row);
    const { tenantId, customerKey, channelId } = rest;
    const refreshContext = secretContexts.refreshToken(tenantId, customerKey, channelId);
    return {
      ...rest,
      accessToken: await secretBox.open(
        sealedAccessToken,
        secretContexts.accessToken(tenantId, customerKey, channelId),
      ),
      ...(sealedRefreshToken === undefined
        ? {}
        : { openRefreshToken: () => secretBox.open(sealedRefreshToken, refreshContext) }),
    };
  }

  const ofCustomer = (tenantId: string, customerKey: string) =>
    [...credentialRows.of(tenantId).values()]
      .filter((row) => row.customerKey === customerKey)
      .sort((a, b) => a.channelId.localeCompare(b.channelId));

  const credentials: CredentialRepository = {
    async find(tenantId, customerKey, channelId) {
      const row = credentialRows.of(tenantId).get(credentialsKey(customerKey, channelId));
      return row ? open(row) : null;
    },
    async findAllOfCustomer(tenantId, customerKey) {
      return Promise.all(ofCustomer(tenantId, customerKey).map(open));
    },
    async save(next) {
      const row = await seal(next);
      credentialRows.of(next.tenantId).set(credentialsKey(next.customerKey, next.channelId), row);
    },
    async replace(next) {
      const rows = credentialRows.of(next.tenantId);
      const key = credentialsKey(next.customerKey, next.channelId);
      const row = await seal(next);
      // Compare-and-set: checked and written with no await in between.
      if (rows.get(key)?.version !== next.version - 1) return false;
      rows.set(key, row);
      return true;
    },
    async delete(tenantId, customerKey, channelId) {
      credentialRows.of(tenantId).delete(credentialsKey(customerKey, channelId));
    },
  };

  const sessionsOf = (tenantId: string, customerKey: string, channelId?: string) =>
    [...sessionRows.of(tenantId).values()].filter(
      (session) => session.customerKey === customerKey && (!channelId || session.channelId === channelId),
    );

  const sessions: SessionRepository = {
    async create(session) {
      const rows = sessionRows.of(session.tenantId);
      if (rows.has(session.sessionId))
        throw new ParleyError('already_exists', 'a session with this id exists');
      rows.set(session.sessionId, structuredClone(session));
    },
    async find(tenantId, sessionId) {
      const session = sessionRows.of(tenantId).get(sessionId);
      return session && live(session) ? structuredClone(session) : null;
    },
    async delete(tenantId, sessionId) {
      sessionRows.of(tenantId).delete(sessionId);
    },
    async touch(tenantId, sessionId, idleExpiresAt, minStepMs) {
      const rows = sessionRows.of(tenantId);
      const session = rows.get(sessionId);
      if (!session || !live(session)) return;
      const stored = session.idleExpiresAt?.getTime();
      if (stored !== undefined && stored > idleExpiresAt.getTime() - minStepMs) return;
      rows.set(sessionId, { ...session, idleExpiresAt: new Date(idleExpiresAt) });
    },
    async channelsOfThread(tenantId, customerKey, threadId) {
      const channels = sessionsOf(tenantId, customerKey)
        .filter((session) => session.threadId === threadId && live(session))
        .map((session) => session.channelId);
      return [...new Set(channels)].sort();
    },
    async deleteAllOfCustomer(tenantId, customerKey, channelId) {
      const ended = sessionsOf(tenantId, customerKey, channelId);
      for (const session of ended) sessionRows.of(tenantId).delete(session.sessionId);
      return ended.filter(live).length;
    },
    async countOfCustomer(tenantId, customerKey, channelId) {
      return sessionsOf(tenantId, customerKey, channelId).filter(live).length;
    },
  };

  const access: AccessReads = {
    async customerChannel(tenantId, customerKey, channelId) {
      const row = channelRows.of(tenantId).get(channelId);
      const signedIn = sessionsOf(tenantId, customerKey, channelId).some(live);
      return {
        credentials: await credentials.find(tenantId, customerKey, channelId),
        channel: row ? unopenedChannel(row) : null,
        signedIn,
      };
    },
    async session(tenantId, sessionId) {
      const session = await sessions.find(tenantId, sessionId);
      if (!session) return null;
      return {
        session,
        channel: await channels.find(tenantId, session.channelId),
        credentials: await credentials.find(tenantId, session.customerKey, session.channelId),
      };
    },
  };

  const audit: AuditLog = {
    async record(entry) {
      auditSeq += 1;
      auditRows.of(entry.tenantId).set(String(auditSeq).padStart(12, '0'), structuredClone(entry));
    },
    async listOfCustomer(tenantId, customerKey, limit = 100) {
      return [...auditRows.of(tenantId).entries()]
        .filter(([, entry]) => entry.customerKey === customerKey)
        .sort(([seqA, a], [seqB, b]) => b.at.getTime() - a.at.getTime() || seqB.localeCompare(seqA))
        .slice(0, limit)
        .map(([, entry]) => structuredClone(entry));
    },
  };

  // One log across tenants, as in PostgreSQL (a refused caller's tenant is only a claim); by
  // minute, method, code, caller and peer, in the order the records were created.
  const refusalRows = new Map<string, RefusedCall>();
  const refusals: RefusalLog = {
    async record(refusal) {
      const { method, code, caller, peer, firstSeen } = refusal;
      const key = [refusalWindowOf(firstSeen).getTime(), method, code, caller ?? '', peer].join('\u0000');
      const held = refusalRows.get(key);
      if (!held) {
        refusalRows.set(key, structuredClone(refusal));
        return;
      }
      const tenantId = held.tenantId ?? refusal.tenantId;
      refusalRows.set(key, {
        ...held,
        ...(tenantId === undefined ? {} : { tenantId }),
        firstSeen: new Date(Math.min(held.firstSeen.getTime(), firstSeen.getTime())),
        lastSeen: new Date(Math.max(held.lastSeen.getTime(), refusal.lastSeen.getTime())),
        count: held.count + refusal.count,
      });
    },
    async listRecent(limit = 100) {
      return [...refusalRows.values()]
        .map((refusal, seq) => ({ refusal, seq }))
        .sort((a, b) => b.refusal.lastSeen.getTime() - a.refusal.lastSeen.getTime() || b.seq - a.seq)
        .slice(0, limit)
        .map(({ refusal }) => structuredClone(refusal));
    },
  };

  const refreshLocks: RefreshLocks = {
    async tryAcquire(tenantId, key, owner, ttlMs) {
      checkLeaseTtl(ttlMs);
      const leases = leaseRows.of(tenantId);
      const held = leases.get(key);
      if (held && held.expiresAt > now()) return false;
      leases.set(key, { owner, expiresAt: now() + Math.ceil(ttlMs) });
      return true;
    },
    async release(tenantId, key, owner) {
      const leases = leaseRows.of(tenantId);
      if (leases.get(key)?.owner === owner) leases.delete(key);
    },
  };

  return { channels, credentials, sessions, access, audit, refusals, refreshLocks };
}
