import { randomBytes } from 'node:crypto';
import { connectMongo, ensureIndexes } from '@parley/mongo';
import { decodeProtectedHeader } from 'jose';
import type { Db, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authIndexes } from '../../services/auth/src/adapters/auth-indexes.js';
import { createAuthRepositories } from '../../services/auth/src/adapters/auth-repositories.js';
import { createSecretBox } from '../../services/auth/src/adapters/secret-box.js';
import type { Channel, Credentials, Session } from '../../services/auth/src/domain/model.js';
import { randomName, testInfra } from '../support/harness.js';

const hour = 3_600_000;

function expectJwe(value: unknown) {
  expect(typeof value).toBe('string');
  expect((value as string).split('.')).toHaveLength(5);
  expect(decodeProtectedHeader(value as string)).toMatchObject({ alg: 'dir', enc: 'A256GCM', kid: 'k1' });
}

describe('auth repositories against the real store', () => {
  let client: MongoClient;
  let db: Db;
  // A clock the tests move, so that expiry needs no sleeping.
  let now = new Date();
  const clock = { now: () => now };
  const secretBox = createSecretBox({ keys: { k1: new Uint8Array(randomBytes(32)) }, activeKid: 'k1' });
  const repositories = () => createAuthRepositories({ db, secretBox, clock });

  const channel = (tenantId: string, overrides: Partial<Channel> = {}): Channel => ({
    tenantId,
    channelId: 'web',
    issuer: 'https://id.brand.example',
    allowWithoutPkce: false,
    endpoints: {
      token: 'https://id.brand.example/token',
      revocation: 'https://id.brand.example/revoke',
      customerData: 'https://api.brand.example/me',
    },
    client: { clientId: 'parley', clientSecret: 'channel-client-secret-1', method: 'client_secret_basic' },
    redirectUris: ['https://chat.brand.example/callback'],
    validation: { mode: 'introspection' },
    mapping: { customerId: '$.sub', name: '$.name', customFields: { tier: '$.profile.tier' } },
    messagingMode: 'messaging',
    updatedAt: new Date(now.getTime()),
    ...overrides,
  });
  const credentialsOf = (tenantId: string, overrides: Partial<Credentials> = {}): Credentials => ({
    tenantId,
    customerKey: 'ck-1',
    channelId: 'web',
    subject: 'brand-user-1',
    accessToken: 'brand-access-token-1',
    accessTokenExpiresAt: new Date(now.getTime() + hour),
    refreshToken: 'brand-refresh-token-1',
    scope: 'openid offline_access',
    version: 1,
    updatedAt: new Date(now.getTime()),
    ...overrides,
  });
  const session = (tenantId: string, sessionId: string, overrides: Partial<Session> = {}): Session => ({
    sessionId,
    tenantId,
    channelId: 'web',
    customerKey: 'ck-1',
    deviceId: `device-${sessionId}`,
    platform: 'web',
    threadId: 'thread-1',
    createdAt: new Date(now.getTime()),
    expiresAt: new Date(now.getTime() + hour),
    ...overrides,
  });

  beforeAll(async () => {
    client = await connectMongo({ url: testInfra().mongoUrl, appName: 'parley-test' });
    db = client.db(randomName('auth_repos').replace('-', '_'));
    await ensureIndexes(db, authIndexes);
  });

  afterAll(async () => {
    await db?.dropDatabase();
    await client?.close();
  });

  it('stores a channel with its client secret sealed, and replaces it whole on save', async () => {
    const { channels } = repositories();
    const tenantId = randomName('tenant');
    await channels.save(channel(tenantId));
    expect(await channels.find(tenantId, 'web')).toStrictEqual(channel(tenantId));

    const raw = await db.collection('channels').findOne({ tenantId, channelId: 'web' });
    expect(JSON.stringify(raw)).not.toContain('channel-client-secret-1');
    expect(raw?.client).not.toHaveProperty('clientSecret');
    expectJwe(raw?.client?.sealedSecret);

    // Optional settings removed since the last save must not linger (nor come back as null).
    const withoutRevocation = channel(tenantId, {
      client: { clientId: 'parley-2', clientSecret: 'channel-client-secret-2', method: 'client_secret_post' },
      endpoints: { token: 'https://id.brand.example/token2', customerData: 'https://api.brand.example/me' },
      mapping: { customerId: '$.id', customFields: {} },
    });
    await channels.save(withoutRevocation);
    expect(await channels.find(tenantId, 'web')).toStrictEqual(withoutRevocation);
    expect(await db.collection('channels').countDocuments({ tenantId })).toBe(1);
  });

  it('saves, replaces, finds and deletes credentials with the brand tokens sealed', async () => {
    const { credentials } = repositories();
    const tenantId = randomName('tenant');
    expect(await credentials.find(tenantId, 'ck-1', 'web')).toBeNull();
    await credentials.save(credentialsOf(tenantId));
    expect(await credentials.find(tenantId, 'ck-1', 'web')).toStrictEqual(credentialsOf(tenantId));

    const raw = await db.collection('credentials').findOne({ tenantId, customerKey: 'ck-1' });
    expect(JSON.stringify(raw)).not.toMatch(/brand-(access|refresh)-token/);
    expectJwe(raw?.sealedAccessToken);
    expectJwe(raw?.sealedRefreshToken);

    // A later save where the brand issued no refresh token and no scope replaces both.
    const {
      refreshToken: _refreshToken,
      scope: _scope,
      ...replaced
    } = credentialsOf(tenantId, { accessToken: 'brand-access-token-2', version: 2 });
    await credentials.save(replaced);
    expect(await credentials.find(tenantId, 'ck-1', 'web')).toStrictEqual(replaced);
    expect(await db.collection('credentials').countDocuments({ tenantId })).toBe(1);

    await credentials.delete(tenantId, 'ck-1', 'web');
    expect(await credentials.find(tenantId, 'ck-1', 'web')).toBeNull();
  });

  it('treats expired sessions as absent and ends all of a customer', async () => {
    const { sessions } = repositories();
    const tenantId = randomName('tenant');
    await sessions.create(session(tenantId, 's1'));
    await sessions.create(session(tenantId, 's2', { expiresAt: new Date(now.getTime() + 2 * hour) }));
    await sessions.create(session(tenantId, 's3', { expiresAt: new Date(now.getTime() - 1) }));
    await sessions.create(session(tenantId, 's4', { customerKey: 'ck-2' }));
    await expect(sessions.create(session(tenantId, 's1'))).rejects.toMatchObject({ code: 'already_exists' });

    expect(await sessions.find(tenantId, 's1')).toStrictEqual(session(tenantId, 's1'));
    expect(await sessions.find(tenantId, 's3')).toBeNull();
    expect(await sessions.countOfCustomer(tenantId, 'ck-1')).toBe(2);

    now = new Date(now.getTime() + hour + 1);
    expect(await sessions.find(tenantId, 's1')).toBeNull();
    expect(await sessions.countOfCustomer(tenantId, 'ck-1')).toBe(1);

    await sessions.delete(tenantId, 's4');
    expect(await sessions.find(tenantId, 's4')).toBeNull();
    expect(await sessions.deleteAllOfCustomer(tenantId, 'ck-1')).toBe(1);
    expect(await sessions.find(tenantId, 's2')).toBeNull();
    expect(await sessions.countOfCustomer(tenantId, 'ck-1')).toBe(0);
  });

  it('appends audit entries', async () => {
    const { audit } = repositories();
    const tenantId = randomName('tenant');
    const entry = {
      tenantId,
      customerKey: 'ck-1',
      caller: { kind: 'bot', id: 'bot-7' },
      reason: 'look up the order status',
      action: 'access_token_issued',
      at: new Date(now.getTime()),
    } as const;
    await audit.record(entry);
    await audit.record({ ...entry, reason: 'again' });
    const stored = await db.collection('audit').find({ tenantId }).sort({ reason: 1 }).toArray();
    expect(stored.map(({ _id, ...rest }) => rest)).toEqual([{ ...entry, reason: 'again' }, entry]);
  });

  it('lets exactly one of many concurrent callers take a refresh lock', async () => {
    const { refreshLocks } = repositories();
    const tenantId = randomName('tenant');
    const owners = Array.from({ length: 20 }, (_, i) => `owner-${i}`);
    const results = await Promise.all(
      owners.map((owner) => refreshLocks.tryAcquire(tenantId, 'ck-1', owner, 15_000)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const holder = owners[results.indexOf(true)] ?? '';

    await refreshLocks.release(tenantId, 'ck-1', 'not-the-owner');
    expect(await refreshLocks.tryAcquire(tenantId, 'ck-1', 'late', 15_000)).toBe(false);
    await refreshLocks.release(tenantId, 'ck-1', holder);
    expect(await refreshLocks.tryAcquire(tenantId, 'ck-1', 'late', 15_000)).toBe(true);
  });

  it('takes over an expired lock, once, and the old owner cannot release the new one', async () => {
    const { refreshLocks } = repositories();
    const tenantId = randomName('tenant');
    expect(await refreshLocks.tryAcquire(tenantId, 'ck-1', 'stale', 1_000)).toBe(true);
    expect(await refreshLocks.tryAcquire(tenantId, 'ck-1', 'early', 1_000)).toBe(false);

    now = new Date(now.getTime() + 1_001);
    const owners = Array.from({ length: 20 }, (_, i) => `taker-${i}`);
    const results = await Promise.all(
      owners.map((owner) => refreshLocks.tryAcquire(tenantId, 'ck-1', owner, 15_000)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);

    await refreshLocks.release(tenantId, 'ck-1', 'stale');
    expect(await refreshLocks.tryAcquire(tenantId, 'ck-1', 'another', 15_000)).toBe(false);
    expect(await db.collection('refresh_locks').countDocuments({ tenantId })).toBe(1);
  });

  it('keeps tenants apart', async () => {
    const { channels, credentials, sessions, refreshLocks } = repositories();
    const [tenantA, tenantB] = [randomName('tenant'), randomName('tenant')];
    await channels.save(channel(tenantA));
    await credentials.save(credentialsOf(tenantA));
    await sessions.create(session(tenantA, randomName('session')));
    const sessionId = randomName('session');
    await sessions.create(session(tenantA, sessionId));

    expect(await channels.find(tenantB, 'web')).toBeNull();
    expect(await credentials.find(tenantB, 'ck-1', 'web')).toBeNull();
    expect(await sessions.find(tenantB, sessionId)).toBeNull();
    expect(await sessions.countOfCustomer(tenantB, 'ck-1')).toBe(0);
    expect(await sessions.deleteAllOfCustomer(tenantB, 'ck-1')).toBe(0);
    await credentials.delete(tenantB, 'ck-1', 'web');
    await sessions.delete(tenantB, sessionId);
    expect(await credentials.find(tenantA, 'ck-1', 'web')).toMatchObject({
      accessToken: 'brand-access-token-1',
    });
    expect(await sessions.find(tenantA, sessionId)).toMatchObject({ sessionId });

    // The same customer in two tenants holds two independent locks.
    expect(await refreshLocks.tryAcquire(tenantA, 'ck-1', 'a', 15_000)).toBe(true);
    expect(await refreshLocks.tryAcquire(tenantB, 'ck-1', 'b', 15_000)).toBe(true);
    await expect(channels.find('', 'web')).rejects.toMatchObject({ code: 'invalid_argument' });
  });
});
