import { randomBytes } from 'node:crypto';
import { createSecretBox } from '@parley/secrets';
import { describe, expect, it } from 'vitest';
import { createInMemoryAuthRepositories } from '../adapters/in-memory-auth-repositories.js';
import type { Channel } from './model.js';
import type { BrandOAuth, ClientAuthenticationAnswer } from './ports.js';
import { createChannelTest } from './test-channel.js';

const issuer = 'https://login.acme.example';
const now = new Date('2026-12-01T10:00:00Z');
const channel: Channel = {
  tenantId: 'acme',
  channelId: 'web',
  issuer,
  allowWithoutPkce: false,
  endpoints: {
    token: `${issuer}/token`,
    introspection: `${issuer}/introspect`,
    customerData: 'https://api.acme.example/me',
  },
  client: { clientId: 'parley', clientSecret: 'wrong', method: 'client_secret_basic' },
  redirectUris: ['https://www.acme.example/callback'],
  validation: { mode: 'introspection' },
  mapping: { customerId: '$.sub', name: '$.name', customFields: { tier: '$.tier' } },
  messagingMode: 'messaging',
  updatedAt: now,
};

/** A brand in memory that sends no Date header and answers client authentication as told. */
async function setup(
  answers: Record<'token' | 'introspection', ClientAuthenticationAnswer>,
  brandSays: { active: boolean } = { active: true },
) {
  const secretBox = createSecretBox({ keys: { k1: new Uint8Array(randomBytes(32)) }, activeKid: 'k1' });
  const { channels } = createInMemoryAuthRepositories({ secretBox });
  await channels.save(channel);
  const brand = {
    discover: async () => ({
      token: channel.endpoints.token,
      introspection: channel.endpoints.introspection,
    }),
    probe: async () => ({ status: 405 }),
    authenticateClient: async (_channel: Channel, endpoint: 'token' | 'introspection') => answers[endpoint],
    validate: async () => (brandSays.active ? { active: true, subject: 'c-1' } : { active: false }),
    fetchCustomerData: async () => ({ sub: 'c-1', name: 'Ada', tier: 'gold' }),
  } as unknown as BrandOAuth;
  return createChannelTest({ channels, brand, clock: { now: () => now } });
}

describe('the admin self-test', () => {
  it('proves the client credentials and names the failing check', async () => {
    const testChannel = await setup({
      token: { status: 401, error: 'invalid_client' },
      introspection: { status: 401, error: 'invalid_client' },
    });
    const result = await testChannel('acme', 'web');
    expect(result.ok).toBe(false);
    expect(result.checks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'client credentials (token)',
          ok: false,
          status: 'failed',
          detail: expect.stringContaining('invalid_client'),
        }),
        expect.objectContaining({ name: 'client credentials (introspection)', status: 'failed' }),
      ]),
    );
  });

  it('reports every promised check, with a reason when one could not be measured', async () => {
    const testChannel = await setup({
      token: { status: 400, error: 'invalid_grant' },
      introspection: { status: 200 },
    });
    const result = await testChannel('acme', 'web');
    expect(result.checks.map((check) => [check.name, check.status])).toEqual([
      ['discovery', 'passed'],
      ['endpoint token', 'passed'],
      ['endpoint introspection', 'passed'],
      ['endpoint customerData', 'passed'],
      ['client credentials (token)', 'passed'],
      ['client credentials (introspection)', 'passed'],
      ['clock skew', 'not_measured'],
      ['mapping', 'not_measured'],
    ]);
    expect(result.checks.find((check) => check.name === 'clock skew')?.detail).toContain('no Date header');
    expect(result.ok).toBe(true);
  });

  it('names a custom field the sample lacks, with its likely cause', async () => {
    const testChannel = await setup({
      token: { status: 400, error: 'invalid_grant' },
      introspection: { status: 200 },
    });
    const result = await testChannel('acme', 'web', { customerData: { sub: 'c-1', name: 'Ada' } });
    expect(result.checks.find((check) => check.name === 'mapping')).toMatchObject({
      status: 'failed',
      detail: expect.stringMatching(/tier.*\$\.tier.*user profile/s),
    });
  });

  it('with a test customer’s token: names a missing audience mapper when the brand says not active', async () => {
    const good = { token: { status: 400, error: 'invalid_grant' }, introspection: { status: 200 } };
    // A Keycloak access token without an audience mapper: aud names only the account console.
    const claims = {
      iss: issuer,
      sub: 'c-1',
      aud: 'account',
      azp: 'parley',
      exp: now.getTime() / 1000 + 300,
    };
    const keycloakToken = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
    const refused = await (await setup(good, { active: false }))('acme', 'web', {
      accessToken: keycloakToken,
    });
    expect(refused.checks.find((check) => check.name === 'sample token')).toMatchObject({
      status: 'failed',
      detail: expect.stringMatching(/aud \(account\).*add an audience mapper for parley/),
    });
    expect(refused.checks.find((check) => check.name === 'customer data')?.status).toBe('not_measured');

    const accepted = await (await setup(good))('acme', 'web', { accessToken: keycloakToken });
    expect(accepted.checks.slice(-3).map((check) => [check.name, check.status])).toEqual([
      ['sample token', 'passed'],
      ['customer data', 'passed'],
      ['mapping', 'passed'],
    ]);
    expect(accepted.checks.at(-1)?.detail).toContain('"tier":"gold"');
  });
});
