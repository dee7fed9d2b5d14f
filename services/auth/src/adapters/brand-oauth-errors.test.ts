import type { BrandHttpClient } from '@parley/brand-http';
import { describe, expect, it } from 'vitest';
import type { Channel } from '../domain/model.js';
import { createBrandOAuth } from './brand-oauth.js';

// What a brand's token endpoint says in `error` reaches the signing-in customer in a brand_error's
// message: bounded, printable ASCII only, whatever the brand sends.
const channel = {
  tenantId: 'acme',
  channelId: 'web',
  issuer: 'https://id.acme.example',
  endpoints: { token: 'https://id.acme.example/token', customerData: 'https://api.acme.example/me' },
  client: { clientId: 'parley', clientSecret: 'secret', method: 'client_secret_basic' },
  validation: { mode: 'introspection' },
} as unknown as Channel;

const answering = (status: number, body: unknown): BrandHttpClient => ({
  request: async () => ({
    status,
    headers: {},
    body: Buffer.from(JSON.stringify(body)),
    json: () => body,
  }),
});
const clock = { now: () => new Date() };

describe("a brand's OAuth error string", () => {
  it('is bounded and stripped to printable ASCII in the error a client sees', async () => {
    const hostile = `\u001b[2J\u001b[Hinvalid_client\r\nX-Injected: 1 ${'A'.repeat(100_000)}`;
    const oauth = createBrandOAuth({ http: answering(400, { error: hostile }), clock });
    const error = await oauth
      .exchangeCode(channel, { code: 'c', redirectUri: 'https://www.acme.example/cb' })
      .then(
        () => undefined,
        (thrown: unknown) => thrown as Error & { code: string },
      );
    expect(error).toMatchObject({ code: 'brand_error' });
    expect(error?.message.length).toBeLessThan(200);
    expect(error?.message).toMatch(/^[\x20-\x7e]+$/);
    expect(error?.message).toContain('?[2J?[Hinvalid_client??X-Injected: 1 AAA');
  });

  it('keeps invalid_grant recognisable: the customer signs in again', async () => {
    const oauth = createBrandOAuth({ http: answering(400, { error: 'invalid_grant' }), clock });
    await expect(oauth.refresh(channel, 'r')).rejects.toMatchObject({ code: 'reauthentication_required' });
  });
});
