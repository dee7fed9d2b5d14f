import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoBrand, startDemoBrand } from './demo-brand.js';

const client = {
  clientId: 'parley-test',
  clientSecret: randomBytes(16).toString('hex'),
  redirectUris: ['http://127.0.0.1:9/callback'],
};
const redirectUri = client.redirectUris[0] as string;
const basicAuth = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;

/** A browser reduced to what the login needs: cookies and manual redirects. */
class Browser {
  private readonly cookies = new Map<string, string>();

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}) {
    const response = await fetch(url, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      redirect: 'manual',
      headers: {
        cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '),
        ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const [name = '', ...value] = pair.split('=');
      this.cookies.set(name.trim(), value.join('='));
    }
    return response;
  }

  /** Follows redirects from `url` until a page (returned with its text) or the client's redirect URI. */
  async follow(url: string, init: { form?: Record<string, string> } = {}) {
    let response = await this.request(url, init);
    for (let hop = 0; hop < 10; hop += 1) {
      const location = response.headers.get('location');
      if (!location) return { url, status: response.status, page: await response.text() };
      url = new URL(location, url).toString();
      if (url.startsWith(redirectUri)) return { url, status: response.status, page: '' };
      response = await this.request(url);
    }
    throw new Error(`too many redirects, last at ${url}`);
  }
}

function authorizationUrl(brand: DemoBrand, scope = 'openid profile offline_access crm') {
  const codeVerifier = randomBytes(32).toString('base64url');
  const state = randomBytes(8).toString('hex');
  const url = new URL(`${brand.issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: client.clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope,
    state,
    code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  return { url: url.toString(), codeVerifier, state };
}

const formAction = (page: string, base: string) =>
  new URL(/<form method="post" action="([^"]+)"/.exec(page)?.[1] ?? 'missing-form-action', base).toString();

async function tokenRequest(brand: DemoBrand, params: Record<string, string>) {
  const response = await fetch(`${brand.issuer}/token`, {
    method: 'POST',
    headers: { authorization: basicAuth, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function introspect(brand: DemoBrand, token: string) {
  const response = await fetch(`${brand.issuer}/token/introspection`, {
    method: 'POST',
    headers: { authorization: basicAuth, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

async function customerData(brand: DemoBrand, accessToken: string) {
  const response = await fetch(brand.customerDataUrl, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  return { status: response.status, body: response.status === 200 ? await response.json() : undefined };
}

function crmCall(brand: DemoBrand, method: string, path: string, body?: unknown) {
  return fetch(`${brand.issuer}/crm/api/customers${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** Signs `login` in through the login page and exchanges the code; returns the token response. */
async function signIn(brand: DemoBrand, browser: Browser, login: string) {
  const { url, codeVerifier } = authorizationUrl(brand);
  const loginPage = await browser.follow(url);
  const callback = await browser.follow(formAction(loginPage.page, loginPage.url), {
    form: { login, password: 'demo' },
  });
  const code = new URL(callback.url).searchParams.get('code') ?? 'no-code';
  return tokenRequest(brand, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    code_verifier: codeVerifier,
  });
}

describe('demo brand', () => {
  let brand: DemoBrand;
  beforeAll(async () => {
    brand = await startDemoBrand({ port: 0, clients: [client], accessTokenTtlSeconds: 120 });
  });
  afterAll(() => brand?.stop());

  it('carries the bound port in its issuer when started on port 0', async () => {
    expect(brand.issuer).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
    const discovery = await fetch(`${brand.issuer}/.well-known/openid-configuration`).then((r) => r.json());
    expect(discovery).toMatchObject({
      issuer: brand.issuer,
      userinfo_endpoint: brand.customerDataUrl,
      introspection_endpoint: `${brand.issuer}/token/introspection`,
      revocation_endpoint: `${brand.issuer}/token/revocation`,
      code_challenge_methods_supported: ['S256'],
    });
    expect(brand.crmUrl).toBe(`${brand.issuer}/crm`);
  });

  it('signs a customer in with PKCE, serves live CRM data and stops their tokens when revoked', async () => {
    const browser = new Browser();
    const { url, codeVerifier, state } = authorizationUrl(brand);

    const loginPage = await browser.follow(url);
    expect(loginPage.status).toBe(200);
    expect(loginPage.page).toMatch(/<input id="login" name="login"/);
    expect(loginPage.page).toMatch(/<input id="password" name="password" type="password"/);
    expect(loginPage.page).toMatch(/<button type="submit">/);
    expect(loginPage.page).toContain('Grace Hopper');

    const wrong = await browser.follow(formAction(loginPage.page, loginPage.url), {
      form: { login: 'ada', password: 'not-demo' },
    });
    expect(wrong.status).toBe(200);
    expect(wrong.page).toContain('Unknown customer or wrong password.');
    expect(wrong.page).toContain('name="login" value="ada"');

    const callback = await browser.follow(formAction(wrong.page, wrong.url), {
      form: { login: 'ada', password: 'demo' },
    });
    const returned = new URL(callback.url);
    expect(`${returned.origin}${returned.pathname}`).toBe(redirectUri);
    expect(returned.searchParams.get('state')).toBe(state);
    const code = returned.searchParams.get('code');
    expect(code).toBeTruthy();

    const tokens = await tokenRequest(brand, {
      grant_type: 'authorization_code',
      code: code as string,
      redirect_uri: redirectUri,
      code_verifier: codeVerifier,
    });
    expect(tokens.status).toBe(200);
    expect(tokens.body).toMatchObject({ token_type: 'Bearer', expires_in: 120 });
    const accessToken = tokens.body.access_token as string;
    const refreshToken = tokens.body.refresh_token as string;
    expect(refreshToken).toEqual(expect.any(String));

    expect(await customerData(brand, accessToken)).toEqual({
      status: 200,
      body: { sub: 'ada', name: 'Ada Lovelace', tier: 'gold', open_case: 'CASE-1042' },
    });
    const updated = await crmCall(brand, 'PUT', '/ada', { tier: 'platinum', openCase: 'CASE-1042' });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toMatchObject({ id: 'ada', tier: 'platinum', activeGrants: 1 });
    expect((await customerData(brand, accessToken)).body).toMatchObject({ sub: 'ada', tier: 'platinum' });
    expect(await introspect(brand, accessToken)).toMatchObject({
      active: true,
      sub: 'ada',
      client_id: client.clientId,
    });

    // Rotation: a refresh gives a new refresh token (the old one is spent).
    const refreshed = await tokenRequest(brand, { grant_type: 'refresh_token', refresh_token: refreshToken });
    expect(refreshed.status).toBe(200);
    const newAccessToken = refreshed.body.access_token as string;
    const newRefreshToken = refreshed.body.refresh_token as string;
    expect(newRefreshToken).toEqual(expect.any(String));
    expect(newRefreshToken).not.toBe(refreshToken);

    const revoked = await crmCall(brand, 'POST', '/ada/revoke', {});
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toEqual({ id: 'ada', revokedGrants: 1 });
    expect(await introspect(brand, accessToken)).toEqual({ active: false });
    expect(await introspect(brand, newAccessToken)).toEqual({ active: false });
    expect((await customerData(brand, newAccessToken)).status).toBe(401);
    const afterRevocation = await tokenRequest(brand, {
      grant_type: 'refresh_token',
      refresh_token: newRefreshToken,
    });
    expect(afterRevocation).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });

    // Revocation also ended the customer's session at the brand: the next authorization asks again.
    const again = await browser.follow(authorizationUrl(brand).url);
    expect(again.page).toMatch(/<input id="login" name="login"/);
  });

  it('serves a customer without an open case with open_case null', async () => {
    const tokens = await signIn(brand, new Browser(), 'Grace');
    expect(tokens.status).toBe(200);
    const data = await customerData(brand, tokens.body.access_token as string);
    expect(data.body).toEqual({ sub: 'grace', name: 'Grace Hopper', tier: 'platinum', open_case: null });
  });

  it('sets its cookies under its own names and not secure-only, so they work on http://127.0.0.1', async () => {
    const response = await fetch(authorizationUrl(brand).url, { redirect: 'manual' });
    const cookies = response.headers.getSetCookie();
    expect(cookies.map((cookie) => cookie.split('=')[0])).toContain('demo_brand_interaction');
    for (const cookie of cookies) expect(cookie.toLowerCase()).not.toMatch(/;\s*secure/);
  });

  it('sends access_denied to the app when the customer cancels', async () => {
    const browser = new Browser();
    const loginPage = await browser.follow(authorizationUrl(brand).url);
    const cancel = /<a href="([^"]+\/abort)"/.exec(loginPage.page)?.[1] ?? 'missing-abort-link';
    const result = await browser.follow(new URL(cancel, loginPage.url).toString());
    expect(new URL(result.url).searchParams.get('error')).toBe('access_denied');
  });

  it('refuses an authorization request without PKCE', async () => {
    const { url } = authorizationUrl(brand);
    const withoutPkce = new URL(url);
    withoutPkce.searchParams.delete('code_challenge');
    withoutPkce.searchParams.delete('code_challenge_method');
    const result = await new Browser().follow(withoutPkce.toString());
    expect(new URL(result.url).searchParams.get('error')).toBe('invalid_request');
  });

  it('escapes customer fields on the CRM page', async () => {
    const tier = '<img src=x onerror=alert(1)>';
    const openCase = '"><script>alert(1)</script>';
    expect((await crmCall(brand, 'PUT', '/alan', { tier, openCase })).status).toBe(200);

    const response = await fetch(brand.crmUrl);
    const page = await response.text();
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page).toContain('<tr data-customer="alan">');
    expect(page).toContain('value="&lt;img src=x onerror=alert(1)&gt;"');
    expect(page).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(page).not.toContain(tier);
    expect(page).not.toContain(openCase);
    expect(page).toMatch(/<button type="button" data-action="save">/);
    expect(page).toMatch(/data-action="revoke"/);
    expect(page).toMatch(/<span data-status /);
  });

  it('refuses bad CRM changes with a clear error', async () => {
    const empty = await crmCall(brand, 'PUT', '/grace', { tier: ' ' });
    expect(empty.status).toBe(400);
    expect(await empty.json()).toEqual({
      error: 'invalid_request',
      error_description: 'tier must not be empty',
    });
    const unknownField = await crmCall(brand, 'PUT', '/grace', { tier: 'gold', email: 'x' });
    expect(await unknownField.json()).toMatchObject({ error: 'invalid_request' });
    expect((await crmCall(brand, 'PUT', '/nobody', { tier: 'gold' })).status).toBe(404);
    const notJson = await fetch(`${brand.issuer}/crm/api/customers/grace/revoke`, { method: 'POST' });
    expect(notJson.status).toBe(415);
    const customers = await (await crmCall(brand, 'GET', '')).json();
    expect(customers).toContainEqual(
      expect.objectContaining({ id: 'grace', tier: 'platinum', openCase: null }),
    );
  });
});
