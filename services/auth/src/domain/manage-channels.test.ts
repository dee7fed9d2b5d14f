import { randomBytes } from 'node:crypto';
import { ParleyError } from '@parley/errors';
import { createSecretBox } from '@parley/secrets';
import { describe, expect, it } from 'vitest';
import { createInMemoryAuthRepositories } from '../adapters/in-memory-auth-repositories.js';
import type { ChannelInput } from './channel-settings.js';
import type { IssuerEndpointException } from './issuer-endpoints.js';
import { createChannelManagement } from './manage-channels.js';
import type { BrandOAuth, DiscoveredEndpoints } from './ports.js';

const victim = 'https://login.victim.example';
const victimEndpoints: DiscoveredEndpoints = {
  token: `${victim}/oauth/token`,
  introspection: `${victim}/oauth/introspect`,
  revocation: `${victim}/oauth/revoke`,
  jwks: `${victim}/oauth/jwks`,
  authorization: `${victim}/oauth/authorize`,
};
// A brand whose discovery document names endpoints on another origin (a hosted IdP's token host).
const split = 'https://login.split.example';
const splitEndpoints: DiscoveredEndpoints = {
  token: 'https://tokens.split-idp.example/token',
  introspection: 'https://tokens.split-idp.example/introspect',
};

function setup(exceptions: IssuerEndpointException[] = []) {
  const secretBox = createSecretBox({ keys: { k1: new Uint8Array(randomBytes(32)) }, activeKid: 'k1' });
  const { channels } = createInMemoryAuthRepositories({ secretBox });
  const documents = new Map([
    [victim, victimEndpoints],
    [split, splitEndpoints],
  ]);
  const discovered: string[] = [];
  // Only discovery is used by channel management: the brand's documents, in memory.
  const brand = {
    async discover(_tenantId: string, issuer: string) {
      discovered.push(issuer);
      const document = documents.get(issuer);
      if (!document) throw new ParleyError('brand_error', `OpenID discovery at ${issuer} answered 404`);
      return document;
    },
  } as unknown as BrandOAuth;
  const management = createChannelManagement({
    channels,
    brand,
    clock: { now: () => new Date('2026-12-01T10:00:00Z') },
    brandUrl: (url) => url.protocol === 'https:',
    issuerEndpointExceptions: exceptions,
  });
  return { management, channels, discovered };
}

const settings = (overrides: Partial<ChannelInput> = {}): ChannelInput => ({
  tenantId: 'acme',
  channelId: 'web',
  issuer: victim,
  client: { clientId: 'parley', clientSecret: 's3cret' },
  redirectUris: ['https://www.acme.example/callback'],
  customerDataUrl: 'https://api.acme.example/me',
  ...overrides,
});

describe('a channel’s endpoints belong to its issuer (customer keys hash the issuer)', () => {
  it('refuses a channel claiming an issuer while its token and introspection endpoints point elsewhere', async () => {
    const { management } = setup();
    for (const tenantId of ['acme', 'mallory']) {
      await expect(
        management.putChannel(
          settings({
            tenantId,
            channelId: 'evil',
            endpoints: {
              token: 'https://attacker.example/token',
              introspection: 'https://attacker.example/introspect',
            },
          }),
        ),
      ).rejects.toMatchObject({
        code: 'invalid_argument',
        message: expect.stringMatching(/endpoints\.token: .*issuer.*endpoints\.introspection/s),
        context: { fields: ['endpoints.token', 'endpoints.introspection'] },
      });
    }
  });

  it('refuses a JWKS elsewhere, and a JWT issuer other than the channel’s', async () => {
    const { management } = setup();
    const jwt = { audiences: ['https://api.acme.example'] };
    await expect(
      management.putChannel(
        settings({ validationMode: 'jwt', jwt, endpoints: { jwks: 'https://attacker.example/jwks' } }),
      ),
    ).rejects.toMatchObject({ code: 'invalid_argument', context: { fields: ['endpoints.jwks'] } });
    await expect(
      management.putChannel(
        settings({ validationMode: 'jwt', jwt: { ...jwt, issuer: 'https://attacker.example' } }),
      ),
    ).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringContaining('jwt.issuer') });
  });

  it('accepts endpoints on the issuer’s origin, or the ones its discovery document names', async () => {
    const { management, discovered } = setup();
    await expect(
      management.putChannel(settings({ endpoints: { token: `${victim}/t`, introspection: `${victim}/i` } })),
    ).resolves.toMatchObject({ endpoints: { token: `${victim}/t`, introspection: `${victim}/i` } });
    expect(discovered).toEqual([]); // same origin: nothing to confirm
    await expect(
      management.putChannel(settings({ issuer: split, endpoints: { ...splitEndpoints } })),
    ).resolves.toMatchObject({ endpoints: splitEndpoints });
  });

  it('lets the operator, not a tenant admin, allow another origin for an issuer, per tenant', async () => {
    const { management } = setup([
      { tenantId: 'acme', issuer: victim, origin: 'https://idp-proxy.acme.example' },
    ]);
    const endpoints = {
      token: 'https://idp-proxy.acme.example/token',
      introspection: 'https://idp-proxy.acme.example/introspect',
    };
    await expect(management.putChannel(settings({ endpoints }))).resolves.toMatchObject({ endpoints });
    await expect(management.putChannel(settings({ tenantId: 'globex', endpoints }))).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });
});

describe('moving a URL that receives a token or the client secret needs the secret again', () => {
  it('refuses to move the customer-data URL to another origin without the secret, and changes nothing', async () => {
    const { management } = setup();
    await management.putChannel(settings());
    const keep = { clientId: 'parley' };
    await expect(
      management.putChannel(settings({ client: keep, customerDataUrl: 'https://attacker.example/me' })),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringMatching(/client\.clientSecret.*customerDataUrl/),
      context: { fields: ['client.clientSecret'] },
    });
    expect((await management.getChannel('acme', 'web')).endpoints.customerData).toBe(
      'https://api.acme.example/me',
    );
    // A new path on the same server keeps the secret; a new server with the secret is fine.
    await expect(
      management.putChannel(settings({ client: keep, customerDataUrl: 'https://api.acme.example/v2/me' })),
    ).resolves.toMatchObject({ client: { clientSecretSet: true } });
    await expect(
      management.putChannel(settings({ customerDataUrl: 'https://crm.acme.example/me' })),
    ).resolves.toMatchObject({ endpoints: { customerData: 'https://crm.acme.example/me' } });
  });

  it('refuses to move the token endpoint without the secret', async () => {
    const { management } = setup([{ issuer: victim, origin: 'https://tokens.acme.example' }]);
    await management.putChannel(settings());
    await expect(
      management.putChannel(
        settings({ client: { clientId: 'parley' }, endpoints: { token: 'https://tokens.acme.example/t' } }),
      ),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringContaining('endpoints.token'),
    });
  });
});
