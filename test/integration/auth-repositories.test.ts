import { randomBytes } from 'node:crypto';
import { createExpirySweeper, migrateSchema, type PostgresComponent, sql } from '@parley/postgres';
import { createSecretBox } from '@parley/secrets';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authRepositoriesContract } from '../../services/auth/src/adapters/auth-repositories.contract.js';
import { createAuthRepositories } from '../../services/auth/src/adapters/auth-repositories.js';
import { authSchema } from '../../services/auth/src/adapters/auth-schema.js';
import { dropSchema, randomSchema, rowsAtRest, serviceStore, storeComponent } from '../support/database.js';
import { randomName, testLogger } from '../support/harness.js';

const hour = 3_600_000;

function expectJwe(value: unknown) {
  expect(typeof value).toBe('string');
  expect((value as string).split('.')).toHaveLength(5);
  expect(decodeProtectedHeader(value as string)).toMatchObject({ alg: 'dir', enc: 'A256GCM', kid: 'k1' });
}

describe('auth store on PostgreSQL', () => {
  const schema = randomSchema('auth');
  const { DATABASE_URL: url } = serviceStore('auth', schema);
  const logger = testLogger('auth');
  let postgres: PostgresComponent;
  const secretBox = createSecretBox({ keys: { k1: new Uint8Array(randomBytes(32)) }, activeKid: 'k1' });
  const stores = () => createAuthRepositories({ database: () => postgres.database(), secretBox });

  beforeAll(async () => {
    postgres = storeComponent(authSchema, serviceStore('auth', schema), logger);
    await postgres.start();
  });

  afterAll(async () => {
    await postgres?.stop();
    await dropSchema(schema);
  });

  authRepositoriesContract('PostgreSQL', ({ secretBox: box }) =>
    createAuthRepositories({ database: () => postgres.database(), secretBox: box }),
  );

  it('holds client secrets and brand tokens only sealed', async () => {
    const { channels, credentials } = stores();
    const tenantId = randomName('tenant');
    await channels.save({
      tenantId,
      channelId: 'web',
      issuer: 'https://id.brand.example',
      allowWithoutPkce: false,
      endpoints: { token: 'https://id.brand.example/token', customerData: 'https://api.brand.example/me' },
      client: { clientId: 'parley', clientSecret: 'channel-client-secret-1', method: 'client_secret_basic' },
      redirectUris: ['https://chat.brand.example/callback'],
      validation: { mode: 'introspection' },
      mapping: { customerId: '$.sub', customFields: {} },
      messagingMode: 'messaging',
      updatedAt: new Date(),
    });
    await credentials.save({
      tenantId,
      customerKey: 'ck-1',
      channelId: 'web',
      subject: 'brand-user-1',
      accessToken: 'brand-access-token-1',
      accessTokenExpiresAt: new Date(Date.now() + hour),
      refreshToken: 'brand-refresh-token-1',
      version: 1,
      updatedAt: new Date(),
    });

    const [channel] = await rowsAtRest(`select * from ${schema}.channels where tenant_id = $1`, [tenantId]);
    expect(JSON.stringify(channel)).not.toContain('channel-client-secret-1');
    expectJwe(channel?.sealed_client_secret);
    const [stored] = await rowsAtRest(`select * from ${schema}.credentials where tenant_id = $1`, [tenantId]);
    expect(JSON.stringify(stored)).not.toMatch(/brand-(access|refresh)-token/);
    expectJwe(stored?.sealed_access_token);
    expectJwe(stored?.sealed_refresh_token);
  });

  it('binds sealed secrets to their row: a value copied onto another customer or channel does not open', async () => {
    const { channels, credentials } = stores();
    const tenantId = randomName('tenant');
    const channel = (channelId: string, clientSecret: string) => ({
      tenantId,
      channelId,
      issuer: 'https://id.brand.example',
      allowWithoutPkce: false,
      endpoints: { token: 'https://id.brand.example/token', customerData: 'https://api.brand.example/me' },
      client: { clientId: channelId, clientSecret, method: 'client_secret_basic' as const },
      redirectUris: ['https://chat.brand.example/callback'],
      validation: { mode: 'introspection' as const },
      mapping: { customerId: '$.sub', customFields: {} },
      messagingMode: 'messaging' as const,
      updatedAt: new Date(),
    });
    await channels.save(channel('web', 'web-secret'));
    await channels.save(channel('mobile', 'mobile-secret'));
    const tokens = (customerKey: string, channelId: string) => ({
      tenantId,
      customerKey,
      channelId,
      subject: customerKey,
      accessToken: `at-${customerKey}-${channelId}`,
      accessTokenExpiresAt: new Date(Date.now() + hour),
      refreshToken: `rt-${customerKey}-${channelId}`,
      version: 1,
      updatedAt: new Date(),
    });
    await credentials.save(tokens('victim', 'web'));
    await credentials.save(tokens('attacker', 'web'));
    await credentials.save(tokens('attacker', 'mobile'));

    const copy = async (table: string, column: string, from: string, to: string) =>
      rowsAtRest(
        `update ${schema}.${table} set ${column} = (select ${column} from ${schema}.${table} where tenant_id = $1 and ${from})
          where tenant_id = $1 and ${to}`,
        [tenantId],
      );
    // The victim's refresh token onto the attacker's row, and a token of another channel.
    await copy(
      'credentials',
      'sealed_refresh_token',
      "customer_key = 'victim'",
      "customer_key = 'attacker' and channel_id = 'web'",
    );
    await copy(
      'credentials',
      'sealed_access_token',
      "channel_id = 'web' and customer_key = 'attacker'",
      "channel_id = 'mobile'",
    );
    await copy('channels', 'sealed_client_secret', "channel_id = 'web'", "channel_id = 'mobile'");
    // The refresh token opens only when used: the attacker's row reads, its refresh token does not open.
    const attacker = await credentials.find(tenantId, 'attacker', 'web');
    expect(attacker?.accessToken).toBe('at-attacker-web');
    await expect(attacker?.openRefreshToken?.()).rejects.toMatchObject({ code: 'server_error' });
    await expect(credentials.find(tenantId, 'attacker', 'mobile')).rejects.toMatchObject({
      code: 'server_error',
    });
    await expect(channels.find(tenantId, 'mobile')).rejects.toMatchObject({ code: 'server_error' });
    expect(await (await credentials.find(tenantId, 'victim', 'web'))?.openRefreshToken?.()).toBe(
      'rt-victim-web',
    );
    expect(await channels.find(tenantId, 'web')).toMatchObject({ client: { clientSecret: 'web-secret' } });
  });

  it('opens secrets sealed before they were bound once, and stores them bound in their place', async () => {
    const { channels, credentials } = stores();
    const tenantId = randomName('tenant');
    await credentials.save({
      tenantId,
      customerKey: 'ck-1',
      channelId: 'web',
      subject: 's',
      accessToken: 'at-1',
      accessTokenExpiresAt: new Date(Date.now() + hour),
      refreshToken: 'rt-1',
      version: 1,
      updatedAt: new Date(),
    });
    // As a release before bound secrets wrote it: sealed with no context.
    await rowsAtRest(
      `update ${schema}.credentials set sealed_access_token = $2, sealed_refresh_token = $3 where tenant_id = $1`,
      [tenantId, await secretBox.seal('at-1'), await secretBox.seal('rt-1')],
    );
    const sealedAtRest = async () => {
      const [row] = await rowsAtRest<{ sealed_access_token: string; sealed_refresh_token: string }>(
        `select sealed_access_token, sealed_refresh_token from ${schema}.credentials where tenant_id = $1`,
        [tenantId],
      );
      return {
        access: decodeProtectedHeader(row?.sealed_access_token ?? '').ctx,
        refresh: decodeProtectedHeader(row?.sealed_refresh_token ?? '').ctx,
      };
    };
    const found = await credentials.find(tenantId, 'ck-1', 'web');
    expect(found?.accessToken).toBe('at-1');
    // The refresh token is not opened by a read, so it is bound when it is first used.
    expect(await sealedAtRest()).toEqual({
      access: `credentials:${tenantId}/ck-1/web/access_token`,
      refresh: undefined,
    });
    expect(await found?.openRefreshToken?.()).toBe('rt-1');
    expect(await sealedAtRest()).toEqual({
      access: `credentials:${tenantId}/ck-1/web/access_token`,
      refresh: `credentials:${tenantId}/ck-1/web/refresh_token`,
    });
    expect(await channels.find(tenantId, 'none')).toBeNull();
  });

  it('sweeps expired sessions and leases in batches, leaving live ones', async () => {
    const { sessions, refreshLocks } = stores();
    const tenantId = randomName('tenant');
    const session = (sessionId: string, expiresAt: Date) => ({
      sessionId,
      tenantId,
      channelId: 'web',
      customerKey: 'ck-1',
      deviceId: 'd',
      platform: 'web',
      threadId: 'th_1',
      createdAt: new Date(Date.now() - 2 * hour),
      expiresAt,
    });
    await sessions.create(session('gone', new Date(Date.now() - 1000)));
    await sessions.create(session('live', new Date(Date.now() + hour)));
    expect(await refreshLocks.tryAcquire(tenantId, 'ck-1/web', 'short', 1)).toBe(true);
    expect(await refreshLocks.tryAcquire(tenantId, 'ck-1/mobile', 'long', 60_000)).toBe(true);
    const rowsOf = async () => ({
      sessions: (
        await rowsAtRest<{ session_id: string }>(
          `select session_id from ${schema}.sessions where tenant_id = $1 order by session_id`,
          [tenantId],
        )
      ).map((row) => row.session_id),
      locks: (
        await rowsAtRest<{ lock_key: string }>(
          `select lock_key from ${schema}.refresh_locks where tenant_id = $1 order by lock_key`,
          [tenantId],
        )
      ).map((row) => row.lock_key),
    });
    expect(await rowsOf()).toEqual({ sessions: ['gone', 'live'], locks: ['ck-1/mobile', 'ck-1/web'] });

    const sweeper = createExpirySweeper({ db: postgres.database(), sweeps: authSchema.sweeps ?? [], logger });
    expect(await sweeper.sweepOnce()).toBeGreaterThanOrEqual(2);
    expect(await rowsOf()).toEqual({ sessions: ['live'], locks: ['ck-1/mobile'] });
    expect(await sessions.find(tenantId, 'live')).toMatchObject({ sessionId: 'live' });
  });

  it('confines every statement to its tenant by row-level security, even without a tenant filter', async () => {
    const { credentials } = stores();
    const [a, b] = [randomName('tenant'), randomName('tenant')];
    const credentialsOf = (tenantId: string) => ({
      tenantId,
      customerKey: 'ck-1',
      channelId: 'web',
      subject: 's',
      accessToken: 'at',
      accessTokenExpiresAt: new Date(Date.now() + hour),
      version: 1,
      updatedAt: new Date(),
    });
    await credentials.save(credentialsOf(a));
    await credentials.save(credentialsOf(b));
    const db = postgres.database();
    const unfiltered = sql`select tenant_id from credentials`;
    expect(await db.forTenant(a).query('list all', unfiltered)).toEqual([{ tenant_id: a }]);
    expect(await db.global.query('list all', unfiltered)).toEqual([]);
    expect(await db.maintenance.query('list all', unfiltered)).toEqual([]);
    await expect(
      db.forTenant(a).query(
        'write another tenant',
        sql`insert into audit (tenant_id, customer_key, caller_kind, caller_id, reason, action, at)
          values (${b}, 'ck-1', 'bot', 'x', 'y', 'access_token_issued', now())`,
      ),
    ).rejects.toMatchObject({ code: 'permission_denied', context: { sqlState: '42501' } });
    await db.forTenant(a).query('delete all', sql`delete from credentials`);
    expect(await credentials.find(b, 'ck-1', 'web')).toMatchObject({ tenantId: b });
  });

  it('keeps refused calls outside every tenant’s scope: only global statements reach them', async () => {
    const { refusals } = stores();
    const tenantId = randomName('tenant');
    await refusals.record({
      method: '/parley.auth.v1.AuthService/PutChannel',
      code: 'permission_denied',
      caller: 'enrichment',
      peer: '127.0.0.1',
      tenantId,
      firstSeen: new Date(),
      lastSeen: new Date(),
      count: 1,
    });
    const db = postgres.database();
    const unfiltered = sql`select tenant_id from refused_calls`;
    expect(await db.forTenant(tenantId).query('refusals in tenant scope', unfiltered)).toEqual([]);
    expect(await db.global.query('refusals globally', unfiltered)).toContainEqual({ tenant_id: tenantId });
    await expect(
      db.forTenant(tenantId).query(
        'write a refusal in tenant scope',
        sql`insert into refused_calls (window_start, method, code, peer, first_seen, last_seen, count, expires_at)
          values (now(), 'm', 'unauthenticated', 'p', now(), now(), 1, now())`,
      ),
    ).rejects.toMatchObject({ code: 'permission_denied', context: { sqlState: '42501' } });
  });

  it('applies its migrations once: a second run is a no-op', async () => {
    expect(
      await migrateSchema({
        url,
        migrations: { schema: schema, dir: authSchema.migrationsDir },
        appName: 'parley-auth-test',
        logger,
      }),
    ).toEqual([]);
  });
});
