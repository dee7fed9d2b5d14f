import { randomBytes } from 'node:crypto';
import { createServiceClient, loadParleyProtos } from '@parley/grpc';
import { createLogger } from '@parley/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInMemoryAuthRepositories } from './adapters/in-memory-auth-repositories.js';
import { createSecretBox, parseKeyRing } from './adapters/secret-box.js';
import { createApp } from './app.js';
import { loadConfig } from './config.js';

const keys = `k1:${randomBytes(32).toString('base64url')}`;
const config = loadConfig({
  // Never dialled: the stores are given, so the app has no PostgreSQL component.
  DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
  BIND_HOST: '127.0.0.1',
  OPS_PORT: '0',
  GRPC_PORT: '0',
  SECRET_KEYS: keys,
  SECRET_ACTIVE_KID: 'k1',
  SESSION_SIGNING_KEY: randomBytes(32).toString('base64url'),
});

describe('the auth app on in-memory stores', () => {
  const stores = createInMemoryAuthRepositories({
    secretBox: createSecretBox({ keys: parseKeyRing(keys), activeKid: 'k1' }),
  });
  const app = createApp({
    config,
    logger: createLogger({ service: 'auth', version: 'test', level: 'silent' }),
    version: 'test',
    stores,
  });
  const client = () =>
    createServiceClient(loadParleyProtos().auth.AuthService.service, app.grpcAddress(), { deadlineMs: 5000 });

  beforeAll(() => app.start());
  afterAll(() => app.stop());

  it('serves from the stores it was given, and is ready without a database', async () => {
    expect(app.stores).toBe(stores);
    await stores.channels.save({
      tenantId: 't',
      channelId: 'web',
      issuer: 'https://id.brand.example',
      allowWithoutPkce: false,
      endpoints: { token: 'https://id.brand.example/token', customerData: 'https://api.brand.example/me' },
      client: { clientId: 'parley', clientSecret: 'secret', method: 'client_secret_basic' },
      redirectUris: ['https://chat.brand.example/callback'],
      validation: { mode: 'introspection' },
      mapping: { customerId: '$.sub', customFields: {} },
      messagingMode: 'messaging',
      updatedAt: new Date(),
    });
    const auth = client();
    try {
      await expect(auth.call.GetChannel({ tenantId: 't', channelId: 'web' })).resolves.toMatchObject({
        issuer: 'https://id.brand.example',
        client: { clientId: 'parley', clientSecret: '' },
      });
      await expect(auth.call.GetChannel({ tenantId: 'u', channelId: 'web' })).rejects.toMatchObject({
        code: 'not_found',
      });
    } finally {
      auth.close();
    }
    const ready = await fetch(`${app.opsUrl()}/readyz`);
    expect(ready.status).toBe(200);
  });
});
