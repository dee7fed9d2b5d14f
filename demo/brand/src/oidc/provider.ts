import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import Provider, { type Configuration, type JWK, type KoaContextWithOIDC } from 'oidc-provider';
import type { CustomerStore } from '../crm/customers.js';
import type { DemoBrandClient } from '../options.js';
import { html, trustedHtml } from '../pages/html.js';
import { pageHeaders } from '../pages/layout.js';
import { messagePage } from '../pages/message-page.js';
import type { MemoryStore } from './memory-adapter.js';

const HOUR = 3600;

export interface BrandProviderDeps {
  readonly issuer: string;
  readonly clients: readonly DemoBrandClient[];
  readonly customers: CustomerStore;
  readonly store: MemoryStore;
  readonly accessTokenTtlSeconds: number;
}

// A fresh RSA key per start: tokens do not outlive the in-memory store anyway.
async function signingKey(): Promise<JWK> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  return { ...(privateKey.export({ format: 'jwk' }) as JWK), kid: 'demo-brand-1', alg: 'RS256', use: 'sig' };
}

function renderPage(ctx: KoaContextWithOIDC, body: string) {
  ctx.set(pageHeaders);
  ctx.body = body;
}

/**
 * The brand's OAuth 2.0 / OpenID Connect server: authorization code flow with PKCE (S256) required,
 * `offline_access` refresh tokens that rotate, introspection and revocation for the confidential
 * clients, and userinfo at `/me` as the customer-data endpoint, read live from the customer store.
 */
export async function createBrandProvider(deps: BrandProviderDeps): Promise<Provider> {
  const { issuer, clients, customers, store, accessTokenTtlSeconds } = deps;
  const configuration: Configuration = {
    adapter: store.adapter,
    jwks: { keys: [await signingKey()] },
    cookies: {
      keys: [randomBytes(32).toString('base64url')],
      // Cookies ignore ports, so on 127.0.0.1 the brand shares them with Parley's demo apps: own names.
      names: {
        session: 'demo_brand_session',
        interaction: 'demo_brand_interaction',
        resume: 'demo_brand_interaction_resume',
      },
      // No `secure` here: oidc-provider marks cookies secure on https requests only, so they work on
      // http://127.0.0.1 in this demo. A production brand is served over https, with secure cookies.
    },
    clients: clients.map((client) => ({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      redirect_uris: client.redirectUris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    responseTypes: ['code'],
    scopes: ['openid', 'offline_access', 'profile', 'crm'],
    claims: { openid: ['sub'], profile: ['name'], crm: ['tier', 'open_case'] },
    async findAccount(_ctx, sub) {
      if (!customers.find(sub)) return undefined;
      return {
        accountId: sub,
        // Read at every call, so a CRM change shows in the very next userinfo response.
        async claims() {
          const customer = customers.find(sub);
          return { sub, name: customer?.name, tier: customer?.tier, open_case: customer?.openCase ?? null };
        },
      };
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) =>
          renderPage(
            ctx,
            messagePage({
              title: 'Sign out',
              message: 'Sign out of the demo brand? The next sign-in will ask which customer you are.',
              // The form is oidc-provider's own markup (with its CSRF token); the button submits it.
              extra: html`${trustedHtml(form)}<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
                <p class="muted"><a href="/">Stay signed in</a></p>`,
            }),
          ),
        postLogoutSuccessSource: (ctx) =>
          renderPage(
            ctx,
            messagePage({ title: 'Signed out', message: 'You are signed out of the demo brand.' }),
          ),
      },
    },
    // Browsers never call the token or userinfo endpoints of this brand directly: Parley does.
    clientBasedCORS: () => false,
    pkce: { required: () => true },
    rotateRefreshToken: true,
    ttl: {
      AccessToken: accessTokenTtlSeconds,
      AuthorizationCode: 60,
      IdToken: HOUR,
      RefreshToken: 24 * HOUR,
      // Longer than a refresh token, so a rotated refresh token never outlives its grant.
      Grant: 7 * 24 * HOUR,
      Session: 24 * HOUR,
      Interaction: HOUR,
    },
    routes: { userinfo: '/me' },
    renderError(ctx, out) {
      const message = out.error_description ?? out.error;
      renderPage(ctx, messagePage({ title: 'The sign-in could not continue', message: String(message) }));
    },
  };
  const provider = new Provider(issuer, configuration);
  provider.on('server_error', (_ctx, error) =>
    console.error('demo brand: oidc-provider server error', error),
  );
  return provider;
}
