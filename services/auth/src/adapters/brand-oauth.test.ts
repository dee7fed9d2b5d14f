import type { BrandHttpClient } from '@parley/brand-http';
import { describe, expect, it } from 'vitest';
import type { Channel } from '../domain/model.js';
import { createBrandOAuth } from './brand-oauth.js';

describe('brand OAuth, jwt mode', () => {
  it('refuses a stored channel whose jwt.issuer is not its issuer, asking the brand nothing', async () => {
    const requests: string[] = [];
    const http = {
      request: async (url: string) => {
        requests.push(url);
        throw new Error('not reached');
      },
    } as unknown as BrandHttpClient;
    const brand = createBrandOAuth({ http, clock: { now: () => new Date() } });
    const channel = {
      tenantId: 'acme',
      channelId: 'app',
      issuer: 'https://login.victim.example',
      endpoints: { token: 'https://login.victim.example/token', jwks: 'https://login.victim.example/jwks' },
      validation: {
        mode: 'jwt',
        issuer: 'https://tenant-of-mallory.shared-idp.example',
        audiences: ['https://api.acme.example'],
        algorithms: ['RS256'],
        clockToleranceSeconds: 30,
      },
    } as unknown as Channel;
    await expect(brand.validate(channel, 'eyJ.x.y')).rejects.toMatchObject({
      code: 'brand_error',
      message: expect.stringContaining('jwt.issuer'),
    });
    expect(requests).toEqual([]);
  });
});
