import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials, loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ParleyError } from '@parley/errors';
import { createLogger } from '@parley/logger';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureDevCertificates } from '../../../scripts/infra/certs.mjs';
import {
  type AuthServiceDefinition,
  createServiceClient,
  type GrpcServer,
  type GrpcTls,
  implementService,
  loadGrpcTls,
  loadParleyProtos,
  type MethodCallers,
  type ServiceClient,
  type ServiceIdentity,
  startGrpcServer,
  type UnaryImplementation,
} from './index.js';

const logger = createLogger({ service: 'grpc-test', version: 'test', level: 'silent' });
const { auth } = loadParleyProtos();

// A dev PKI of this test's own (scripts/infra/certs.mjs).
const pki = await ensureDevCertificates({ dir: mkdtempSync(join(tmpdir(), 'parley-grpc-pki-')) });
const tlsOf = (service: ServiceIdentity): GrpcTls =>
  loadGrpcTls(
    {
      GRPC_TLS_CA_FILE: pki.ca,
      GRPC_TLS_CERT_FILE: pki.services[service].cert,
      GRPC_TLS_KEY_FILE: pki.services[service].key,
    },
    service,
  );
const ingressOnly: MethodCallers<AuthServiceDefinition> = {
  ExchangeCode: ['ingress'],
  GetAccessToken: ['ingress'],
  RevokeSession: ['ingress'],
  PutChannel: ['ingress'],
  TestChannel: ['ingress'],
  AuthorizeSession: ['ingress'],
  AuthorizeMessage: ['ingress'],
  GetChannel: ['ingress'],
  GetCustomerDataAccess: ['ingress'],
};

const notImplemented = async () => {
  throw new ParleyError('server_error', 'not part of this test');
};

const signals: { aborted: boolean; deadlineInFuture: boolean }[] = [];

const handlers: UnaryImplementation<AuthServiceDefinition> = {
  ExchangeCode: notImplemented,
  GetAccessToken: notImplemented,
  GetCustomerDataAccess: notImplemented,
  RevokeSession: notImplemented,
  PutChannel: notImplemented,
  TestChannel: notImplemented,
  AuthorizeMessage: notImplemented,
  async AuthorizeSession(request, context) {
    if (request.sessionToken === 'expired')
      throw new ParleyError('reauthentication_required', 'the brand refused the grant');
    if (request.sessionToken === 'slow') await new Promise((resolve) => setTimeout(resolve, 500));
    if (request.sessionToken === 'watch-signal') {
      // Resolves when the caller gives up; records how the handler learnt of it.
      await new Promise<void>((resolve) =>
        context.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
      signals.push({
        aborted: context.signal.aborted,
        deadlineInFuture: context.deadline > Date.now() - 1000,
      });
      return { tenantId: '', customerKey: '', threadId: '', deviceId: '', channelId: '', sessionId: '' };
    }
    if (request.sessionToken === 'crash') throw new Error('postgres at 10.1.2.3 exploded');
    if (request.sessionToken === 'store-down') {
      throw new ParleyError('dependency_unavailable', 'postgres at 10.1.2.3 refused the connection');
    }
    return {
      tenantId: 'tenant-a',
      customerKey: 'ck1',
      threadId: 'th1',
      deviceId: 'd1',
      channelId: 'web',
      sessionId: 's1',
    };
  },
  async GetChannel(request) {
    return {
      tenantId: request.tenantId,
      channelId: request.channelId,
      redirectUris: ['https://brand.example/cb'],
      validationMode: 'introspection',
    };
  },
};

describe('gRPC server and client', () => {
  let server: GrpcServer;
  let client: ServiceClient<AuthServiceDefinition>;

  beforeAll(async () => {
    server = await startGrpcServer({
      address: '127.0.0.1:0',
      tls: tlsOf('auth'),
      logger,
      services: [
        {
          name: 'parley.auth.v1.AuthService',
          definition: auth.AuthService.service,
          implementation: implementService(auth.AuthService.service, handlers, logger),
          callers: ingressOnly,
        },
      ],
    });
    client = createServiceClient(auth.AuthService.service, server.address, {
      tls: tlsOf('ingress'),
      server: 'auth',
      deadlineMs: 2000,
    });
    await client.waitForReady(5000);
  });

  afterAll(async () => {
    client?.close();
    await server?.close(1000);
  });

  it('calls a typed method and gets defaults for unset fields', async () => {
    await expect(client.call.AuthorizeSession({ sessionToken: 'ok' })).resolves.toEqual({
      tenantId: 'tenant-a',
      channelId: 'web',
      customerKey: 'ck1',
      deviceId: 'd1',
      threadId: 'th1',
      sessionId: 's1',
      customerDataJson: '',
    });
    await expect(client.call.GetChannel({ tenantId: 't', channelId: 'c' })).resolves.toMatchObject({
      redirectUris: ['https://brand.example/cb'],
      clientSecretSet: false,
      endpoints: null,
    });
  });

  it('carries the stable error code across the wire', async () => {
    await expect(client.call.AuthorizeSession({ sessionToken: 'expired' })).rejects.toMatchObject({
      code: 'reauthentication_required',
      message: 'the brand refused the grant',
    });
  });

  it('hides unexpected errors behind server_error', async () => {
    const failure = client.call.AuthorizeSession({ sessionToken: 'crash' });
    await expect(failure).rejects.toMatchObject({ code: 'server_error', message: 'internal error' });
  });

  it('keeps a retriable code retriable across the wire, hiding its details', async () => {
    await expect(client.call.AuthorizeSession({ sessionToken: 'store-down' })).rejects.toMatchObject({
      code: 'dependency_unavailable',
      retriable: true,
      message: 'a service Parley depends on is unavailable; retry later',
    });
  });

  it('enforces the deadline of every call', async () => {
    await expect(
      client.call.AuthorizeSession({ sessionToken: 'slow' }, { deadlineMs: 100 }),
    ).rejects.toMatchObject({
      code: 'deadline_exceeded',
      retriable: true,
    });
  });

  it('tells the handler through its signal when the deadline of the caller passes', async () => {
    await expect(
      client.call.AuthorizeSession({ sessionToken: 'watch-signal' }, { deadline: Date.now() + 150 }),
    ).rejects.toMatchObject({
      code: 'deadline_exceeded',
    });
    await vi.waitFor(() => expect(signals).toEqual([{ aborted: true, deadlineInFuture: true }]));
  });

  it('reports an unreachable server as dependency_unavailable', async () => {
    const nowhere = createServiceClient(auth.AuthService.service, '127.0.0.1:1', {
      tls: tlsOf('ingress'),
      server: 'auth',
      deadlineMs: 300,
    });
    await expect(nowhere.call.AuthorizeSession({ sessionToken: 'ok' })).rejects.toMatchObject({
      retriable: true,
    });
    nowhere.close();
  });

  it('answers the standard gRPC health service, and NOT_SERVING once draining', async () => {
    const healthProto = fileURLToPath(import.meta.resolve('grpc-health-check/proto/health/v1/health.proto'));
    const loaded = loadPackageDefinition(loadSync(healthProto, { enums: String })) as unknown as {
      grpc: {
        health: {
          v1: {
            Health: new (
              address: string,
              creds: ReturnType<typeof credentials.createSsl>,
              options: Record<string, string>,
            ) => {
              check: (
                request: { service: string },
                callback: (error: Error | null, response: { status: string }) => void,
              ) => void;
              close(): void;
            };
          };
        };
      };
    };
    const { ca, key, cert } = tlsOf('enrichment');
    const health = new loaded.grpc.health.v1.Health(server.address, credentials.createSsl(ca, key, cert), {
      'grpc.ssl_target_name_override': 'auth',
    });
    const check = (service: string) =>
      new Promise<string>((resolve, reject) =>
        health.check({ service }, (error: Error | null, response: { status: string }) =>
          error ? reject(error) : resolve(response.status),
        ),
      );
    expect(await check('')).toBe('SERVING');
    expect(await check('parley.auth.v1.AuthService')).toBe('SERVING');
    server.drain();
    expect(await check('parley.auth.v1.AuthService')).toBe('NOT_SERVING');
    health.close();
  });
});

describe('generated gRPC types', () => {
  it('match the protos (regenerate with npm run proto:types)', () => {
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const fresh = mkdtempSync(join(tmpdir(), 'parley-proto-'));
    execFileSync(process.execPath, [join(root, 'libs/grpc/scripts/generate-types.mjs'), fresh], {
      stdio: 'pipe',
    });
    const committed = join(root, 'libs/grpc/src/generated');
    const list = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) =>
        statSync(join(dir, name)).isDirectory() ? list(join(dir, name)) : [join(dir, name)],
      );
    const files = list(fresh)
      .map((file) => relative(fresh, file))
      .sort();
    expect(files).toEqual(
      list(committed)
        .map((file) => relative(committed, file))
        .sort(),
    );
    for (const file of files)
      expect(readFileSync(join(committed, file), 'utf8'), file).toBe(readFileSync(join(fresh, file), 'utf8'));
  });
});
