import { randomBytes } from 'node:crypto';
import { createLogger } from '@parley/logger';
import { type BrandServer, startBrandServer } from '@parley/test-brand';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../services/auth/src/app.js';
import { loadConfig } from '../../services/auth/src/config.js';
import { dropSchema, randomSchema, rowsAtRest, serviceStore } from '../support/database.js';
import { authClient, grpcTlsEnv } from '../support/grpc.js';
import { brandChannel, signInThroughAuth } from '../support/services.js';

const silent = () => createLogger({ service: 'auth', version: 'test', level: 'silent' });
const key = () => randomBytes(32).toString('base64url');

describe('auth sessions: signing-key rotation and the idle timeout', () => {
  let brand: BrandServer;
  const schema = randomSchema('auth');
  const oldKey = key();
  let offsetMs = 0; // the auth service's clock, moved by the idle timeout case
  const env = (overrides: Record<string, string>) =>
    loadConfig({
      ...serviceStore('auth', schema),
      ...grpcTlsEnv('auth'),
      BIND_HOST: '127.0.0.1',
      OPS_PORT: '0',
      GRPC_PORT: '0',
      SECRET_KEYS: `k1:${secretKey}`,
      SECRET_ACTIVE_KID: 'k1',
      BRAND_HOST_ALLOW_LIST: '127.0.0.1',
      SESSION_IDLE_TIMEOUT_SECONDS: '600',
      ...overrides,
    });
  const secretKey = key();
  const started: { stop(): Promise<void> }[] = [];
  async function startAuth(overrides: Record<string, string>) {
    const app = createApp({
      config: env(overrides),
      logger: silent(),
      version: 'test',
      clock: { now: () => new Date(Date.now() + offsetMs) },
    });
    await app.start();
    const client = authClient(app.grpcAddress(), { deadlineMs: 10_000 });
    started.push({
      stop: async () => {
        client.close();
        await app.stop();
      },
    });
    return client;
  }

  beforeAll(async () => {
    brand = await startBrandServer();
    brand.customers.set('c-1', { name: 'Ada' });
  });

  afterAll(async () => {
    for (const app of started.reverse()) await app.stop();
    await dropSchema(schema);
    await brand?.stop();
  });

  it('keeps sessions signed with the previous key valid after the key rotates', async () => {
    // Before key ids: SESSION_SIGNING_KEY alone (its tokens count as kid `default`).
    const before = await startAuth({ SESSION_SIGNING_KEY: oldKey });
    await before.call.PutChannel({ channel: brandChannel(brand, 't', 'web') });
    const session = await signInThroughAuth(before, brand, 'c-1', { tenantId: 't', channelId: 'web' });
    expect(decodeProtectedHeader(session.sessionToken).kid).toBe('default');

    const rotated = await startAuth({
      SESSION_SIGNING_KEY: key(),
      SESSION_SIGNING_KEY_ID: '2026-12',
      SESSION_PREVIOUS_KEYS: `default:${oldKey}`,
    });
    await expect(
      rotated.call.AuthorizeSession({ sessionToken: session.sessionToken }),
    ).resolves.toMatchObject({
      tenantId: 't',
      sessionId: expect.any(String),
    });
    const fresh = await signInThroughAuth(rotated, brand, 'c-1', { tenantId: 't', channelId: 'web' });
    expect(decodeProtectedHeader(fresh.sessionToken).kid).toBe('2026-12');
    await expect(before.call.AuthorizeSession({ sessionToken: fresh.sessionToken })).rejects.toMatchObject({
      code: 'unauthenticated',
    });
  });

  it('ends a session unused for SESSION_IDLE_TIMEOUT_SECONDS; use moves that forward, with one write a minute', async () => {
    const auth = await startAuth({ SESSION_SIGNING_KEY: key() });
    await auth.call.PutChannel({ channel: brandChannel(brand, 't', 'web') });
    const { sessionToken } = await signInThroughAuth(auth, brand, 'c-1', { tenantId: 't', channelId: 'web' });
    const { sessionId } = await auth.call.AuthorizeSession({ sessionToken });
    const idleExpiry = async () =>
      (
        await rowsAtRest<{ idle_expires_at: Date }>(
          `select idle_expires_at from ${schema}.sessions where tenant_id = 't' and session_id = $1`,
          [sessionId],
        )
      )[0]?.idle_expires_at.getTime();
    const first = await idleExpiry();
    await auth.call.AuthorizeSession({ sessionToken });
    expect(await idleExpiry()).toBe(first); // within the minute: no write

    offsetMs += 500_000; // used again before the 600 s are up: the idle expiry moves forward
    await auth.call.AuthorizeSession({ sessionToken });
    expect(await idleExpiry()).toBeGreaterThan((first ?? 0) + 400_000);
    offsetMs += 500_000; // 1000 s after sign-in, 500 s after the last use
    await expect(auth.call.AuthorizeSession({ sessionToken })).resolves.toMatchObject({ sessionId });

    offsetMs += 601_000; // unused for longer than the idle timeout
    await expect(auth.call.AuthorizeSession({ sessionToken })).rejects.toMatchObject({
      code: 'unauthenticated',
    });
  });
});
