import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceClient, loadGrpcTls, loadParleyProtos, type ServiceIdentity } from '@parley/grpc';
import { createLogger } from '@parley/logger';
import { createSecretBox, parseKeyRing } from '@parley/secrets';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureDevCertificates } from '../../../scripts/infra/certs.mjs';
import { createInMemoryAuthRepositories } from './adapters/in-memory-auth-repositories.js';
import { createApp } from './app.js';
import { loadConfig } from './config.js';

const keys = `k1:${randomBytes(32).toString('base64url')}`;
const pki = await ensureDevCertificates({ dir: mkdtempSync(join(tmpdir(), 'parley-auth-pki-')) });
const tlsFiles = (service: ServiceIdentity) => ({
  GRPC_TLS_CA_FILE: pki.ca,
  GRPC_TLS_CERT_FILE: pki.services[service].cert,
  GRPC_TLS_KEY_FILE: pki.services[service].key,
});
const config = loadConfig({
  ...tlsFiles('auth'),
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
  const client = (as: ServiceIdentity = 'ingress') =>
    createServiceClient(loadParleyProtos().auth.AuthService.service, app.grpcAddress(), {
      tls: loadGrpcTls(tlsFiles(as), as),
      server: 'auth',
      deadlineMs: 5000,
    });

  beforeAll(() => app.start());
  afterAll(() => app.stop());

  it('serves from the stores it was given, and is ready without a database', async () => {
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

  it('audits a call refused for its caller in the refusal log, and runs no handler', async () => {
    const enrichment = client('enrichment');
    try {
      await expect(enrichment.call.TestChannel({ tenantId: 't', channelId: 'web' })).rejects.toMatchObject({
        code: 'server_error',
        context: { refusal: 'permission_denied' },
      });
    } finally {
      enrichment.close();
    }
    await vi.waitFor(
      async () =>
        expect(await stores.refusals.listRecent()).toEqual([
          {
            method: '/parley.auth.v1.AuthService/TestChannel',
            code: 'permission_denied',
            caller: 'enrichment',
            peer: '127.0.0.1',
            tenantId: 't',
            firstSeen: expect.any(Date),
            lastSeen: expect.any(Date),
            count: 1,
          },
        ]),
      { timeout: 5000 },
    );
    const metrics = await (await fetch(`${app.opsUrl()}/metrics`)).text();
    expect(metrics).toMatch(
      /parley_grpc_calls_refused_total\{[^}]*method="\/parley\.auth\.v1\.AuthService\/TestChannel",code="permission_denied",caller="enrichment"[^}]*\} 1/,
    );
  });

  it('audits enrichment asking for a bot’s access token as a refusal of its caller, as the method table’s are', async () => {
    const enrichment = client('enrichment');
    try {
      await expect(
        enrichment.call.GetAccessToken({
          tenantId: 'tenant-bot',
          customerKey: 'ck-1',
          caller: { kind: 'bot', id: 'crm-bot', reason: 'pretending' },
        }),
      ).rejects.toMatchObject({ code: 'server_error', context: { refusal: 'permission_denied' } });
    } finally {
      enrichment.close();
    }
    await vi.waitFor(
      async () =>
        expect(
          (await stores.refusals.listRecent()).filter(
            (refusal) => refusal.method === '/parley.auth.v1.AuthService/GetAccessToken',
          ),
        ).toEqual([
          {
            method: '/parley.auth.v1.AuthService/GetAccessToken',
            code: 'permission_denied',
            caller: 'enrichment',
            peer: '127.0.0.1',
            tenantId: 'tenant-bot',
            firstSeen: expect.any(Date),
            lastSeen: expect.any(Date),
            count: 1,
          },
        ]),
      { timeout: 5000 },
    );
    const metrics = await (await fetch(`${app.opsUrl()}/metrics`)).text();
    expect(metrics).toMatch(
      /parley_grpc_calls_refused_total\{[^}]*method="\/parley\.auth\.v1\.AuthService\/GetAccessToken",code="permission_denied",caller="enrichment"[^}]*\} 1/,
    );
  });
});
