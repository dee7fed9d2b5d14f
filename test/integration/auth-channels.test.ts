import type { AuthServiceDefinition, ServiceClient } from '@parley/grpc';
import { createLogger } from '@parley/logger';
import { type BrandServer, startBrandServer } from '@parley/test-brand';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authClient } from '../support/grpc.js';
import { brandChannel, dropStore, startAuth } from '../support/services.js';

const silent = () => createLogger({ service: 'auth', version: 'test', level: 'silent' });

/** A channel of `tenantId` that claims `victim`'s issuer while its OAuth endpoints are `attacker`'s. */
const impostor = (victim: BrandServer, attacker: BrandServer, tenantId: string, channelId: string) =>
  brandChannel(attacker, tenantId, channelId, {
    issuer: victim.issuer,
    endpoints: {
      token: attacker.endpoints.token,
      introspection: attacker.endpoints.introspection,
      revocation: attacker.endpoints.revocation,
    },
  });

describe('channel settings against real brand OAuth servers', () => {
  let victim: BrandServer;
  let attacker: BrandServer;
  let app: Awaited<ReturnType<typeof startAuth>>;
  let auth: ServiceClient<AuthServiceDefinition>;

  beforeAll(async () => {
    [victim, attacker] = await Promise.all([startBrandServer(), startBrandServer()]);
    victim.customers.set('c-1', { name: 'Ada', tier: 'gold' });
    attacker.customers.set('c-1', { name: 'Mallory' });
    app = await startAuth(silent(), {
      // The operator vouches for the attacker's origin for one tenant only (what an on-premises
      // proxy in front of an IdP would need): the introspection answer must still name the issuer.
      BRAND_ISSUER_ENDPOINT_EXCEPTIONS: `proxied:${victim.issuer}=${attacker.issuer}`,
    });
    auth = authClient(app.grpcAddress(), { deadlineMs: 10_000 });
    await auth.call.PutChannel({
      channel: brandChannel(victim, 'tenant-a', 'web', {
        mapping: { customFields: { tier: '$.profile.tier' } },
      }),
    });
  });

  afterAll(async () => {
    auth?.close();
    await app?.stop();
    await dropStore(app);
    await Promise.all([victim?.stop(), attacker?.stop()]);
  });

  it('refuses a second channel, of the same or another tenant, claiming the victim’s issuer with endpoints elsewhere', async () => {
    for (const tenantId of ['tenant-a', 'tenant-b']) {
      await expect(
        auth.call.PutChannel({ channel: impostor(victim, attacker, tenantId, 'evil') }),
      ).rejects.toMatchObject({
        code: 'invalid_argument',
        message: expect.stringMatching(/endpoints\.token: must be on the issuer's origin/),
      });
      await expect(auth.call.GetChannel({ tenantId, channelId: 'evil' })).rejects.toMatchObject({
        code: 'not_found',
      });
    }
    // The endpoints the victim's own discovery document names are fine.
    await expect(
      auth.call.PutChannel({
        channel: brandChannel(victim, 'tenant-b', 'web', {
          endpoints: { token: victim.endpoints.token, introspection: victim.endpoints.introspection },
        }),
      }),
    ).resolves.toMatchObject({ issuer: victim.issuer });
  });

  it('refuses an introspection answer that names another issuer', async () => {
    await auth.call.PutChannel({ channel: impostor(victim, attacker, 'proxied', 'web') });
    // No `openid` scope, so no ID token: the introspection answer is all that names the issuer.
    const { code, codeVerifier, redirectUri } = await attacker.authorize('c-1', {
      scope: 'offline_access profile',
    });
    await expect(
      auth.call.ExchangeCode({
        tenantId: 'proxied',
        channelId: 'web',
        code,
        codeVerifier,
        redirectUri,
        iss: victim.issuer, // whoever drives the exchange can claim it (RFC 9207 checks only that it matches)
        device: { id: 'd-1', platform: 'web' },
      }),
    ).rejects.toMatchObject({
      code: 'brand_error',
      message: expect.stringContaining(`introspection answered for issuer ${attacker.issuer}`),
    });
  });

  it('self-test: a wrong client secret fails the client-credentials checks, by name', async () => {
    const wrong = brandChannel(victim, 'tenant-a', 'wrong-secret', {
      client: { clientId: victim.client.clientId, clientSecret: 'not-the-secret' },
    });
    await auth.call.PutChannel({ channel: wrong });
    const result = await auth.call.TestChannel({ tenantId: 'tenant-a', channelId: 'wrong-secret' });
    expect(result.ok).toBe(false);
    const failing = result.checks.filter((check) => !check.ok);
    expect(failing.map((check) => [check.name, check.status])).toEqual([
      ['client credentials (token)', 'failed'],
      ['client credentials (introspection)', 'failed'],
    ]);
    expect(failing[0]?.detail).toContain('invalid_client');
  });

  it('self-test: every check appears for a good channel, with the mapping applied to a nested sample', async () => {
    const result = await auth.call.TestChannel({
      tenantId: 'tenant-a',
      channelId: 'web',
      sampleCustomerDataJson: JSON.stringify({ sub: 'c-9', name: 'Ada', profile: { tier: 'bronze' } }),
    });
    expect(result.checks.map((check) => [check.name, check.status])).toEqual([
      ['discovery', 'passed'],
      ['endpoint token', 'passed'],
      ['endpoint introspection', 'passed'],
      ['endpoint jwks', 'passed'],
      ['endpoint revocation', 'passed'],
      ['endpoint authorization', 'passed'],
      ['endpoint customerData', 'passed'],
      ['client credentials (token)', 'passed'],
      ['client credentials (introspection)', 'passed'],
      ['clock skew', 'passed'],
      ['mapping', 'passed'],
    ]);
    expect(result.checks.at(-1)?.detail).toContain('"tier":"bronze"');
  });

  it('self-test with a test customer’s token: the brand accepts it, and its live customer data is mapped', async () => {
    const { code, codeVerifier, redirectUri } = await victim.authorize('c-1');
    const basic = Buffer.from(`${victim.client.clientId}:${victim.client.clientSecret}`).toString('base64');
    const tokens = (await (
      await fetch(victim.endpoints.token, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          code_verifier: codeVerifier,
          redirect_uri: redirectUri,
        }).toString(),
      })
    ).json()) as { access_token: string };
    const result = await auth.call.TestChannel({
      tenantId: 'tenant-a',
      channelId: 'web',
      sampleAccessToken: tokens.access_token,
    });
    expect(result.checks.slice(-3).map((check) => [check.name, check.status])).toEqual([
      ['sample token', 'passed'],
      ['customer data', 'passed'],
      // The brand releases `tier` at the top level, not under `profile`: the likely cause is named.
      ['mapping', 'failed'],
    ]);
    expect(result.checks.at(-1)?.detail).toMatch(
      /not in the sample: tier \(\$\.profile\.tier\).*user profile/,
    );

    const made = await auth.call.TestChannel({
      tenantId: 'tenant-a',
      channelId: 'web',
      sampleAccessToken: 'made-up-token',
    });
    expect(made.checks.find((check) => check.name === 'sample token')).toMatchObject({
      status: 'failed',
      detail: expect.stringContaining('not active'),
    });
  });
});
