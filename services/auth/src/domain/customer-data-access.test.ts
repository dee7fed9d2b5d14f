import { randomBytes } from 'node:crypto';
import { ParleyError } from '@parley/errors';
import { createSecretBox } from '@parley/secrets';
import { describe, expect, it } from 'vitest';
import { createInMemoryAuthRepositories } from '../adapters/in-memory-auth-repositories.js';
import { createCustomerDataAccess } from './customer-data-access.js';
import type { Channel, Credentials } from './model.js';
import type { BrandOAuth, CustomerDataAccessOutcome, TokenSet } from './ports.js';
import { createTokenRefresher } from './token-refresher.js';

const start = new Date('2026-12-02T10:00:00Z');
const request = { tenantId: 'acme', customerKey: 'ck-1', channelId: 'web', messageId: 'm-1' };

const channel: Channel = {
  tenantId: 'acme',
  channelId: 'web',
  issuer: 'https://id.acme.example',
  allowWithoutPkce: false,
  endpoints: { token: 'https://id.acme.example/token', customerData: 'https://api.acme.example/me' },
  client: { clientId: 'parley', clientSecret: 'client-secret', method: 'client_secret_basic' },
  redirectUris: ['https://chat.acme.example/callback'],
  validation: { mode: 'introspection' },
  mapping: { customerId: '$.sub', name: '$.name', customFields: { tier: '$.tier' } },
  messagingMode: 'messaging',
  updatedAt: start,
};

const signedInCredentials: Credentials = {
  tenantId: 'acme',
  customerKey: 'ck-1',
  channelId: 'web',
  subject: 'brand-user-1',
  accessToken: 'at-0',
  accessTokenExpiresAt: new Date(start.getTime() + 600_000),
  refreshToken: 'rt-0',
  version: 1,
  updatedAt: start,
};

/** A signed-in customer on the web channel; `refresh` is the brand's answer to a refresh. */
async function setup(refresh: (token: string) => Promise<TokenSet> = refreshed) {
  let now = start;
  const clock = { now: () => now };
  const secretBox = createSecretBox({ keys: { k1: new Uint8Array(randomBytes(32)) }, activeKid: 'k1' });
  const stores = createInMemoryAuthRepositories({ secretBox, clock });
  const refreshCalls: string[] = [];
  const brand = {
    refresh: async (_channel: Channel, token: string) => {
      refreshCalls.push(token);
      return refresh(token);
    },
  } as unknown as BrandOAuth;
  const refresher = createTokenRefresher({ ...stores, brand, clock, brandTimeoutMs: 1000, pollMs: 1 });
  const outcomes: CustomerDataAccessOutcome[] = [];
  const getCustomerDataAccess = createCustomerDataAccess({
    ...stores,
    refresher,
    metrics: { customerDataAccess: (outcome) => void outcomes.push(outcome), customerData: () => undefined },
  });
  await stores.channels.save(channel);
  await stores.credentials.save(signedInCredentials);
  await stores.sessions.create({
    sessionId: 's-1',
    tenantId: 'acme',
    channelId: 'web',
    customerKey: 'ck-1',
    deviceId: 'laptop',
    platform: 'web',
    threadId: 'th-1',
    createdAt: start,
    expiresAt: new Date(start.getTime() + 86_400_000),
  });
  return {
    getCustomerDataAccess,
    stores,
    refresher,
    outcomes,
    refreshCalls,
    advance: (ms: number) => (now = new Date(now.getTime() + ms)),
  };
}

async function refreshed(): Promise<TokenSet> {
  return { accessToken: 'at-1', tokenType: 'Bearer', expiresInSeconds: 600, refreshToken: 'rt-1' };
}

describe('GetCustomerDataAccess', () => {
  it('hands out the channel’s customer-data URL and mapping with the customer’s current token, counted', async () => {
    const { getCustomerDataAccess, outcomes, refreshCalls, stores } = await setup();
    expect(await getCustomerDataAccess(request)).toEqual({
      customerDataUrl: 'https://api.acme.example/me',
      mapping: channel.mapping,
      accessToken: 'at-0',
      expiresAt: signedInCredentials.accessTokenExpiresAt,
    });
    expect(refreshCalls).toEqual([]);
    expect(outcomes).toEqual(['issued']);
    // Counted, not audited one by one.
    expect(await stores.audit.listOfCustomer('acme', 'ck-1')).toEqual([]);
  });

  it('refreshes a token about to expire, under the lock, and hands out the new one', async () => {
    const { getCustomerDataAccess, refreshCalls, advance, stores } = await setup();
    advance(590_000); // 10 s left: inside the refresh margin
    expect(await getCustomerDataAccess(request)).toMatchObject({ accessToken: 'at-1' });
    expect(refreshCalls).toEqual(['rt-0']);
    const stored = await stores.credentials.find('acme', 'ck-1', 'web');
    expect(stored?.version).toBe(2);
    expect(await stored?.openRefreshToken?.()).toBe('rt-1');
  });

  it('is not_found for a customer who never signed in on the channel', async () => {
    const { getCustomerDataAccess, outcomes } = await setup();
    await expect(getCustomerDataAccess({ ...request, customerKey: 'ck-2' })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(getCustomerDataAccess({ ...request, channelId: 'mobile' })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(getCustomerDataAccess({ ...request, tenantId: 'other' })).rejects.toMatchObject({
      code: 'not_found',
    });
    expect(outcomes).toEqual(['not_found', 'not_found', 'not_found']);
  });

  it('is not_found for a customer who signed out, though their credentials are not cleaned up yet', async () => {
    const { getCustomerDataAccess, stores } = await setup();
    await stores.sessions.deleteAllOfCustomer('acme', 'ck-1');
    expect(await stores.credentials.find('acme', 'ck-1', 'web')).not.toBeNull();
    await expect(getCustomerDataAccess(request)).rejects.toMatchObject({
      code: 'not_found',
      message: 'no signed-in customer with that key in this tenant',
    });
  });

  it('is not_found when the channel is no longer configured', async () => {
    const { stores, refresher, outcomes } = await setup();
    // The store's answer with the channel row gone (the port has no delete: an operator's).
    const getCustomerDataAccess = createCustomerDataAccess({
      ...stores,
      access: {
        ...stores.access,
        customerChannel: async (...key) => ({
          ...(await stores.access.customerChannel(...key)),
          channel: null,
        }),
      },
      refresher,
      metrics: {
        customerDataAccess: (outcome) => void outcomes.push(outcome),
        customerData: () => undefined,
      },
    });
    await expect(getCustomerDataAccess(request)).rejects.toMatchObject({
      code: 'not_found',
      message: 'the customer’s channel is no longer configured',
    });
    expect(outcomes).toEqual(['not_found']);
  });

  it('ends the grant the brand refused: credentials and sessions go, reauthentication_required', async () => {
    const { getCustomerDataAccess, stores, advance, outcomes } = await setup(async () => {
      throw new ParleyError('reauthentication_required', 'the brand refused the refresh token');
    });
    advance(600_000);
    await expect(getCustomerDataAccess(request)).rejects.toMatchObject({ code: 'reauthentication_required' });
    expect(await stores.credentials.find('acme', 'ck-1', 'web')).toBeNull();
    expect(await stores.sessions.countOfCustomer('acme', 'ck-1')).toBe(0);
    expect(outcomes).toEqual(['reauthentication_required']);
  });

  it('fails closed when the brand does not answer the refresh: auth_unavailable, the grant kept', async () => {
    const { getCustomerDataAccess, stores, advance, outcomes } = await setup(async () => {
      throw new ParleyError('brand_unavailable', 'the token endpoint did not answer');
    });
    advance(600_000);
    await expect(getCustomerDataAccess(request)).rejects.toMatchObject({ code: 'auth_unavailable' });
    expect(await stores.credentials.find('acme', 'ck-1', 'web')).not.toBeNull();
    expect(outcomes).toEqual(['auth_unavailable']);
  });

  it('refuses a request without a tenant, customer or channel', async () => {
    const { getCustomerDataAccess, outcomes } = await setup();
    for (const bad of [
      { tenantId: '' },
      { customerKey: '' },
      { channelId: '' },
      { channelId: 'c'.repeat(65) },
    ])
      await expect(getCustomerDataAccess({ ...request, ...bad })).rejects.toMatchObject({
        code: 'invalid_argument',
      });
    expect(outcomes).toEqual(Array(4).fill('invalid_argument'));
  });
});
