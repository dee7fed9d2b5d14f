import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { AuthServiceDefinition, ServiceClient } from '@parley/grpc';
import { createLogger } from '@parley/logger';
import { type BrandServer, startBrandServer } from '@parley/test-brand';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../services/auth/src/app.js';
import { loadConfig } from '../../services/auth/src/config.js';
import { dropSchema, randomSchema, rowsAtRest, serviceStore } from '../support/database.js';
import { authClient, grpcTlsEnv } from '../support/grpc.js';
import { waitFor } from '../support/harness.js';
import { brandChannel, dropStore, signInThroughAuth, startAuth } from '../support/services.js';

/** Every log line of the auth service, to prove no token or secret is ever written. */
const logLines: string[] = [];
const logStream = new Writable({
  write(chunk: Buffer, _encoding, callback) {
    logLines.push(chunk.toString('utf8'));
    callback();
  },
});

const silent = () => createLogger({ service: 'auth', version: 'test', level: 'silent' });

describe('auth service against a real brand OAuth server and the real store', () => {
  let brand: BrandServer;
  let app: Awaited<ReturnType<typeof startAuth>>;
  let auth: ServiceClient<AuthServiceDefinition>;
  const tenantId = 'tenant-a';
  const channelId = 'web';
  const secrets: string[] = [];
  // Named here so the tests about what is at rest can look at the tables themselves.
  const schema = randomSchema('auth');
  /** The brand tokens stored for a customer, through the credentials port (which opens them). */
  const storedTokens = async (customerKey: string) =>
    Promise.all(
      (await app.stores.credentials.findAllOfCustomer(tenantId, customerKey)).map(async (stored) => ({
        channelId: stored.channelId,
        accessToken: stored.accessToken,
        refreshToken: (await stored.openRefreshToken?.()) ?? '',
      })),
    );

  const channelSettings = (overrides: Record<string, unknown> = {}) => ({
    channel: {
      tenantId,
      channelId,
      issuer: brand.issuer,
      client: {
        clientId: brand.client.clientId,
        clientSecret: brand.client.clientSecret,
        method: 'client_secret_basic',
      },
      redirectUris: [brand.client.redirectUri],
      validationMode: 'introspection',
      customerDataUrl: brand.endpoints.userinfo,
      mapping: {
        customerId: '$.sub',
        name: '$.name',
        customFields: { tier: '$.tier', openCase: '$.open_case' },
      },
      messagingMode: 'messaging',
      ...overrides,
    },
  });

  async function signIn(sub: string, deviceId = 'device-1', channel = channelId) {
    const { code, codeVerifier, redirectUri, iss } = await brand.authorize(sub);
    const session = await auth.call.ExchangeCode({
      tenantId,
      channelId: channel,
      code,
      redirectUri,
      codeVerifier,
      iss,
      device: { id: deviceId, platform: 'web' },
    });
    secrets.push(code, codeVerifier, session.sessionToken);
    for (const tokens of await storedTokens(session.customer?.customerKey ?? ''))
      secrets.push(tokens.accessToken, tokens.refreshToken);
    return session;
  }

  beforeAll(async () => {
    brand = await startBrandServer({ accessTokenTtlSeconds: 3600 });
    brand.customers.set('c-1', { name: 'Ada Lovelace', tier: 'gold', open_case: 'CASE-7' });
    brand.customers.set('c-2', { name: 'Grace Hopper', tier: 'silver' });
    secrets.push(brand.client.clientSecret);
    app = await startAuth(
      createLogger({ service: 'auth', version: 'test', level: 'debug', destination: logStream }),
      { DATABASE_SCHEMA: schema, BRAND_HTTP_TIMEOUT_MS: '2000' },
    );
    auth = authClient(app.grpcAddress(), { deadlineMs: 10_000 });
    await auth.call.PutChannel(channelSettings());
  });

  afterAll(async () => {
    auth?.close();
    await app?.stop();
    await dropStore(app);
    await brand?.stop();
  });

  it('stores channel settings, filling endpoints by discovery and never returning the secret', async () => {
    const channel = await auth.call.GetChannel({ tenantId, channelId });
    expect(channel).toMatchObject({
      issuer: brand.issuer,
      endpoints: {
        token: brand.endpoints.token,
        introspection: brand.endpoints.introspection,
        revocation: brand.endpoints.revocation,
      },
      client: { clientId: 'parley', clientSecret: '' },
      clientSecretSet: true,
      validationMode: 'introspection',
    });
    const atRest = await rowsAtRest(`select * from ${schema}.channels`);
    expect(atRest).toHaveLength(1);
    expect(JSON.stringify(atRest)).not.toContain(brand.client.clientSecret);
    expect(String(atRest[0]?.sealed_client_secret).split('.')).toHaveLength(5);
  });

  it('refuses bad channel settings with every problem named, and changes nothing', async () => {
    const bad = channelSettings({
      redirectUris: ['http://evil.example/cb'],
      customerDataUrl: 'ftp://x',
      client: { clientId: '' },
    });
    await expect(auth.call.PutChannel(bad)).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringMatching(/customerDataUrl.*client\.clientId.*redirectUris/s),
    });
    await expect(
      auth.call.PutChannel(
        channelSettings({ issuer: '', endpoints: { token: 'https://169.254.169.254/token' } }),
      ),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringContaining('endpoints.token'),
    });
    await expect(auth.call.PutChannel(channelSettings({ customerDataUrl: 'nope' }))).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringContaining('customerDataUrl'),
    });
    // Keeping the stored secret while sending it, or customers' tokens, to another server is refused.
    const moved = channelSettings({
      customerDataUrl: 'https://elsewhere.example/me',
      client: { clientId: brand.client.clientId, clientSecret: '' },
    });
    await expect(auth.call.PutChannel(moved)).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringContaining('client.clientSecret'),
    });
    // A host that resolves to a non-public address is refused when Parley would call it (SSRF guard).
    await expect(
      auth.call.PutChannel(channelSettings({ issuer: 'https://localhost:1' })),
    ).rejects.toMatchObject({
      code: 'url_not_allowed',
      message: expect.stringContaining('non-public address'),
    });
    expect((await auth.call.GetChannel({ tenantId, channelId })).issuer).toBe(brand.issuer);
    await expect(auth.call.GetChannel({ tenantId: 'tenant-b', channelId })).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('exchanges a code for a session with fresh customer data; one customer across devices', async () => {
    const first = await signIn('c-1', 'laptop');
    expect(first).toMatchObject({
      sessionToken: expect.any(String),
      threadId: expect.stringMatching(/^th_/),
    });
    expect(first.customer).toMatchObject({ id: 'c-1', name: 'Ada Lovelace' });
    expect(first.customer?.customFields?.fields).toMatchObject({
      tier: { stringValue: 'gold' },
      openCase: { stringValue: 'CASE-7' },
    });
    const second = await signIn('c-1', 'phone');
    expect(second.customer?.customerKey).toBe(first.customer?.customerKey);
    expect(second.threadId).toBe(first.threadId);
    // Brand tokens are stored only as JWE (five dot-separated parts), never in the clear.
    const stored = await rowsAtRest(`select * from ${schema}.credentials`);
    const tokens = await storedTokens(first.customer?.customerKey ?? '');
    expect(stored.length).toBeGreaterThan(0);
    expect(tokens).toHaveLength(1);
    for (const row of stored) {
      expect(Object.keys(row).filter((column) => /_token$/.test(column))).toEqual([
        'sealed_access_token',
        'sealed_refresh_token',
      ]);
      expect(String(row.sealed_access_token).split('.')).toHaveLength(5);
      expect(String(row.sealed_refresh_token).split('.')).toHaveLength(5);
      for (const { accessToken, refreshToken } of tokens) {
        expect(JSON.stringify(row)).not.toContain(accessToken);
        expect(JSON.stringify(row)).not.toContain(refreshToken);
      }
    }
  });

  it('answers AuthorizeMessage, AuthorizeSession’s former name, the same way during a rolling upgrade', async () => {
    const { sessionToken } = await signIn('c-1', 'rollout');
    const current = await auth.call.AuthorizeSession({ sessionToken });
    expect(current).toMatchObject({ tenantId, deviceId: 'rollout', sessionId: expect.any(String) });
    await expect(auth.call.AuthorizeMessage({ sessionToken })).resolves.toEqual(current);
  });

  it('keeps one customer signed in on two channels of the brand, with credentials per channel', async () => {
    await auth.call.PutChannel({ channel: { ...channelSettings().channel, channelId: 'mobile' } });
    const web = await signIn('c-2', 'laptop', 'web');
    const mobile = await signIn('c-2', 'phone', 'mobile');
    expect(mobile.customer?.customerKey).toBe(web.customer?.customerKey);
    await expect(auth.call.AuthorizeSession({ sessionToken: web.sessionToken })).resolves.toMatchObject({
      channelId: 'web',
    });
    await expect(auth.call.AuthorizeSession({ sessionToken: mobile.sessionToken })).resolves.toMatchObject({
      channelId: 'mobile',
    });
    const channels = (await storedTokens(web.customer?.customerKey ?? ''))
      .map((tokens) => tokens.channelId)
      .sort();
    expect(channels).toEqual(['mobile', 'web']);
  });

  it('refuses a code exchange without PKCE, or from another issuer', async () => {
    const { code, redirectUri, codeVerifier, iss } = await brand.authorize('c-1');
    const exchange = { tenantId, channelId, code, redirectUri, device: { id: 'd', platform: 'web' } };
    await expect(auth.call.ExchangeCode({ ...exchange, iss })).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringContaining('PKCE'),
    });
    await expect(
      auth.call.ExchangeCode({ ...exchange, codeVerifier, iss: 'https://evil.example' }),
    ).rejects.toMatchObject({
      code: 'unauthenticated',
    });
    await expect(
      auth.call.ExchangeCode({ ...exchange, codeVerifier, iss: brand.issuer }),
    ).resolves.toMatchObject({
      sessionToken: expect.any(String),
    });
  });

  it('refuses an authorization response without iss from a brand whose metadata says it sends one (RFC 9207)', async () => {
    // The test brand (oidc-provider) says authorization_response_iss_parameter_supported: true.
    const { code, codeVerifier, redirectUri } = await brand.authorize('c-1');
    const exchange = {
      tenantId,
      channelId,
      code,
      codeVerifier,
      redirectUri,
      device: { id: 'd', platform: 'web' },
    };
    const tokenCalls = brand.calls.get('/token') ?? 0;
    await expect(auth.call.ExchangeCode(exchange)).rejects.toMatchObject({
      code: 'unauthenticated',
      message: expect.stringContaining('iss is required'),
    });
    expect(brand.calls.get('/token') ?? 0).toBe(tokenCalls); // the code never went to the brand
    await expect(auth.call.ExchangeCode({ ...exchange, iss: brand.issuer })).resolves.toMatchObject({
      sessionToken: expect.any(String),
    });
  });

  it('hands out the token of the thread’s channel, never the newest of another channel', async () => {
    await auth.call.PutChannel({
      channel: { ...channelSettings().channel, channelId: 'kiosk', messagingMode: 'live-chat' },
    });
    brand.customers.set('c-5', { name: 'Two Channels' });
    const web = await signIn('c-5', 'laptop', 'web');
    const kiosk = await signIn('c-5', 'kiosk-1', 'kiosk'); // the newest credentials, of another channel
    const customerKey = web.customer?.customerKey ?? '';
    const stored = Object.fromEntries(
      (await storedTokens(customerKey)).map((tokens) => [tokens.channelId, tokens.accessToken]),
    );
    expect(stored.web).not.toBe(stored.kiosk);
    const caller = { kind: 'bot', id: 'crm-bot', reason: 'look up open cases' };
    const forThread = (threadId: string, channel?: string) =>
      auth.call.GetAccessToken({
        tenantId,
        customerKey,
        caller,
        threadId,
        ...(channel ? { channelId: channel } : {}),
      });
    expect((await forThread(web.threadId)).accessToken).toBe(stored.web);
    expect((await forThread(kiosk.threadId)).accessToken).toBe(stored.kiosk);
    expect((await forThread(web.threadId, 'web')).accessToken).toBe(stored.web);
    await expect(forThread(web.threadId, 'kiosk')).rejects.toMatchObject({ code: 'not_found' });
    await expect(forThread('th_of_nobody')).rejects.toMatchObject({ code: 'not_found' });
    // Enrichment names the message's channel.
    const forChannel = (channel: string) =>
      auth.call.GetAccessToken({
        tenantId,
        customerKey,
        caller: { ...caller, kind: 'service' },
        channelId: channel,
      });
    expect((await forChannel('web')).accessToken).toBe(stored.web);
    expect((await forChannel('kiosk')).accessToken).toBe(stored.kiosk);
    // Naming neither is ambiguous for a customer signed in on two channels.
    await expect(auth.call.GetAccessToken({ tenantId, customerKey, caller })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });

  it('refuses a wrong redirect URI, a replayed code and a wrong verifier', async () => {
    const { code, codeVerifier, redirectUri, iss } = await brand.authorize('c-1');
    const exchange = { tenantId, channelId, code, codeVerifier, iss, device: { id: 'd', platform: 'web' } };
    await expect(
      auth.call.ExchangeCode({ ...exchange, redirectUri: 'https://chat.brand.example/other' }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    await expect(
      auth.call.ExchangeCode({ ...exchange, redirectUri, codeVerifier: 'x'.repeat(43) }),
    ).rejects.toMatchObject({
      code: 'unauthenticated',
    });
    await expect(
      auth.call.ExchangeCode({ ...exchange, redirectUri, code: 'made-up-code' }),
    ).rejects.toMatchObject({
      code: 'unauthenticated',
    });
    const fresh = await brand.authorize('c-1');
    const ok = {
      ...exchange,
      iss: fresh.iss,
      code: fresh.code,
      codeVerifier: fresh.codeVerifier,
      redirectUri: fresh.redirectUri,
    };
    await auth.call.ExchangeCode(ok);
    await expect(auth.call.ExchangeCode(ok)).rejects.toMatchObject({ code: 'unauthenticated' });
  });

  it('asks the brand on every message', async () => {
    const { sessionToken } = await signIn('c-2');
    const before = brand.calls.get('/token/introspection') ?? 0;
    for (let i = 0; i < 3; i += 1) {
      await expect(auth.call.AuthorizeSession({ sessionToken })).resolves.toMatchObject({
        tenantId,
        channelId,
        deviceId: 'device-1',
      });
    }
    expect((brand.calls.get('/token/introspection') ?? 0) - before).toBe(3);
    await expect(auth.call.AuthorizeSession({ sessionToken: 'not-a-token' })).rejects.toMatchObject({
      code: 'unauthenticated',
    });
  });

  it('fetches a message’s customer data beside the introspection, fresh each time, with the same token', async () => {
    const { sessionToken } = await signIn('c-2');
    const count = (path: string) => brand.calls.get(path) ?? 0;
    const ask = () => auth.call.AuthorizeSession({ sessionToken, withCustomerData: true });
    const dataOf = (answer: { customerDataJson: string }) => JSON.parse(answer.customerDataJson);

    // Without the flag (sync, stream checks), no customer data and no call for it.
    const meBefore = count('/me');
    expect((await auth.call.AuthorizeSession({ sessionToken })).customerDataJson).toBe('');
    expect(count('/me')).toBe(meBefore);

    // Both of the brand's round trips at once: the data is asked while the introspection waits.
    brand.delays.set('/token/introspection', 400);
    const introspections = count('/token/introspection');
    try {
      const pending = ask();
      await waitFor('the customer-data request during the introspection', () =>
        count('/me') > meBefore && count('/token/introspection') > introspections ? true : undefined,
      );
      expect(count('/me')).toBe(meBefore + 1);
      expect(dataOf(await pending)).toMatchObject({
        customer: { name: 'Grace Hopper', customFields: { tier: 'silver', openCase: null } },
        enrichment: { status: 'ok' },
      });
    } finally {
      brand.delays.delete('/token/introspection');
    }

    // Nothing cached between messages: what the brand changed shows in the next message.
    brand.customers.set('c-2', { name: 'Grace Hopper', tier: 'gold' });
    expect(dataOf(await ask()).customer.customFields.tier).toBe('gold');

    // A failing customer-data endpoint does not refuse the message: it flows on, marked, after one
    // more quick try (CUSTOMER_DATA_MAX_ATTEMPTS, 2).
    brand.down.add('/me');
    try {
      const failing = count('/me');
      const answer = await ask();
      expect(answer).toMatchObject({ tenantId, channelId });
      expect(dataOf(answer)).toMatchObject({
        customer: null,
        enrichment: { status: 'unavailable', reason: 'http_error' },
      });
      expect(count('/me') - failing).toBe(2);
    } finally {
      brand.down.delete('/me');
    }
  });

  it('abandons the brand call once the caller’s deadline passes, doing no further work for it', async () => {
    const { sessionToken } = await signIn('c-2', 'device-deadline');
    const path = '/token/introspection';
    const before = brand.calls.get(path) ?? 0;
    // Slower than the brand timeout (2 s): work still running for the caller would retry it.
    brand.delays.set(path, 2500);
    try {
      await expect(auth.call.AuthorizeSession({ sessionToken }, { deadlineMs: 300 })).rejects.toMatchObject({
        code: 'deadline_exceeded',
      });
      await new Promise((resolve) => setTimeout(resolve, 2600)); // past the timeout and the retry's backoff
      expect((brand.calls.get(path) ?? 0) - before).toBe(1);
    } finally {
      brand.delays.delete(path);
    }
    // Nothing counted against the brand: the next caller is answered.
    await expect(auth.call.AuthorizeSession({ sessionToken })).resolves.toMatchObject({
      tenantId,
      channelId,
    });
  });

  it('ends every session of a customer whose grant the brand revoked', async () => {
    brand.customers.set('c-3', { name: 'Revoked Customer' });
    const laptop = await signIn('c-3', 'laptop');
    const phone = await signIn('c-3', 'phone');
    await auth.call.AuthorizeSession({ sessionToken: laptop.sessionToken });
    await brand.revokeGrants('c-3');
    await expect(auth.call.AuthorizeSession({ sessionToken: laptop.sessionToken })).rejects.toMatchObject({
      code: 'reauthentication_required',
    });
    await expect(auth.call.AuthorizeSession({ sessionToken: phone.sessionToken })).rejects.toMatchObject({
      code: 'unauthenticated',
    });
  });

  it('hands out audited access tokens, only within the tenant', async () => {
    const { customer } = await signIn('c-2', 'tablet');
    const customerKey = customer?.customerKey ?? '';
    const caller = { kind: 'bot', id: 'crm-bot', reason: 'look up open cases' };
    // c-2 is signed in on web and mobile (an earlier case): the request names the channel.
    const token = await auth.call.GetAccessToken({ tenantId, customerKey, caller, channelId });
    secrets.push(token.accessToken);
    expect(token).toMatchObject({ tokenType: 'Bearer', accessToken: expect.any(String) });
    expect(await app.stores.audit.listOfCustomer(tenantId, customerKey)).toEqual([
      {
        tenantId,
        customerKey,
        // The service whose certificate asked (this test plays ingress), and the bot it asked for.
        caller: { kind: 'service', id: 'ingress' },
        botId: 'crm-bot',
        reason: 'look up open cases',
        action: 'access_token_issued',
        at: expect.any(Date),
      },
    ]);
    await expect(
      auth.call.GetAccessToken({ tenantId: 'tenant-b', customerKey, caller, channelId }),
    ).rejects.toMatchObject({ code: 'not_found' });
    await expect(
      auth.call.GetAccessToken({ tenantId, customerKey, caller: { ...caller, reason: '' }, channelId }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });

  it('logs out: revokes at the brand when the last device leaves', async () => {
    brand.customers.set('c-4', { name: 'Leaving Customer' });
    const laptop = await signIn('c-4', 'laptop');
    const phone = await signIn('c-4', 'phone');
    const laptopSession = (await auth.call.AuthorizeSession({ sessionToken: laptop.sessionToken })).sessionId;
    const phoneSession = (await auth.call.AuthorizeSession({ sessionToken: phone.sessionToken })).sessionId;
    await expect(
      auth.call.RevokeSession({ sessionToken: laptop.sessionToken, allDevices: false }),
    ).resolves.toEqual({
      sessionsEnded: 1,
      revokedAtBrand: false,
      // Whose session ended, for the session.ended event ingress publishes.
      tenantId,
      customerKey: laptop.customer?.customerKey,
      threadId: laptop.threadId,
      deviceId: 'laptop',
      sessionId: laptopSession,
    });
    await expect(auth.call.AuthorizeSession({ sessionToken: laptop.sessionToken })).rejects.toMatchObject({
      code: 'unauthenticated',
    });
    await auth.call.AuthorizeSession({ sessionToken: phone.sessionToken });
    const [tokens] = await storedTokens(phone.customer?.customerKey ?? '');
    const revocations = brand.calls.get('/token/revocation') ?? 0;
    await expect(
      auth.call.RevokeSession({ sessionToken: phone.sessionToken, allDevices: true }),
    ).resolves.toEqual({
      sessionsEnded: 1,
      revokedAtBrand: true,
      tenantId,
      customerKey: phone.customer?.customerKey,
      threadId: phone.threadId,
      deviceId: 'phone',
      sessionId: phoneSession,
    });
    expect(brand.calls.get('/token/revocation')).toBe(revocations + 1);
    // The refresh token itself is dead at the brand.
    const refresh = await fetch(brand.endpoints.token, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${brand.client.clientId}:${brand.client.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: tokens?.refreshToken ?? '',
      }).toString(),
    });
    expect(await refresh.json()).toMatchObject({ error: 'invalid_grant' });
    expect(await storedTokens(phone.customer?.customerKey ?? '')).toEqual([]);
    await expect(auth.call.AuthorizeSession({ sessionToken: phone.sessionToken })).rejects.toMatchObject({
      code: 'unauthenticated',
    });
  });

  it('runs the admin self-test', async () => {
    const result = await auth.call.TestChannel({
      tenantId,
      channelId,
      sampleCustomerData: {
        fields: {
          sub: { stringValue: 'c-9' },
          name: { stringValue: 'Ada' },
          tier: { stringValue: 'bronze' },
          open_case: { stringValue: 'CASE-1' },
        },
      },
    });
    expect(result.ok).toBe(true);
    expect(result.checks.map((check) => check.name)).toEqual(
      expect.arrayContaining([
        'discovery',
        'endpoint token',
        'endpoint introspection',
        'clock skew',
        'mapping',
      ]),
    );
    expect(result.checks.find((check) => check.name === 'mapping')?.detail).toContain('"tier":"bronze"');
  });

  it('never writes a token, code or secret to the logs', () => {
    const all = logLines.join('\n');
    expect(secrets.length).toBeGreaterThan(20);
    expect(all).toContain('"service":"auth"'); // the logs were captured at debug level
    for (const secret of secrets) expect(all).not.toContain(secret);
  });
});

describe('auth service when the brand is down', () => {
  it('refuses messages with auth_unavailable (fail closed)', async () => {
    const brand = await startBrandServer();
    brand.customers.set('c-1', { name: 'Ada' });
    const app = await startAuth(silent());
    const auth = authClient(app.grpcAddress(), { deadlineMs: 10_000 });
    try {
      await auth.call.PutChannel({ channel: brandChannel(brand, 't', 'web') });
      const { sessionToken } = await signInThroughAuth(auth, brand, 'c-1', {
        tenantId: 't',
        channelId: 'web',
        platform: 'ios',
      });
      await brand.stop();
      await expect(auth.call.AuthorizeSession({ sessionToken })).rejects.toMatchObject({
        code: 'auth_unavailable',
        retriable: true,
      });
    } finally {
      auth.close();
      await app.stop();
      await dropStore(app);
    }
  });
});

describe('auth service in jwt validation mode', () => {
  it('checks RFC 9068 JWT access tokens with the brand JWKS and follows a key rotation at once', async () => {
    const resource = 'https://api.brand.example';
    const brand = await startBrandServer({ jwtAccessTokensFor: resource });
    brand.customers.set('c-1', { name: 'Ada', tier: 'gold' });
    const config = loadConfig({
      ...serviceStore('auth'),
      ...grpcTlsEnv('auth'),
      BIND_HOST: '127.0.0.1',
      OPS_PORT: '0',
      GRPC_PORT: '0',
      SECRET_KEYS: `k1:${randomBytes(32).toString('base64url')}`,
      SECRET_ACTIVE_KID: 'k1',
      SESSION_SIGNING_KEY: randomBytes(32).toString('base64url'),
      BRAND_HOST_ALLOW_LIST: '127.0.0.1',
    });
    const app = createApp({ config, logger: silent(), version: 'test' });
    await app.start();
    const auth = authClient(app.grpcAddress(), { deadlineMs: 10_000 });
    const signIn = () =>
      signInThroughAuth(auth, brand, 'c-1', { tenantId: 't', channelId: 'app', platform: 'ios' });
    try {
      await auth.call.PutChannel({
        channel: brandChannel(brand, 't', 'app', {
          customerDataUrl: brand.endpoints.customerApi,
          validationMode: 'jwt',
          jwt: {
            audiences: [resource],
            algorithms: ['RS256'],
            clockToleranceSeconds: 5,
            requireAtJwtType: true, // oidc-provider's JWT access tokens are typ at+jwt
          },
        }),
      });
      const before = await signIn();
      expect(before.customer).toMatchObject({ id: 'c-1', name: 'Ada' });
      await auth.call.AuthorizeSession({ sessionToken: before.sessionToken });
      expect(brand.calls.get('/jwks')).toBe(1); // cached between messages
      expect(brand.calls.get('/token/introspection') ?? 0).toBe(0);

      // Right after the rotation: the new kid re-fetches the JWKS at once, and no sign-in is refused.
      await brand.rotateSigningKeys();
      const after = await signIn();
      await expect(auth.call.AuthorizeSession({ sessionToken: after.sessionToken })).resolves.toMatchObject({
        tenantId: 't',
      });
      expect(brand.calls.get('/jwks')).toBe(2);
    } finally {
      auth.close();
      await app.stop();
      await dropSchema(config.DATABASE_SCHEMA);
      await brand.stop();
    }
  });
});

describe('auth service with a slow customer-data endpoint beside a fast brand', () => {
  it('answers the fast brand’s messages while the slow brand’s data is still on its way', async () => {
    const [fast, slow] = [await startBrandServer(), await startBrandServer()];
    fast.customers.set('c-1', { name: 'Ada' });
    slow.customers.set('c-2', { name: 'Grace' });
    const app = await startAuth(silent());
    const auth = authClient(app.grpcAddress(), { deadlineMs: 10_000 });
    try {
      await auth.call.PutChannel({ channel: brandChannel(fast, 'fast-co', 'web') });
      await auth.call.PutChannel({ channel: brandChannel(slow, 'slow-co', 'web') });
      const fastSession = await signInThroughAuth(auth, fast, 'c-1', {
        tenantId: 'fast-co',
        channelId: 'web',
      });
      const slowSession = await signInThroughAuth(auth, slow, 'c-2', {
        tenantId: 'slow-co',
        channelId: 'web',
      });
      slow.delays.set('/me', 1500);
      // Twelve at once: with their introspections, 24 requests, within the host's 32 slots.
      const settled: string[] = [];
      const slowMessages = Array.from({ length: 12 }, (_, i) =>
        auth.call
          .AuthorizeSession({ sessionToken: slowSession.sessionToken, withCustomerData: true })
          .then((answer) => {
            settled.push(`slow-${i}`);
            return answer;
          }),
      );
      // Every slow message is waiting at the slow brand's customer data...
      await waitFor('the slow brand’s customer-data requests', () =>
        (slow.calls.get('/me') ?? 0) >= 13 ? true : undefined,
      );
      // ...and the fast brand's messages are answered, with their data, before any of them.
      for (let i = 0; i < 5; i += 1) {
        const answer = await auth.call.AuthorizeSession({
          sessionToken: fastSession.sessionToken,
          withCustomerData: true,
        });
        expect(JSON.parse(answer.customerDataJson)).toMatchObject({ customer: { name: 'Ada' } });
      }
      expect(settled).toEqual([]);
      const slowAnswers = await Promise.all(slowMessages);
      expect(slowAnswers.map((answer) => JSON.parse(answer.customerDataJson).enrichment.status)).toEqual(
        slowAnswers.map(() => 'ok'),
      );
    } finally {
      auth.close();
      await app.stop();
      await dropStore(app);
      await fast.stop();
      await slow.stop();
    }
  });
});
