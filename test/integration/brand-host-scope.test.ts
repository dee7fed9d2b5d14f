import type { AuthServiceDefinition, ServiceClient } from '@parley/grpc';
import { createLogger } from '@parley/logger';
import { type BrandServer, startBrandServer } from '@parley/test-brand';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authClient } from '../support/grpc.js';
import { brandChannel, dropStore, startAuth } from '../support/services.js';

const silent = () => createLogger({ service: 'auth', version: 'test', level: 'silent' });

describe('BRAND_HOST_ALLOW_LIST entries scoped to a tenant', () => {
  let brand: BrandServer;
  let app: Awaited<ReturnType<typeof startAuth>>;
  let auth: ServiceClient<AuthServiceDefinition>;

  beforeAll(async () => {
    brand = await startBrandServer();
    // The brand runs on 127.0.0.1 over plain http: allowed for tenant-a only.
    app = await startAuth(silent(), { BRAND_HOST_ALLOW_LIST: '127.0.0.1@tenant-a' });
    auth = authClient(app.grpcAddress(), { deadlineMs: 10_000 });
  });

  afterAll(async () => {
    auth?.close();
    await app?.stop();
    await brand?.stop();
    if (app) await dropStore(app);
  });

  it('lets the tenant it names use the host, and refuses it to every other tenant', async () => {
    // Saving it calls the brand (discovery) for tenant-a.
    const saved = await auth.call.PutChannel({ channel: brandChannel(brand, 'tenant-a', 'web') });
    expect(saved.endpoints?.token).toBe(brand.endpoints.token);

    await expect(
      auth.call.PutChannel({ channel: brandChannel(brand, 'tenant-b', 'web') }),
    ).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringContaining('allow-listed') });
  });
});
