import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuthServiceDefinition, ServiceClient } from '@parley/grpc';
import { type BrandServer, startBrandServer } from '@parley/test-brand';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomSchema } from '../support/database.js';
import { authClient } from '../support/grpc.js';
import { testLogger, waitFor } from '../support/harness.js';
import { brandChannel, dropStore, signInThroughAuth, startAuth } from '../support/services.js';

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A pass-through in front of the brand's token endpoint that counts refresh grants and, while
 * holding, keeps the brand's answer to a refresh from reaching auth: the brand has rotated the
 * refresh token, auth has not stored it yet, which is the widest window a race can hit.
 */
async function startTokenGate(target: string) {
  let holding = false;
  let waiting: Array<() => void> = [];
  const state = { refreshes: 0, held: 0, issuedRefreshTokens: [] as string[] };
  const server = createServer(async (request, response) => {
    const body = await bodyOf(request);
    const upstream = await fetch(target, {
      method: 'POST',
      headers: {
        authorization: request.headers.authorization ?? '',
        'content-type': request.headers['content-type'] ?? 'application/x-www-form-urlencoded',
      },
      body,
    });
    const answer = await upstream.text();
    if (new URLSearchParams(body).get('grant_type') === 'refresh_token') {
      state.refreshes += 1;
      const issued = (JSON.parse(answer) as { refresh_token?: string }).refresh_token;
      if (issued) state.issuedRefreshTokens.push(issued);
      if (holding) {
        state.held += 1;
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
    }
    response
      .writeHead(upstream.status, {
        'content-type': upstream.headers.get('content-type') ?? 'application/json',
        'cache-control': 'no-store',
      })
      .end(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`,
    state,
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      for (const resolve of waiting) resolve();
      waiting = [];
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Does the brand still accept this refresh token? (The grant is dead when it does not.) */
async function brandAcceptsRefresh(brand: BrandServer, refreshToken: string): Promise<boolean> {
  const response = await fetch(brand.endpoints.token, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${brand.client.clientId}:${brand.client.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
  });
  return response.ok;
}

// Two auth replicas on one schema (each with its own pool and its own in-process refresh dedupe),
// a real oidc-provider with rotating refresh tokens whose access tokens live 2 s, and PostgreSQL.
describe('auth replicas refreshing and logging out concurrently', () => {
  const tenantId = 't';
  let brand: BrandServer;
  let gate: Awaited<ReturnType<typeof startTokenGate>>;
  let apps: Array<Awaited<ReturnType<typeof startAuth>>> = [];
  let clients: ServiceClient<AuthServiceDefinition>[] = [];
  const client = (index: number) => clients[index % 2] as ServiceClient<AuthServiceDefinition>;
  const stores = () => (apps[0] as Awaited<ReturnType<typeof startAuth>>).stores;

  async function signIn(sub: string) {
    brand.customers.set(sub, { name: sub });
    const { sessionToken, customer } = await signInThroughAuth(client(0), brand, sub, {
      tenantId,
      channelId: 'web',
    });
    return { sessionToken, customerKey: customer?.customerKey ?? '' };
  }

  async function untilExpired(customerKey: string) {
    await waitFor(
      'the access token to expire',
      async () => {
        const stored = await stores().credentials.find(tenantId, customerKey, 'web');
        return stored !== null && Date.now() > stored.accessTokenExpiresAt.getTime() + 50;
      },
      { timeoutMs: 5_000 },
    );
  }

  beforeAll(async () => {
    brand = await startBrandServer({ accessTokenTtlSeconds: 2 });
    gate = await startTokenGate(brand.endpoints.token);
    // One schema and one set of keys: the replicas are one service.
    const shared = {
      DATABASE_SCHEMA: randomSchema('auth'),
      SECRET_KEYS: `k1:${randomBytes(32).toString('base64url')}`,
      SECRET_ACTIVE_KID: 'k1',
      SESSION_SIGNING_KEY: randomBytes(32).toString('base64url'),
      // The gate is not the issuer's origin: the operator vouches for it (docs/channels.md, configuration).
      BRAND_ISSUER_ENDPOINT_EXCEPTIONS: `${brand.issuer}=${new URL(gate.url).origin}`,
    };
    for (const name of ['auth-a', 'auth-b']) apps.push(await startAuth(testLogger(name), shared));
    clients = apps.map((app) => authClient(app.grpcAddress(), { deadlineMs: 15_000 }));
    await client(0).call.PutChannel({
      channel: brandChannel(brand, tenantId, 'web', { endpoints: { token: gate.url } }),
    });
  });

  afterAll(async () => {
    gate?.release();
    for (const grpcClient of clients) grpcClient.close();
    for (const app of apps) await app.stop();
    await dropStore(apps[0]);
    await gate?.stop();
    await brand?.stop();
    apps = [];
    clients = [];
  });

  it('refreshes once for 12 concurrent messages over both replicas, storing the rotated token', async () => {
    const { sessionToken, customerKey } = await signIn('c-1');
    const before = await stores().credentials.find(tenantId, customerKey, 'web');
    await untilExpired(customerKey);
    const refreshesBefore = gate.state.refreshes;

    gate.hold();
    const messages = Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => client(i).call.AuthorizeSession({ sessionToken })),
    );
    try {
      await waitFor('the refresh to reach the brand', () => gate.state.refreshes > refreshesBefore);
      // While that refresh is in flight, neither replica may start another with the same refresh
      // token (the brand would see a reused rotating token and revoke the grant).
      await expect(
        waitFor('a second refresh', () => gate.state.refreshes > refreshesBefore + 1, { timeoutMs: 750 }),
      ).rejects.toThrow(/timed out/);
    } finally {
      gate.release();
    }

    const results = await messages;
    expect(results.map((result) => result.status)).toEqual(Array(12).fill('fulfilled'));
    expect(gate.state.refreshes - refreshesBefore).toBe(1);
    const after = await stores().credentials.find(tenantId, customerKey, 'web');
    expect(after?.version).toBe((before?.version ?? 0) + 1);
    const refreshTokenAfter = await after?.openRefreshToken?.();
    expect(refreshTokenAfter).toBe(gate.state.issuedRefreshTokens.at(-1));
    expect(refreshTokenAfter).not.toBe(await before?.openRefreshToken?.());

    // And again later, through the other replica: the rotated refresh token works.
    await untilExpired(customerKey);
    await expect(client(1).call.AuthorizeSession({ sessionToken })).resolves.toMatchObject({ tenantId });
    expect(gate.state.refreshes - refreshesBefore).toBe(2);
    expect((await stores().credentials.find(tenantId, customerKey, 'web'))?.version).toBe(
      (before?.version ?? 0) + 2,
    );
  });

  it('leaves no credentials behind, here or at the brand, when a logout races a refresh', async () => {
    const { sessionToken, customerKey } = await signIn('c-2');
    const [signedIn] = await stores().credentials.findAllOfCustomer(tenantId, customerKey);
    const signedInRefreshToken = (await signedIn?.openRefreshToken?.()) ?? '';
    await untilExpired(customerKey);
    const refreshesBefore = gate.state.refreshes;
    const revocations = () => brand.calls.get('/token/revocation') ?? 0;
    const revocationsBefore = revocations();

    // Replica A refreshes; the brand has rotated the refresh token, and its answer is held.
    const heldBefore = gate.state.held;
    gate.hold();
    const message = client(0)
      .call.AuthorizeSession({ sessionToken })
      .then(
        (authorized) => ({ authorized }),
        (error: { code?: string }) => ({ refused: error.code }),
      );
    let logout: Promise<unknown> = Promise.resolve();
    try {
      await waitFor('the refresh to reach the brand', () => gate.state.held > heldBefore);
      // Replica B logs the customer out of every device meanwhile.
      logout = client(1).call.RevokeSession({ sessionToken, allDevices: true });
      await waitFor(
        'the logout to end the sessions',
        async () => (await stores().sessions.countOfCustomer(tenantId, customerKey)) === 0,
      );
      // It must wait for the refresh's lease: revoking and deleting now would let the refresh
      // store rotated tokens after the logout, or revoke a token that is no longer the current one.
      await expect(
        waitFor('a revocation during the refresh', () => revocations() > revocationsBefore, {
          timeoutMs: 750,
        }),
      ).rejects.toThrow(/timed out/);
      expect(await stores().credentials.find(tenantId, customerKey, 'web')).toMatchObject({
        version: signedIn?.version,
      });
    } finally {
      gate.release();
    }

    await expect(logout).resolves.toMatchObject({ sessionsEnded: 1, revokedAtBrand: true });
    // The message was authorized before the logout, or refused as signed out: never anything else.
    const outcome = await message;
    if ('refused' in outcome)
      expect(['reauthentication_required', 'unauthenticated']).toContain(outcome.refused);
    else expect(outcome.authorized).toMatchObject({ tenantId, customerKey });

    expect(await stores().credentials.findAllOfCustomer(tenantId, customerKey)).toEqual([]);
    expect(await stores().sessions.countOfCustomer(tenantId, customerKey)).toBe(0);
    expect(revocations() - revocationsBefore).toBe(1);
    // At the brand the grant is dead too: neither the signed-in nor the rotated refresh token works.
    const issued = gate.state.issuedRefreshTokens.slice(-(gate.state.refreshes - refreshesBefore));
    expect(issued).toHaveLength(1);
    for (const refreshToken of [signedInRefreshToken, ...issued])
      expect(await brandAcceptsRefresh(brand, refreshToken)).toBe(false);
    await expect(client(0).call.AuthorizeSession({ sessionToken })).rejects.toMatchObject({
      code: 'unauthenticated',
    });
    await expect(
      client(1).call.GetAccessToken({
        tenantId,
        customerKey,
        caller: { kind: 'bot', id: 'crm-bot', reason: 'after logout' },
      }),
    ).rejects.toMatchObject({ code: 'not_found' });
  });
});
