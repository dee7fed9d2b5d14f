import { type BrandServer, startBrandServer } from '@parley/test-brand';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The test brand itself must behave like a real OAuth server before Parley is tested against it. */
describe('test brand server (oidc-provider)', () => {
  let brand: BrandServer;
  const basic = () =>
    `Basic ${Buffer.from(`${brand.client.clientId}:${brand.client.clientSecret}`).toString('base64')}`;
  const post = async (url: string, form: Record<string, string>) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { authorization: basic(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    brand = await startBrandServer();
    brand.customers.set('c-42', { name: 'Ada Lovelace', tier: 'gold', open_case: 'CASE-7' });
  });
  afterAll(() => brand?.stop());

  it('runs the code flow with PKCE, introspection, customer data, rotation and revocation', async () => {
    const { code, codeVerifier, redirectUri } = await brand.authorize('c-42');
    const exchange = await post(brand.endpoints.token, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: codeVerifier,
    });
    expect(exchange.status).toBe(200);
    expect(exchange.body).toMatchObject({
      token_type: 'Bearer',
      access_token: expect.any(String),
      refresh_token: expect.any(String),
    });

    const introspection = await post(brand.endpoints.introspection, {
      token: String(exchange.body.access_token),
    });
    expect(introspection.body).toMatchObject({ active: true, sub: 'c-42', client_id: 'parley' });

    const me = await fetch(brand.endpoints.userinfo, {
      headers: { authorization: `Bearer ${exchange.body.access_token}` },
    });
    expect(await me.json()).toEqual({ sub: 'c-42', name: 'Ada Lovelace', tier: 'gold', open_case: 'CASE-7' });

    const refreshed = await post(brand.endpoints.token, {
      grant_type: 'refresh_token',
      refresh_token: String(exchange.body.refresh_token),
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).not.toBe(exchange.body.refresh_token);
    const reused = await post(brand.endpoints.token, {
      grant_type: 'refresh_token',
      refresh_token: String(exchange.body.refresh_token),
    });
    expect(reused).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });

    await brand.revokeGrants('c-42');
    const afterRevoke = await post(brand.endpoints.introspection, {
      token: String(refreshed.body.access_token),
    });
    expect(afterRevoke.body).toMatchObject({ active: false });
    const refreshAfterRevoke = await post(brand.endpoints.token, {
      grant_type: 'refresh_token',
      refresh_token: String(refreshed.body.refresh_token),
    });
    expect(refreshAfterRevoke).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('refuses a replayed code and revokes what it had issued', async () => {
    const { code, codeVerifier, redirectUri } = await brand.authorize('c-42');
    const form = {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: codeVerifier,
    };
    const first = await post(brand.endpoints.token, form);
    expect(first.status).toBe(200);
    expect(await post(brand.endpoints.token, form)).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant' },
    });
    const introspection = await post(brand.endpoints.introspection, {
      token: String(first.body.access_token),
    });
    expect(introspection.body).toMatchObject({ active: false });
  });

  it('refuses a wrong redirect URI and a wrong code verifier', async () => {
    const { code, redirectUri } = await brand.authorize('c-42');
    const wrongVerifier = await post(brand.endpoints.token, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: 'x'.repeat(43),
    });
    expect(wrongVerifier).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const second = await brand.authorize('c-42');
    const wrongRedirect = await post(brand.endpoints.token, {
      grant_type: 'authorization_code',
      code: second.code,
      redirect_uri: 'https://chat.brand.example/other',
      code_verifier: second.codeVerifier,
    });
    expect(wrongRedirect).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });
});
