import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSecretBox } from '@parley/secrets';
import { describe, expect, it } from 'vitest';
import type {
  AuditEntry,
  Channel,
  Credentials,
  RefusedCall,
  Session,
  StoredCredentials,
} from '../domain/model.js';
import type { AuthRepositories, SecretBox } from '../domain/ports.js';

const hour = 3_600_000;
const tenant = () => `tenant-${randomBytes(5).toString('hex')}`;

/** A secret box that remembers every plaintext it sealed and the context of every value it opened. */
function recordingSecretBox() {
  const box = createSecretBox({ keys: { k1: new Uint8Array(randomBytes(32)) }, activeKid: 'k1' });
  const sealed: string[] = [];
  const opened: (string | undefined)[] = [];
  const secretBox: SecretBox = {
    seal: (plaintext, context) => {
      sealed.push(plaintext);
      return box.seal(plaintext, context);
    },
    open: (value, context) => {
      opened.push(context);
      return box.open(value, context);
    },
    openRebinding: (value, context) => {
      opened.push(context);
      return box.openRebinding(value, context);
    },
  };
  return { secretBox, sealed, opened };
}

/**
 * Stored credentials with their refresh token opened, to compare with the credentials saved.
 *
 * @example
 * expect(await opened(await credentials.find(tenantId, 'ck-1', 'web'))).toStrictEqual(saved);
 */
export async function opened(stored: StoredCredentials | null | undefined): Promise<Credentials | null> {
  if (!stored) return null;
  const { openRefreshToken, ...rest } = stored;
  return openRefreshToken ? { ...rest, refreshToken: await openRefreshToken() } : rest;
}

const channelOf = (tenantId: string, overrides: Partial<Channel> = {}): Channel => ({
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
  redirectUris: ['https://chat.brand.example/callback', 'https://chat.brand.example/other'],
  validation: {
    mode: 'jwt',
    issuer: 'https://id.brand.example',
    audiences: ['https://api.brand.example'],
    algorithms: ['RS256'],
    clockToleranceSeconds: 5,
  },
  mapping: { customerId: '$.sub', name: '$.name', customFields: { tier: '$.profile.tier' } },
  messagingMode: 'messaging',
  updatedAt: new Date('2026-05-01T10:00:00.123Z'),
  ...overrides,
});

const credentialsOf = (tenantId: string, overrides: Partial<Credentials> = {}): Credentials => ({
  tenantId,
  customerKey: 'ck-1',
  channelId: 'web',
  subject: 'brand-user-1',
  accessToken: 'brand-access-token-1',
  accessTokenExpiresAt: new Date('2026-05-01T11:00:00.000Z'),
  refreshToken: 'brand-refresh-token-1',
  scope: 'openid offline_access',
  version: 1,
  updatedAt: new Date('2026-05-01T10:00:00.000Z'),
  ...overrides,
});

const sessionOf = (tenantId: string, sessionId: string, overrides: Partial<Session> = {}): Session => ({
  sessionId,
  tenantId,
  channelId: 'web',
  customerKey: 'ck-1',
  deviceId: `device-${sessionId}`,
  platform: 'web',
  threadId: 'th_1',
  createdAt: new Date(Date.now() - 1000),
  expiresAt: new Date(Date.now() + hour),
  ...overrides,
});

const auditOf = (tenantId: string, overrides: Partial<AuditEntry> = {}): AuditEntry => ({
  tenantId,
  customerKey: 'ck-1',
  caller: { kind: 'service', id: 'ingress' },
  botId: 'bot-7',
  reason: 'look up the order status',
  action: 'access_token_issued',
  at: new Date('2026-05-01T10:00:00.000Z'),
  ...overrides,
});

/**
 * The contract of the auth store ports, run against every adapter (as node-oidc-provider runs its
 * adapter tests): the in-memory adapters in a unit test, the PostgreSQL ones against a real server.
 * `create` may return repositories over one shared store: every case uses fresh tenants.
 *
 * @example
 * authRepositoriesContract('in memory', ({ secretBox }) => createInMemoryAuthRepositories({ secretBox }));
 */
export function authRepositoriesContract(
  name: string,
  create: (deps: { secretBox: SecretBox }) => AuthRepositories | Promise<AuthRepositories>,
): void {
  async function setup() {
    const { secretBox, sealed, opened: openedContexts } = recordingSecretBox();
    return { ...(await create({ secretBox })), sealed, openedContexts };
  }

  describe(`auth repositories (${name})`, () => {
    describe('channels', () => {
      it('round-trips a channel, sealing its client secret, and replaces it whole on save', async () => {
        const { channels, sealed } = await setup();
        const tenantId = tenant();
        expect(await channels.find(tenantId, 'web')).toBeNull();
        await channels.save(channelOf(tenantId));
        expect(sealed).toContain('channel-client-secret-1');
        expect(await channels.find(tenantId, 'web')).toStrictEqual(channelOf(tenantId));

        // Optional settings removed since the last save must not linger (nor come back as null).
        const smaller = channelOf(tenantId, {
          client: {
            clientId: 'parley-2',
            clientSecret: 'channel-client-secret-2',
            method: 'client_secret_post',
          },
          endpoints: {
            token: 'https://id.brand.example/token2',
            customerData: 'https://api.brand.example/me',
          },
          redirectUris: ['https://chat.brand.example/callback'],
          validation: { mode: 'introspection' },
          mapping: { customerId: '$.id', customFields: {} },
          messagingMode: 'live-chat',
          allowWithoutPkce: true,
        });
        await channels.save(smaller);
        expect(await channels.find(tenantId, 'web')).toStrictEqual(smaller);
        expect(await channels.find(tenantId, 'mobile')).toBeNull();
      });

      it('hands out copies: changing a found channel changes nothing stored', async () => {
        const { channels } = await setup();
        const tenantId = tenant();
        await channels.save(channelOf(tenantId));
        const found = (await channels.find(tenantId, 'web')) as Channel;
        (found.redirectUris as string[]).push('https://evil.example/cb');
        expect((await channels.find(tenantId, 'web'))?.redirectUris).toHaveLength(2);
      });
    });

    describe('credentials', () => {
      it('saves, finds and replaces credentials with both brand tokens sealed', async () => {
        const { credentials, sealed } = await setup();
        const tenantId = tenant();
        expect(await credentials.find(tenantId, 'ck-1', 'web')).toBeNull();
        await credentials.save(credentialsOf(tenantId));
        expect(sealed).toEqual(expect.arrayContaining(['brand-access-token-1', 'brand-refresh-token-1']));
        expect(await opened(await credentials.find(tenantId, 'ck-1', 'web'))).toStrictEqual(
          credentialsOf(tenantId),
        );

        // A new sign-in where the brand issued no refresh token and no scope replaces both.
        const {
          refreshToken: _r,
          scope: _s,
          ...signIn
        } = credentialsOf(tenantId, {
          accessToken: 'brand-access-token-2',
          version: 2,
        });
        await credentials.save(signIn);
        expect(await opened(await credentials.find(tenantId, 'ck-1', 'web'))).toStrictEqual(signIn);

        const refreshed = credentialsOf(tenantId, {
          accessToken: 'brand-access-token-3',
          refreshToken: 'brand-refresh-token-3',
          version: 3,
          updatedAt: new Date('2026-05-01T10:30:00.000Z'),
        });
        expect(await credentials.replace(refreshed)).toBe(true);
        expect(await opened(await credentials.find(tenantId, 'ck-1', 'web'))).toStrictEqual(refreshed);
      });

      it('never brings deleted credentials back: replace after delete is false', async () => {
        const { credentials } = await setup();
        const tenantId = tenant();
        expect(await credentials.replace(credentialsOf(tenantId))).toBe(false);
        expect(await credentials.find(tenantId, 'ck-1', 'web')).toBeNull();

        await credentials.save(credentialsOf(tenantId));
        await credentials.delete(tenantId, 'ck-1', 'web');
        expect(await credentials.find(tenantId, 'ck-1', 'web')).toBeNull();
        expect(await credentials.replace(credentialsOf(tenantId, { version: 2 }))).toBe(false);
        expect(await credentials.find(tenantId, 'ck-1', 'web')).toBeNull();
        expect(await credentials.findAllOfCustomer(tenantId, 'ck-1')).toEqual([]);
      });

      it('replaces only from the version before: a stale writer changes nothing (compare-and-set)', async () => {
        const { credentials } = await setup();
        const tenantId = tenant();
        await credentials.save(credentialsOf(tenantId));
        const second = credentialsOf(tenantId, {
          accessToken: 'brand-access-token-2',
          refreshToken: 'brand-refresh-token-2',
          version: 2,
          updatedAt: new Date('2026-05-01T10:30:00.000Z'),
        });
        expect(await credentials.replace(second)).toBe(true);
        expect(await opened(await credentials.find(tenantId, 'ck-1', 'web'))).toStrictEqual(second);

        // A late writer that read version 1 (its lease lapsed) also writes version 2: refused.
        const late = credentialsOf(tenantId, { accessToken: 'late-access-token', version: 2 });
        expect(await credentials.replace(late)).toBe(false);
        // Skipping a version, or going back, is refused as well.
        expect(await credentials.replace(credentialsOf(tenantId, { accessToken: 'skip', version: 4 }))).toBe(
          false,
        );
        expect(await credentials.replace(credentialsOf(tenantId, { accessToken: 'back', version: 1 }))).toBe(
          false,
        );
        expect(await opened(await credentials.find(tenantId, 'ck-1', 'web'))).toStrictEqual(second);

        const third = credentialsOf(tenantId, {
          accessToken: 'brand-access-token-3',
          version: 3,
          updatedAt: new Date('2026-05-01T11:00:00.000Z'),
        });
        expect(await credentials.replace(third)).toBe(true);
        expect(await opened(await credentials.find(tenantId, 'ck-1', 'web'))).toStrictEqual(third);
      });

      it('lets exactly one of many concurrent replaces from the same version win', async () => {
        const { credentials } = await setup();
        const tenantId = tenant();
        await credentials.save(credentialsOf(tenantId));
        const writers = Array.from({ length: 10 }, (_, i) =>
          credentialsOf(tenantId, { accessToken: `writer-${i}`, version: 2 }),
        );
        const results = await Promise.all(writers.map((next) => credentials.replace(next)));
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await opened(await credentials.find(tenantId, 'ck-1', 'web'))).toStrictEqual(
          writers[results.indexOf(true)],
        );
      });

      it('finds all credentials of a customer, across channels', async () => {
        const { credentials } = await setup();
        const tenantId = tenant();
        const web = credentialsOf(tenantId);
        const mobile = credentialsOf(tenantId, {
          channelId: 'mobile',
          updatedAt: new Date('2026-05-01T10:05:00.000Z'),
        });
        const other = credentialsOf(tenantId, { customerKey: 'ck-2', updatedAt: new Date('2026-05-02') });
        for (const saved of [web, mobile, other]) await credentials.save(saved);

        expect(await credentials.findAllOfCustomer(tenantId, 'ck-3')).toEqual([]);

        const all = await credentials.findAllOfCustomer(tenantId, 'ck-1');
        expect(all.map((found) => found.channelId).sort()).toEqual(['mobile', 'web']);
        await credentials.delete(tenantId, 'ck-1', 'mobile');
        expect((await credentials.findAllOfCustomer(tenantId, 'ck-1')).map((c) => c.channelId)).toEqual([
          'web',
        ]);
        expect(await opened(await credentials.find(tenantId, 'ck-2', 'web'))).toStrictEqual(other);
      });
    });

    describe('credentials: the refresh token opens only when used', () => {
      it('opens the access token on a read and the refresh token only on openRefreshToken', async () => {
        const { credentials, openedContexts } = await setup();
        const tenantId = tenant();
        await credentials.save(credentialsOf(tenantId));
        const found = await credentials.find(tenantId, 'ck-1', 'web');
        expect(openedContexts.filter((context) => context?.includes('refresh_token'))).toEqual([]);
        expect(openedContexts.filter((context) => context?.includes('access_token'))).toHaveLength(1);
        expect(found?.accessToken).toBe('brand-access-token-1');
        expect(await found?.openRefreshToken?.()).toBe('brand-refresh-token-1');
        expect(openedContexts.filter((context) => context?.includes('refresh_token'))).toHaveLength(1);

        const { refreshToken: _none, ...withoutRefresh } = credentialsOf(tenantId, { channelId: 'mobile' });
        await credentials.save(withoutRefresh);
        expect((await credentials.find(tenantId, 'ck-1', 'mobile'))?.openRefreshToken).toBeUndefined();
      });
    });

    describe('access reads', () => {
      it('reads a customer’s credentials on a channel, the channel and whether they are signed in there', async () => {
        const { channels, credentials, sessions, access, openedContexts } = await setup();
        const tenantId = tenant();
        expect(await access.customerChannel(tenantId, 'ck-1', 'web')).toStrictEqual({
          credentials: null,
          channel: null,
          signedIn: false,
        });
        await channels.save(channelOf(tenantId));
        await credentials.save(credentialsOf(tenantId));
        // Sessions that do not count: another channel, another customer, expired, idle.
        await sessions.create(sessionOf(tenantId, 'm', { channelId: 'mobile' }));
        await sessions.create(sessionOf(tenantId, 'o', { customerKey: 'ck-2' }));
        await sessions.create(sessionOf(tenantId, 'x', { expiresAt: new Date(Date.now() - 1000) }));
        await sessions.create(sessionOf(tenantId, 'i', { idleExpiresAt: new Date(Date.now() - 1000) }));
        const signedOut = await access.customerChannel(tenantId, 'ck-1', 'web');
        expect(signedOut.signedIn).toBe(false);
        expect(await signedOut.channel?.open()).toStrictEqual(channelOf(tenantId));
        expect(await opened(signedOut.credentials)).toStrictEqual(credentialsOf(tenantId));

        await sessions.create(sessionOf(tenantId, 'w'));
        openedContexts.length = 0;
        const signedIn = await access.customerChannel(tenantId, 'ck-1', 'web');
        expect(signedIn.signedIn).toBe(true);
        // The read opens the access token only: the client secret and the refresh token stay sealed.
        expect(openedContexts).toEqual([expect.stringContaining('access_token')]);
        const { client, ...settings } = channelOf(tenantId);
        const { clientSecret: _secret, ...publicClient } = client;
        expect(signedIn.channel).toStrictEqual({
          ...settings,
          client: publicClient,
          open: expect.any(Function),
        });
        expect(await signedIn.channel?.open()).toStrictEqual(channelOf(tenantId));
        expect(await opened(signedIn.credentials)).toStrictEqual(credentialsOf(tenantId));

        // The channel's credentials only: none on mobile, and no mobile channel.
        expect(await access.customerChannel(tenantId, 'ck-1', 'mobile')).toStrictEqual({
          credentials: null,
          channel: null,
          signedIn: true,
        });
        await credentials.delete(tenantId, 'ck-1', 'web');
        expect((await access.customerChannel(tenantId, 'ck-1', 'web')).credentials).toBeNull();
      });

      it('reads a live session with its channel and its customer’s credentials on that channel', async () => {
        const { channels, credentials, sessions, access } = await setup();
        const tenantId = tenant();
        expect(await access.session(tenantId, 's1')).toBeNull();
        const session = sessionOf(tenantId, 's1');
        await sessions.create(session);
        expect(await access.session(tenantId, 's1')).toStrictEqual({
          session,
          channel: null,
          credentials: null,
        });

        await channels.save(channelOf(tenantId));
        await channels.save(channelOf(tenantId, { channelId: 'mobile' }));
        await credentials.save(credentialsOf(tenantId, { channelId: 'mobile' }));
        await credentials.save(credentialsOf(tenantId, { customerKey: 'ck-2' }));
        // Credentials of another channel or another customer are not the session's.
        expect(await access.session(tenantId, 's1')).toStrictEqual({
          session,
          channel: channelOf(tenantId),
          credentials: null,
        });
        await credentials.save(credentialsOf(tenantId));
        const found = await access.session(tenantId, 's1');
        expect(found?.session).toStrictEqual(session);
        expect(found?.channel).toStrictEqual(channelOf(tenantId));
        expect(await opened(found?.credentials)).toStrictEqual(credentialsOf(tenantId));

        const { refreshToken: _none, ...withoutRefresh } = credentialsOf(tenantId, { version: 2 });
        await credentials.save(withoutRefresh);
        expect(await opened((await access.session(tenantId, 's1'))?.credentials)).toStrictEqual(
          withoutRefresh,
        );
      });

      it('treats a session past its expiry or its idle expiry as absent', async () => {
        const { channels, credentials, sessions, access } = await setup();
        const tenantId = tenant();
        await channels.save(channelOf(tenantId));
        await credentials.save(credentialsOf(tenantId));
        await sessions.create(sessionOf(tenantId, 'old', { expiresAt: new Date(Date.now() - 1000) }));
        await sessions.create(sessionOf(tenantId, 'idle', { idleExpiresAt: new Date(Date.now() - 1000) }));
        expect(await access.session(tenantId, 'old')).toBeNull();
        expect(await access.session(tenantId, 'idle')).toBeNull();
      });
    });

    describe('sessions', () => {
      it('creates and finds a session; a second with the same id is already_exists', async () => {
        const { sessions } = await setup();
        const tenantId = tenant();
        const session = sessionOf(tenantId, 's1');
        await sessions.create(session);
        expect(await sessions.find(tenantId, 's1')).toStrictEqual(session);
        await expect(sessions.create(sessionOf(tenantId, 's1', { deviceId: 'other' }))).rejects.toMatchObject(
          {
            code: 'already_exists',
          },
        );
        expect(await sessions.find(tenantId, 's1')).toStrictEqual(session);
        await sessions.delete(tenantId, 's1');
        expect(await sessions.find(tenantId, 's1')).toBeNull();
      });

      it('treats expired sessions as absent', async () => {
        const { sessions } = await setup();
        const tenantId = tenant();
        await sessions.create(sessionOf(tenantId, 'old', { expiresAt: new Date(Date.now() - 1000) }));
        await sessions.create(sessionOf(tenantId, 'soon', { expiresAt: new Date(Date.now() + 400) }));
        expect(await sessions.find(tenantId, 'old')).toBeNull();
        expect(await sessions.find(tenantId, 'soon')).not.toBeNull();
        expect(await sessions.countOfCustomer(tenantId, 'ck-1')).toBe(1);
        await sleep(500); // past the second one's expiry
        expect(await sessions.find(tenantId, 'soon')).toBeNull();
        expect(await sessions.countOfCustomer(tenantId, 'ck-1')).toBe(0);
        expect(await sessions.deleteAllOfCustomer(tenantId, 'ck-1')).toBe(0);
      });

      it('counts and ends the live sessions of a customer, in one channel or all', async () => {
        const { sessions } = await setup();
        const tenantId = tenant();
        await sessions.create(sessionOf(tenantId, 'w1'));
        await sessions.create(sessionOf(tenantId, 'w2'));
        await sessions.create(sessionOf(tenantId, 'm1', { channelId: 'mobile' }));
        await sessions.create(
          sessionOf(tenantId, 'x', { channelId: 'mobile', expiresAt: new Date(Date.now() - 1) }),
        );
        await sessions.create(sessionOf(tenantId, 'other', { customerKey: 'ck-2' }));

        expect(await sessions.countOfCustomer(tenantId, 'ck-1')).toBe(3);
        expect(await sessions.countOfCustomer(tenantId, 'ck-1', 'web')).toBe(2);
        expect(await sessions.countOfCustomer(tenantId, 'ck-1', 'mobile')).toBe(1);
        expect(await sessions.countOfCustomer(tenantId, 'ck-1', 'kiosk')).toBe(0);

        expect(await sessions.deleteAllOfCustomer(tenantId, 'ck-1', 'mobile')).toBe(1);
        expect(await sessions.find(tenantId, 'm1')).toBeNull();
        expect(await sessions.countOfCustomer(tenantId, 'ck-1', 'web')).toBe(2);
        expect(await sessions.deleteAllOfCustomer(tenantId, 'ck-1')).toBe(2);
        expect(await sessions.countOfCustomer(tenantId, 'ck-1')).toBe(0);
        expect(await sessions.find(tenantId, 'other')).toMatchObject({ customerKey: 'ck-2' });
      });

      it('treats a session past its idle expiry as absent; touch moves it forward, at most once a step', async () => {
        const { sessions } = await setup();
        const tenantId = tenant();
        const idle = (ms: number) => new Date(Date.now() + ms);
        await sessions.create(sessionOf(tenantId, 'idle', { idleExpiresAt: idle(-1000) }));
        await sessions.create(sessionOf(tenantId, 'busy', { idleExpiresAt: idle(60_000) }));
        await sessions.create(sessionOf(tenantId, 'legacy')); // no idle expiry: created before it existed
        expect(await sessions.find(tenantId, 'idle')).toBeNull();
        expect(await sessions.countOfCustomer(tenantId, 'ck-1')).toBe(2);

        const stored = (await sessions.find(tenantId, 'busy'))?.idleExpiresAt?.getTime() ?? 0;
        await sessions.touch(tenantId, 'busy', new Date(stored + 30_000), 60_000); // less than a step on
        expect((await sessions.find(tenantId, 'busy'))?.idleExpiresAt?.getTime()).toBe(stored);
        await sessions.touch(tenantId, 'busy', new Date(stored + 60_000), 60_000);
        expect((await sessions.find(tenantId, 'busy'))?.idleExpiresAt?.getTime()).toBe(stored + 60_000);
        await sessions.touch(tenantId, 'legacy', idle(3_600_000), 60_000);
        expect((await sessions.find(tenantId, 'legacy'))?.idleExpiresAt).toBeInstanceOf(Date);
        await sessions.touch(tenantId, 'idle', idle(3_600_000), 60_000); // an ended session stays ended
        expect(await sessions.find(tenantId, 'idle')).toBeNull();
      });

      it('lists the channels of a customer’s live sessions on a thread', async () => {
        const { sessions } = await setup();
        const tenantId = tenant();
        await sessions.create(sessionOf(tenantId, 'w', { threadId: 'th_shared' }));
        await sessions.create(sessionOf(tenantId, 'm', { threadId: 'th_shared', channelId: 'mobile' }));
        await sessions.create(sessionOf(tenantId, 'm2', { threadId: 'th_shared', channelId: 'mobile' }));
        await sessions.create(
          sessionOf(tenantId, 'k', {
            threadId: 'th_shared',
            channelId: 'kiosk',
            expiresAt: new Date(Date.now() - 1),
          }),
        );
        await sessions.create(sessionOf(tenantId, 'o', { threadId: 'th_other', channelId: 'tv' }));
        await sessions.create(
          sessionOf(tenantId, 'c2', { threadId: 'th_shared', customerKey: 'ck-2', channelId: 'x' }),
        );
        expect(await sessions.channelsOfThread(tenantId, 'ck-1', 'th_shared')).toEqual(['mobile', 'web']);
        expect(await sessions.channelsOfThread(tenantId, 'ck-1', 'th_none')).toEqual([]);
      });
    });

    describe('audit', () => {
      it('records entries and lists a customer’s newest first', async () => {
        const { audit } = await setup();
        const tenantId = tenant();
        const first = auditOf(tenantId);
        const second = auditOf(tenantId, { reason: 'again', at: new Date('2026-05-01T10:01:00.000Z') });
        const service = auditOf(tenantId, {
          caller: { kind: 'service', id: 'enrichment' },
          reason: 'enrich a message',
          at: new Date('2026-05-01T10:01:00.000Z'),
        });
        await audit.record(first);
        await audit.record(second);
        await audit.record(service);
        await audit.record(auditOf(tenantId, { customerKey: 'ck-2' }));
        expect(await audit.listOfCustomer(tenantId, 'ck-1')).toStrictEqual([service, second, first]);
        expect(await audit.listOfCustomer(tenantId, 'ck-1', 1)).toStrictEqual([service]);
        expect(await audit.listOfCustomer(tenantId, 'ck-3')).toEqual([]);
      });

      it('keeps entries written before service identity, which have a claimed bot caller and no bot id', async () => {
        const { audit } = await setup();
        const tenantId = tenant();
        const { botId: _none, ...legacy } = auditOf(tenantId, { caller: { kind: 'bot', id: 'crm-bot' } });
        await audit.record(legacy);
        expect(await audit.listOfCustomer(tenantId, 'ck-1')).toStrictEqual([legacy]);
      });
    });

    describe('refused calls', () => {
      // Far in the future: the newest rows of a store other cases share.
      const at = (minute: number, second = 0) => new Date(Date.UTC(2999, 0, 1, 0, minute, second));
      const address = () =>
        `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;

      it('records refusals across tenants, with or without a caller and a tenant, and lists the newest first', async () => {
        const { refusals } = await setup();
        const peer = address();
        const unauthenticated: RefusedCall = {
          method: '/parley.auth.v1.AuthService/ExchangeCode',
          code: 'unauthenticated',
          peer,
          firstSeen: at(1),
          lastSeen: at(1, 30),
          count: 3,
        };
        const denied: RefusedCall = {
          method: '/parley.auth.v1.AuthService/PutChannel',
          code: 'permission_denied',
          caller: 'enrichment',
          peer,
          tenantId: tenant(),
          firstSeen: at(2),
          lastSeen: at(2),
          count: 1,
        };
        const later: RefusedCall = { ...denied, tenantId: tenant(), firstSeen: at(3), lastSeen: at(3) };
        for (const refusal of [unauthenticated, denied, later]) await refusals.record(refusal);
        const mine = (await refusals.listRecent(1000)).filter((refusal) => refusal.peer === peer);
        expect(mine).toStrictEqual([later, denied, unauthenticated]);
        expect(await refusals.listRecent(2)).toStrictEqual([later, denied]);
      });

      it('adds repeats of one kind from one source in one minute to one record: count, first and last seen', async () => {
        const { refusals } = await setup();
        const peer = address();
        const kind = {
          method: '/parley.auth.v1.AuthService/GetChannel',
          code: 'unauthenticated',
          peer,
        } as const;
        await refusals.record({ ...kind, firstSeen: at(4, 10), lastSeen: at(4, 20), count: 5 });
        // Another process's batch of the same minute, with the tenant the first one lacked.
        await refusals.record({
          ...kind,
          tenantId: 'tenant-a',
          firstSeen: at(4, 5),
          lastSeen: at(4, 15),
          count: 2,
        });
        await refusals.record({
          ...kind,
          tenantId: 'tenant-b',
          firstSeen: at(4, 30),
          lastSeen: at(4, 59),
          count: 1,
        });
        // The same kind with an identity, and the next minute: records of their own.
        await refusals.record({
          ...kind,
          caller: 'history',
          firstSeen: at(4, 1),
          lastSeen: at(4, 1),
          count: 1,
        });
        await refusals.record({ ...kind, firstSeen: at(5), lastSeen: at(5), count: 1 });
        const mine = (await refusals.listRecent(1000)).filter((refusal) => refusal.peer === peer);
        expect(mine).toStrictEqual([
          { ...kind, firstSeen: at(5), lastSeen: at(5), count: 1 },
          { ...kind, tenantId: 'tenant-a', firstSeen: at(4, 5), lastSeen: at(4, 59), count: 8 },
          { ...kind, caller: 'history', firstSeen: at(4, 1), lastSeen: at(4, 1), count: 1 },
        ]);
      });
    });

    describe('refresh locks', () => {
      it('lets exactly one of many concurrent callers take a lease, until its owner releases it', async () => {
        const { refreshLocks } = await setup();
        const tenantId = tenant();
        const owners = Array.from({ length: 20 }, (_, i) => `owner-${i}`);
        const results = await Promise.all(
          owners.map((owner) => refreshLocks.tryAcquire(tenantId, 'ck-1/web', owner, 15_000)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const holder = owners[results.indexOf(true)] ?? '';

        await refreshLocks.release(tenantId, 'ck-1/web', 'not-the-owner');
        expect(await refreshLocks.tryAcquire(tenantId, 'ck-1/web', 'late', 15_000)).toBe(false);
        expect(await refreshLocks.tryAcquire(tenantId, 'ck-1/web', holder, 15_000)).toBe(false);
        expect(await refreshLocks.tryAcquire(tenantId, 'ck-1/mobile', 'late', 15_000)).toBe(true);
        await refreshLocks.release(tenantId, 'ck-1/web', holder);
        expect(await refreshLocks.tryAcquire(tenantId, 'ck-1/web', 'late', 15_000)).toBe(true);
      });

      it('grants a lease that ran out once, and its old owner cannot release the new one', async () => {
        const { refreshLocks } = await setup();
        const tenantId = tenant();
        expect(await refreshLocks.tryAcquire(tenantId, 'ck-1/web', 'stale', 300)).toBe(true);
        expect(await refreshLocks.tryAcquire(tenantId, 'ck-1/web', 'early', 15_000)).toBe(false);
        await sleep(400); // past the lease

        const takers = Array.from({ length: 20 }, (_, i) => `taker-${i}`);
        const results = await Promise.all(
          takers.map((owner) => refreshLocks.tryAcquire(tenantId, 'ck-1/web', owner, 15_000)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        await refreshLocks.release(tenantId, 'ck-1/web', 'stale');
        expect(await refreshLocks.tryAcquire(tenantId, 'ck-1/web', 'another', 15_000)).toBe(false);
      });

      it('refuses a lease without a sensible duration', async () => {
        const { refreshLocks } = await setup();
        for (const ttlMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
          await expect(refreshLocks.tryAcquire(tenant(), 'k', 'o', ttlMs)).rejects.toMatchObject({
            code: 'invalid_argument',
          });
        }
      });
    });

    describe('tenant isolation', () => {
      it('never shows or changes one tenant’s channels for another', async () => {
        const { channels } = await setup();
        const [a, b] = [tenant(), tenant()];
        await channels.save(channelOf(a));
        expect(await channels.find(b, 'web')).toBeNull();
        await channels.save(channelOf(b, { issuer: 'https://other.example' }));
        expect((await channels.find(a, 'web'))?.issuer).toBe('https://id.brand.example');
      });

      it('never shows, replaces or deletes one tenant’s credentials for another', async () => {
        const { credentials } = await setup();
        const [a, b] = [tenant(), tenant()];
        await credentials.save(credentialsOf(a));
        expect(await credentials.find(b, 'ck-1', 'web')).toBeNull();
        expect(await credentials.findAllOfCustomer(b, 'ck-1')).toEqual([]);
        expect(await credentials.replace(credentialsOf(b, { accessToken: 'b-token', version: 2 }))).toBe(
          false,
        );
        await credentials.delete(b, 'ck-1', 'web');
        expect(await opened(await credentials.find(a, 'ck-1', 'web'))).toStrictEqual(credentialsOf(a));
      });

      it('never shows, counts or ends one tenant’s sessions for another', async () => {
        const { sessions } = await setup();
        const [a, b] = [tenant(), tenant()];
        const session = sessionOf(a, 'shared-id');
        await sessions.create(session);
        expect(await sessions.find(b, 'shared-id')).toBeNull();
        expect(await sessions.countOfCustomer(b, 'ck-1')).toBe(0);
        expect(await sessions.deleteAllOfCustomer(b, 'ck-1')).toBe(0);
        await sessions.delete(b, 'shared-id');
        // The same id in another tenant is another session.
        await sessions.create(sessionOf(b, 'shared-id'));
        expect(await sessions.find(a, 'shared-id')).toStrictEqual(session);
      });

      it('never reads one tenant’s channels, credentials or sessions for another in the access reads', async () => {
        const { channels, credentials, sessions, access } = await setup();
        const [a, b] = [tenant(), tenant()];
        await channels.save(channelOf(a));
        await credentials.save(credentialsOf(a));
        await sessions.create(sessionOf(a, 'shared-id'));
        expect(await access.customerChannel(b, 'ck-1', 'web')).toStrictEqual({
          credentials: null,
          channel: null,
          signedIn: false,
        });
        expect(await access.session(b, 'shared-id')).toBeNull();
        // b's own session of the same id sees b's (absent) channel and credentials, not a's.
        await sessions.create(sessionOf(b, 'shared-id'));
        expect(await access.session(b, 'shared-id')).toMatchObject({ channel: null, credentials: null });
        expect((await access.session(a, 'shared-id'))?.channel).toStrictEqual(channelOf(a));
        expect(await (await access.customerChannel(a, 'ck-1', 'web')).channel?.open()).toStrictEqual(
          channelOf(a),
        );
      });

      it('never lists one tenant’s audit entries for another', async () => {
        const { audit } = await setup();
        const [a, b] = [tenant(), tenant()];
        await audit.record(auditOf(a));
        expect(await audit.listOfCustomer(b, 'ck-1')).toEqual([]);
      });

      it('keeps the same lock key of two tenants independent', async () => {
        const { refreshLocks } = await setup();
        const [a, b] = [tenant(), tenant()];
        expect(await refreshLocks.tryAcquire(a, 'ck-1/web', 'a', 15_000)).toBe(true);
        expect(await refreshLocks.tryAcquire(b, 'ck-1/web', 'b', 15_000)).toBe(true);
        await refreshLocks.release(b, 'ck-1/web', 'a');
        expect(await refreshLocks.tryAcquire(a, 'ck-1/web', 'a2', 15_000)).toBe(false);
      });

      it('refuses a call without a tenant', async () => {
        const { channels, credentials, sessions, access, audit, refreshLocks } = await setup();
        const refused = { code: 'invalid_argument' };
        await expect(access.customerChannel('', 'ck-1', 'web')).rejects.toMatchObject(refused);
        await expect(access.session('', 's')).rejects.toMatchObject(refused);
        await expect(channels.find('', 'web')).rejects.toMatchObject(refused);
        await expect(credentials.findAllOfCustomer('', 'ck-1')).rejects.toMatchObject(refused);
        await expect(sessions.find('', 's')).rejects.toMatchObject(refused);
        await expect(audit.listOfCustomer('', 'ck-1')).rejects.toMatchObject(refused);
        await expect(refreshLocks.tryAcquire('', 'k', 'o', 1000)).rejects.toMatchObject(refused);
      });
    });
  });
}
