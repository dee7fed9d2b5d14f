import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type Adapter, type AdapterPayload, type Configuration } from 'oidc-provider';

/**
 * A brand's OAuth/OpenID server for tests: a real `oidc-provider` on loopback with the client
 * Parley uses, customers whose data tests can change, authorization code flow with PKCE and
 * `offline_access`, refresh-token rotation, introspection and revocation. Its userinfo endpoint is
 * the brand's customer-data endpoint.
 */
export interface BrandServer {
  readonly issuer: string;
  readonly client: { readonly clientId: string; readonly clientSecret: string; readonly redirectUri: string };
  readonly endpoints: {
    readonly token: string;
    readonly introspection: string;
    readonly revocation: string;
    readonly jwks: string;
    readonly userinfo: string;
    readonly authorization: string;
    /** The brand's own customer API (a resource server): accepts its JWT access tokens. */
    readonly customerApi: string;
  };
  /** Customer data served by userinfo, by subject; tests change it between messages. */
  readonly customers: Map<string, Record<string, unknown>>;
  /** Signs `sub` in through the login and consent pages, as a browser would; returns the code. */
  authorize(
    sub: string,
    options?: { codeVerifier?: string; redirectUri?: string; scope?: string },
  ): Promise<AuthorizationResult>;
  /** Revokes every grant of a customer at the brand (their tokens stop working). */
  revokeGrants(sub: string): Promise<void>;
  /** Publishes a new signing key and signs with it from now on; the old key stays published. */
  rotateSigningKeys(): Promise<void>;
  /** Requests served per endpoint path, e.g. `/me`, `/token/introspection`. */
  readonly calls: Map<string, number>;
  /** Milliseconds added before answering a path (a slow customer-data endpoint: `/me`). */
  readonly delays: Map<string, number>;
  /** Paths answered with 503 (the customer-data endpoint down while OAuth works). */
  readonly down: Set<string>;
  stop(): Promise<void>;
}

export interface AuthorizationResult {
  readonly code: string;
  readonly codeVerifier: string;
  readonly redirectUri: string;
  /** The `iss` of the authorization response (RFC 9207), which Parley requires of this brand. */
  readonly iss: string;
}

export interface BrandServerOptions {
  /** Lifetime of access tokens in seconds (short values exercise refresh). */
  readonly accessTokenTtlSeconds?: number;
  /** Issue JWT access tokens (for `jwt` validation mode) for this resource indicator. */
  readonly jwtAccessTokensFor?: string;
}

async function signingKey(kid: string) {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
}

class Cookies {
  private readonly jar = new Map<string, string>();
  store(response: Response) {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const [name, ...value] = (pair ?? '').split('=');
      if (name) this.jar.set(name.trim(), value.join('='));
    }
  }
  header(): string {
    return [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

export async function startBrandServer(options: BrandServerOptions = {}): Promise<BrandServer> {
  const { accessTokenTtlSeconds = 3600, jwtAccessTokensFor } = options;
  const calls = new Map<string, number>();
  const delays = new Map<string, number>();
  const down = new Set<string>();
  const customers = new Map<string, Record<string, unknown>>();
  const grantsBySubject = new Map<string, Set<string>>();

  let handler: (request: IncomingMessage, response: ServerResponse) => void = (_request, response) =>
    response.writeHead(503).end();
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] as string;
    calls.set(path, (calls.get(path) ?? 0) + 1);
    const serve = () => {
      if (down.has(path)) return void response.writeHead(503).end();
      if (path === '/api/customer') return serveCustomerApi(request, response);
      handler(request, response);
    };
    const delay = delays.get(path);
    if (delay) setTimeout(serve, delay);
    else serve();
  });

  // The brand's resource server: it trusts its own JWT access tokens (its verification is not what
  // these tests are about) and answers with the customer's data.
  function serveCustomerApi(request: IncomingMessage, response: ServerResponse) {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
    let sub: unknown;
    try {
      sub = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')).sub;
    } catch {}
    const customer = typeof sub === 'string' ? customers.get(sub) : undefined;
    if (!customer)
      return void response
        .writeHead(401, { 'content-type': 'application/json' })
        .end('{"error":"invalid_token"}');
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sub, ...customer }));
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = {
    clientId: 'parley',
    clientSecret: randomBytes(16).toString('hex'),
    redirectUri: 'https://chat.brand.example/callback',
  };

  // The memory adapter of oidc-provider, plus an index of grants by subject for revokeGrants().
  const storage = new Map<string, AdapterPayload & { consumed?: number }>();
  class TestAdapter implements Adapter {
    constructor(private readonly model: string) {}
    private key(id: string) {
      return `${this.model}:${id}`;
    }
    async upsert(id: string, payload: AdapterPayload) {
      storage.set(this.key(id), payload);
      if (this.model === 'Grant' && payload.accountId) {
        const grants = grantsBySubject.get(payload.accountId) ?? new Set<string>();
        grants.add(id);
        grantsBySubject.set(payload.accountId, grants);
      }
      if (payload.grantId) storage.set(`grant-member:${payload.grantId}:${this.key(id)}`, { ...payload });
    }
    async find(id: string) {
      return storage.get(this.key(id));
    }
    async findByUid(uid: string) {
      return [...storage.entries()].find(
        ([key, value]) => key.startsWith(`${this.model}:`) && value.uid === uid,
      )?.[1];
    }
    async findByUserCode(userCode: string) {
      return [...storage.entries()].find(
        ([key, value]) => key.startsWith(`${this.model}:`) && value.userCode === userCode,
      )?.[1];
    }
    async consume(id: string) {
      const payload = storage.get(this.key(id));
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string) {
      storage.delete(this.key(id));
    }
    async revokeByGrantId(grantId: string) {
      for (const key of [...storage.keys()]) {
        if (key.startsWith(`grant-member:${grantId}:`)) {
          storage.delete(key.slice(`grant-member:${grantId}:`.length));
          storage.delete(key);
        }
      }
    }
  }

  const configuration: Configuration = {
    adapter: TestAdapter,
    clients: [
      {
        client_id: client.clientId,
        client_secret: client.clientSecret,
        redirect_uris: [client.redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    claims: { openid: ['sub'], profile: ['name'], crm: ['tier', 'open_case', 'customer_number'] },
    scopes: ['openid', 'offline_access', 'profile', 'crm'],
    async findAccount(_ctx, sub) {
      if (!customers.has(sub)) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...customers.get(sub) }) };
    },
    features: {
      devInteractions: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      ...(jwtAccessTokensFor
        ? {
            resourceIndicators: {
              enabled: true,
              defaultResource: () => jwtAccessTokensFor,
              useGrantedResource: () => true,
              getResourceServerInfo: () => ({
                scope: 'crm',
                accessTokenFormat: 'jwt',
                audience: jwtAccessTokensFor,
                jwt: { sign: { alg: 'RS256' } },
              }),
            },
          }
        : {}),
    },
    pkce: { required: () => true },
    rotateRefreshToken: true,
    ttl: {
      AccessToken: accessTokenTtlSeconds,
      AuthorizationCode: 60,
      RefreshToken: 86400,
      Grant: 86400,
      Session: 3600,
      Interaction: 600,
    },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    issueRefreshToken: async (_ctx, oauthClient, code) =>
      oauthClient.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    routes: { userinfo: '/me' },
  };
  let signingKeys = [await signingKey('key-1')];
  const useKeys = () => {
    const provider = new Provider(issuer, { ...configuration, jwks: { keys: signingKeys } });
    provider.on('server_error', (_ctx, error) => console.error('brand server error', error));
    handler = provider.callback();
  };
  useKeys();

  async function authorize(
    sub: string,
    authOptions: { codeVerifier?: string; redirectUri?: string; scope?: string } = {},
  ) {
    const codeVerifier = authOptions.codeVerifier ?? randomBytes(32).toString('base64url');
    const redirectUri = authOptions.redirectUri ?? client.redirectUri;
    const cookies = new Cookies();
    const authUrl = new URL(`${issuer}/auth`);
    authUrl.search = new URLSearchParams({
      client_id: client.clientId,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: authOptions.scope ?? 'openid offline_access profile crm',
      prompt: 'consent',
      state: randomBytes(8).toString('hex'),
      code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    let next: string = authUrl.toString();
    for (let hop = 0; hop < 12; hop += 1) {
      const response = await fetch(next, { redirect: 'manual', headers: { cookie: cookies.header() } });
      cookies.store(response);
      const location = response.headers.get('location');
      if (location?.startsWith(redirectUri)) {
        const answer = new URL(location).searchParams;
        const code = answer.get('code');
        if (!code) throw new Error(`brand refused the authorization: ${location}`);
        return { code, codeVerifier, redirectUri, iss: answer.get('iss') ?? '' };
      }
      if (location) {
        next = new URL(location, issuer).toString();
        continue;
      }
      // An interaction page: submit the login, then the consent.
      const page = await response.text();
      const prompt = /name="prompt" value="(\w+)"/.exec(page)?.[1];
      if (!prompt) throw new Error(`unexpected page from the brand at ${next}: ${response.status}`);
      const submit = await fetch(next, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: cookies.header(), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(
          prompt === 'login' ? { prompt, login: sub, password: 'any' } : { prompt },
        ).toString(),
      });
      cookies.store(submit);
      const after = submit.headers.get('location');
      if (!after) throw new Error(`the brand did not continue after ${prompt}: ${submit.status}`);
      next = new URL(after, issuer).toString();
    }
    throw new Error('too many redirects while authorizing at the brand');
  }

  return {
    issuer,
    client,
    endpoints: {
      token: `${issuer}/token`,
      introspection: `${issuer}/token/introspection`,
      revocation: `${issuer}/token/revocation`,
      jwks: `${issuer}/jwks`,
      userinfo: `${issuer}/me`,
      authorization: `${issuer}/auth`,
      customerApi: `${issuer}/api/customer`,
    },
    customers,
    calls,
    delays,
    down,
    authorize,
    async rotateSigningKeys() {
      signingKeys = [await signingKey(`key-${signingKeys.length + 1}`), ...signingKeys];
      useKeys();
    },
    async revokeGrants(sub) {
      for (const grantId of grantsBySubject.get(sub) ?? []) {
        for (const model of ['AccessToken', 'RefreshToken', 'AuthorizationCode', 'Grant']) {
          await new TestAdapter(model).revokeByGrantId(grantId);
        }
        storage.delete(`Grant:${grantId}`);
      }
      grantsBySubject.delete(sub);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
