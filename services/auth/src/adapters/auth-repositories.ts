import { randomUUID } from 'node:crypto';
import { ParleyError } from '@parley/errors';
import { isDuplicateKeyError, type TenantScope, tenantCollection, toStoreError } from '@parley/mongo';
import type { Db, UpdateFilter } from 'mongodb';
import type { AuditEntry, Channel, Credentials, Session } from '../domain/model.js';
import type {
  AuditLog,
  ChannelRepository,
  Clock,
  CredentialRepository,
  RefreshLocks,
  SecretBox,
  SessionRepository,
} from '../domain/ports.js';

/** A channel at rest: the client secret only as a JWE. */
interface ChannelDocument extends Omit<Channel, 'client'> {
  readonly client: Omit<Channel['client'], 'clientSecret'> & { readonly sealedSecret: string };
}

/** Credentials at rest: both brand tokens only as JWEs. */
interface CredentialsDocument extends Omit<Credentials, 'accessToken' | 'refreshToken'> {
  readonly sealedAccessToken: string;
  readonly sealedRefreshToken?: string;
}

/**
 * One lock generation. `_id` is fresh for every acquisition and the unique index is on
 * (tenantId, customerKey): FerretDB 1.x runs a filtered delete as "find, then delete by _id", so a
 * conditional delete racing a re-acquisition could remove the new lock if generations shared an _id.
 */
interface RefreshLockDocument {
  _id: string;
  tenantId: string;
  customerKey: string;
  owner: string;
  expiresAt: Date;
}

/** Runs one store operation, mapping driver errors to ParleyErrors (ParleyErrors pass through). */
async function store<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toStoreError(error, operation);
  }
}

/**
 * Saves a whole document by upsert. Concurrent first saves of one key race on FerretDB (one gets
 * E11000); the loser's second try finds the document and updates it.
 */
async function upsert(operation: string, save: () => Promise<unknown>): Promise<void> {
  await store(operation, async () => {
    try {
      await save();
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      await save();
    }
  });
}

// Optional fields left undefined are omitted at rest (the driver's default would store null). No
// projection: FerretDB 1.x refuses one on findAndModify (NotImplemented).
const saveOptions = { upsert: true, ignoreUndefined: true } as const;

/**
 * An update that replaces a document: `$set` the fields, and `$unset` the optional ones that are
 * absent so that a value removed since the last save does not linger. The keys (tenantId and the
 * entity id) stay out: an upsert takes them from the filter, and tenantCollection refuses updates
 * that touch tenantId.
 */
function replacement<T>(fields: object, optional: Record<string, unknown>): UpdateFilter<T> {
  const absent = Object.keys(optional).filter((name) => optional[name] === undefined);
  const update = { $set: { ...fields, ...optional } };
  return (
    absent.length === 0 ? update : { ...update, $unset: Object.fromEntries(absent.map((name) => [name, ''])) }
  ) as UpdateFilter<T>;
}

/**
 * The MongoDB repositories of the auth service. Every query is scoped to a tenant through
 * tenantCollection; secrets and brand tokens are sealed with `secretBox` before they reach the store.
 *
 * @example
 * const repositories = createAuthRepositories({ db: store.db(), secretBox, clock: { now: () => new Date() } });
 * await repositories.channels.find('tenant-a', 'web');
 */
export function createAuthRepositories(deps: { db: Db; secretBox: SecretBox; clock: Clock }): {
  channels: ChannelRepository;
  credentials: CredentialRepository;
  sessions: SessionRepository;
  audit: AuditLog;
  refreshLocks: RefreshLocks;
} {
  const { db, secretBox, clock } = deps;
  const channelDocs = tenantCollection(db.collection<ChannelDocument>('channels'));
  const credentialDocs = tenantCollection(db.collection<CredentialsDocument>('credentials'));
  const sessionDocs = tenantCollection(db.collection<Session>('sessions'));
  const auditDocs = tenantCollection(db.collection<AuditEntry>('audit'));
  const lockDocs = tenantCollection(db.collection<RefreshLockDocument>('refresh_locks'));
  const scope = (tenantId: string): TenantScope => ({ tenantId });
  const live = () => ({ $gt: clock.now() });

  const channels: ChannelRepository = {
    async save({ tenantId, channelId, issuer, client, ...rest }) {
      const { clientSecret, ...publicClient } = client;
      const sealedClient = { ...publicClient, sealedSecret: await secretBox.seal(clientSecret) };
      const update = replacement<ChannelDocument>({ ...rest, client: sealedClient }, { issuer });
      await upsert('save channel', () =>
        channelDocs.findOneAndUpdate(scope(tenantId), { channelId }, update, saveOptions),
      );
    },
    async find(tenantId, channelId) {
      const doc = await store('find channel', () => channelDocs.findOne(scope(tenantId), { channelId }));
      if (!doc) return null;
      const { _id, client, ...rest } = doc;
      const { sealedSecret, ...publicClient } = client;
      return { ...rest, client: { ...publicClient, clientSecret: await secretBox.open(sealedSecret) } };
    },
  };

  async function openCredentials(
    doc: (CredentialsDocument & { _id?: unknown }) | null,
  ): Promise<Credentials | null> {
    if (!doc) return null;
    const { _id, sealedAccessToken, sealedRefreshToken, ...rest } = doc;
    const accessToken = await secretBox.open(sealedAccessToken);
    if (sealedRefreshToken === undefined) return { ...rest, accessToken };
    return { ...rest, accessToken, refreshToken: await secretBox.open(sealedRefreshToken) };
  }

  async function sealedUpdate({ accessToken, refreshToken, scope: grantScope, ...rest }: Credentials) {
    const { tenantId: _tenant, customerKey: _customer, channelId: _channel, ...fields } = rest;
    const sealedAccessToken = await secretBox.seal(accessToken);
    const sealedRefreshToken = refreshToken === undefined ? undefined : await secretBox.seal(refreshToken);
    return replacement<CredentialsDocument>(
      { ...fields, sealedAccessToken },
      { sealedRefreshToken, scope: grantScope },
    );
  }

  const credentials: CredentialRepository = {
    async find(tenantId, customerKey, channelId) {
      return openCredentials(
        await store('find credentials', () =>
          credentialDocs.findOne(scope(tenantId), { customerKey, channelId }),
        ),
      );
    },
    async findLatest(tenantId, customerKey) {
      const [latest] = await store('find latest credentials', () =>
        credentialDocs.find(scope(tenantId), { customerKey }, { sort: { updatedAt: -1 }, limit: 1 }),
      );
      return openCredentials(latest ?? null);
    },
    async findAllOfCustomer(tenantId, customerKey) {
      const docs = await store('find credentials of customer', () =>
        credentialDocs.find(scope(tenantId), { customerKey }),
      );
      return (await Promise.all(docs.map(openCredentials))).filter(
        (found): found is Credentials => found !== null,
      );
    },
    async save(credentialsToSave) {
      const { tenantId, customerKey, channelId } = credentialsToSave;
      const update = await sealedUpdate(credentialsToSave);
      await upsert('save credentials', () =>
        credentialDocs.findOneAndUpdate(scope(tenantId), { customerKey, channelId }, update, saveOptions),
      );
    },
    async replace(credentialsToSave) {
      const { tenantId, customerKey, channelId } = credentialsToSave;
      const update = await sealedUpdate(credentialsToSave);
      const replaced = await store('replace credentials', () =>
        credentialDocs.findOneAndUpdate(scope(tenantId), { customerKey, channelId }, update, {
          ...saveOptions,
          upsert: false,
        }),
      );
      return replaced !== null;
    },
    async delete(tenantId, customerKey, channelId) {
      await store('delete credentials', () =>
        credentialDocs.deleteMany(scope(tenantId), { customerKey, channelId }),
      );
    },
  };

  const sessions: SessionRepository = {
    async create(session) {
      await store('create session', async () => {
        try {
          await sessionDocs.insertOne(scope(session.tenantId), { ...session });
        } catch (error) {
          if (!isDuplicateKeyError(error)) throw error;
          throw new ParleyError('already_exists', 'a session with this id exists', { cause: error });
        }
      });
    },
    async find(tenantId, sessionId) {
      // The sweeper (or TTL monitor) removes expired sessions late; until then they are absent here.
      const doc = await store('find session', () =>
        sessionDocs.findOne(scope(tenantId), { sessionId, expiresAt: live() }),
      );
      if (!doc) return null;
      const { _id, ...session } = doc;
      return session;
    },
    async delete(tenantId, sessionId) {
      await store('delete session', () => sessionDocs.deleteMany(scope(tenantId), { sessionId }));
    },
    async deleteAllOfCustomer(tenantId, customerKey, channelId) {
      // Counts the sessions that were live; expired ones were already ended and are left to the sweeper.
      return store('delete sessions of customer', () =>
        sessionDocs.deleteMany(scope(tenantId), {
          customerKey,
          expiresAt: live(),
          ...(channelId ? { channelId } : {}),
        }),
      );
    },
    async countOfCustomer(tenantId, customerKey, channelId) {
      const docs = await store('count sessions of customer', () =>
        sessionDocs.find(
          scope(tenantId),
          { customerKey, expiresAt: live(), ...(channelId ? { channelId } : {}) },
          { projection: { _id: 1 } },
        ),
      );
      return docs.length;
    },
  };

  const audit: AuditLog = {
    async record(entry) {
      await store('record audit entry', () => auditDocs.insertOne(scope(entry.tenantId), { ...entry }));
    },
  };

  const refreshLocks: RefreshLocks = {
    async tryAcquire(tenantId, customerKey, owner, ttlMs) {
      if (!(Number.isFinite(ttlMs) && ttlMs > 0)) {
        throw new ParleyError('invalid_argument', 'lock ttlMs must be a positive number');
      }
      const insert = async (): Promise<boolean> => {
        const expiresAt = new Date(clock.now().getTime() + ttlMs);
        try {
          await lockDocs.insertOne(scope(tenantId), {
            _id: randomUUID(),
            tenantId,
            customerKey,
            owner,
            expiresAt,
          });
          return true;
        } catch (error) {
          if (isDuplicateKeyError(error)) return false;
          throw error;
        }
      };
      return store('acquire refresh lock', async () => {
        if (await insert()) return true;
        const held = await lockDocs.findOne(scope(tenantId), { customerKey });
        if (held && held.expiresAt > clock.now()) return false;
        // Expired (or released meanwhile): remove exactly that generation, then one more insert,
        // which the unique index lets only one of several contenders win.
        if (held) await lockDocs.deleteMany(scope(tenantId), { _id: held._id, expiresAt: held.expiresAt });
        return insert();
      });
    },
    async release(tenantId, customerKey, owner) {
      await store('release refresh lock', () => lockDocs.deleteMany(scope(tenantId), { customerKey, owner }));
    },
  };

  return { channels, credentials, sessions, audit, refreshLocks };
}
