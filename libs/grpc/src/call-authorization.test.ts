import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ChannelCredentials,
  Client,
  credentials,
  Metadata,
  type ServiceDefinition,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import { ParleyError } from '@parley/errors';
import { createLogger } from '@parley/logger';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevCertificates } from '../../../scripts/infra/certs.mjs';
import { callerTable, decideCall, type RefusedCall } from './call-authorization.js';
import type { AuthServiceDefinition } from './generated/parley/auth/v1/AuthService.js';
import { type GrpcServer, startGrpcServer } from './grpc-server.js';
import { loadGrpcTls } from './grpc-tls.js';
import { loadParleyProtos } from './load-protos.js';
import { implementService, type UnaryImplementation } from './server-handlers.js';
import { type ServiceIdentity, serviceIdentities } from './service-identity.js';
import { errorCodeTrailer, refusedCallTrailer } from './status-mapping.js';

describe('decideCall', () => {
  it('allows a proven identity the method declares', () => {
    expect(decideCall(['ingress', 'enrichment'], 'enrichment')).toEqual({
      allowed: true,
      caller: 'enrichment',
    });
  });

  it('refuses a caller without a proven identity as unauthenticated, whatever the method allows', () => {
    expect(decideCall([...serviceIdentities], undefined)).toEqual({
      allowed: false,
      code: 'unauthenticated',
    });
    expect(decideCall(undefined, undefined)).toEqual({ allowed: false, code: 'unauthenticated' });
  });

  it('refuses a proven identity the method does not declare as permission_denied', () => {
    expect(decideCall(['ingress'], 'enrichment')).toEqual({
      allowed: false,
      code: 'permission_denied',
      caller: 'enrichment',
    });
  });

  it('fails closed: a method nobody declared, or declared for nobody, refuses everyone', () => {
    for (const caller of serviceIdentities) {
      expect(decideCall(undefined, caller)).toMatchObject({ allowed: false, code: 'permission_denied' });
      expect(decideCall([], caller)).toMatchObject({ allowed: false, code: 'permission_denied' });
    }
  });
});

describe('callerTable', () => {
  const definition = {
    Sync: { path: '/parley.history.v1.HistoryService/Sync' },
    GetThread: { path: '/parley.history.v1.HistoryService/GetThread' },
  } as unknown as ServiceDefinition;

  it('maps each declared method’s full path to its callers, leaving undeclared ones out (refused)', () => {
    const table = callerTable([{ definition, callers: { Sync: ['ingress'] } }]);
    expect(table.get('/parley.history.v1.HistoryService/Sync')).toEqual(['ingress']);
    expect(table.has('/parley.history.v1.HistoryService/GetThread')).toBe(false);
    expect(decideCall(table.get('/parley.history.v1.HistoryService/GetThread'), 'ingress')).toMatchObject({
      allowed: false,
    });
  });

  it('opens the health service to every Parley service, and to nobody else', () => {
    const table = callerTable([]);
    for (const path of ['/grpc.health.v1.Health/Check', '/grpc.health.v1.Health/Watch']) {
      expect(table.get(path)).toEqual(serviceIdentities);
      expect(decideCall(table.get(path), undefined)).toMatchObject({
        allowed: false,
        code: 'unauthenticated',
      });
    }
  });
});

describe('authorizeCalls on a server', () => {
  const logger = createLogger({ service: 'grpc-test', version: 'test', level: 'silent' });
  const { auth } = loadParleyProtos();
  const methods = auth.AuthService.service;
  let pki: Awaited<ReturnType<typeof ensureDevCertificates>>;
  let server: GrpcServer;
  const refusals: RefusedCall[] = [];
  const tlsOf = (service: ServiceIdentity) =>
    loadGrpcTls(
      {
        GRPC_TLS_CA_FILE: pki.ca,
        GRPC_TLS_CERT_FILE: pki.services[service].cert,
        GRPC_TLS_KEY_FILE: pki.services[service].key,
      },
      service,
    );
  const withoutCertificate = () => credentials.createSsl(tlsOf('auth').ca);
  const as = (service: ServiceIdentity) => {
    const tls = tlsOf(service);
    return credentials.createSsl(tls.ca, tls.key, tls.cert);
  };
  const refused = async () => {
    throw new ParleyError('server_error', 'not part of this test');
  };
  const handlers = {
    ...Object.fromEntries(Object.keys(methods).map((name) => [name, refused])),
    async GetAccessToken(request: { caller?: { kind?: string } }, context: { caller: ServiceIdentity }) {
      // A refusal for who the caller is that only the request shows (auth's bot tokens).
      if (request.caller?.kind === 'bot')
        throw new ParleyError('permission_denied', 'only ingress asks for a bot', {
          context: { refusedCaller: context.caller },
        });
      throw new ParleyError('permission_denied', 'an ordinary denial, not of the caller');
    },
  } as unknown as UnaryImplementation<AuthServiceDefinition>;

  /** What a raw client sees of a call: status, trailers, and how long the answer took. */
  type Answer = { code: status; trailer: unknown; refusedAs: unknown; ms: number };
  const answerOf =
    (started: number, client: Client, resolve: (answer: Answer) => void) => (error: ServiceError | null) => {
      client.close();
      resolve({
        code: error?.code ?? status.OK,
        trailer: error?.metadata?.get(errorCodeTrailer)[0],
        refusedAs: error?.metadata?.get(refusedCallTrailer)[0],
        ms: Date.now() - started,
      });
    };
  const unary = (
    channelCredentials: ChannelCredentials,
    name: keyof typeof methods,
    request: object,
    address = server.address,
  ) => {
    const definition = methods[name] as unknown as MethodDefinition<object, unknown>;
    const client = new Client(address, channelCredentials, {
      'grpc.ssl_target_name_override': 'auth',
    });
    return new Promise<Answer>((resolve) => {
      client.makeUnaryRequest(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize,
        request,
        new Metadata(),
        { deadline: Date.now() + 10_000 },
        answerOf(Date.now(), client, resolve),
      );
    });
  };
  /** A call that sends its headers and nothing else: no request, no half-close. */
  const headersOnly = (channelCredentials: ChannelCredentials, name: keyof typeof methods) => {
    const definition = methods[name] as unknown as MethodDefinition<object, unknown>;
    const client = new Client(server.address, channelCredentials, {
      'grpc.ssl_target_name_override': 'auth',
    });
    return new Promise<Answer>((resolve) => {
      client.makeClientStreamRequest(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize,
        new Metadata(),
        { deadline: Date.now() + 4000 },
        answerOf(Date.now(), client, resolve),
      );
    });
  };

  beforeAll(async () => {
    pki = await ensureDevCertificates({ dir: mkdtempSync(join(tmpdir(), 'parley-authorize-pki-')) });
    server = await startGrpcServer({
      address: '127.0.0.1:0',
      tls: tlsOf('auth'),
      logger,
      onRefusal: (refusal) => refusals.push(refusal),
      services: [
        {
          name: 'parley.auth.v1.AuthService',
          definition: methods,
          implementation: implementService(methods, handlers, logger),
          callers: { GetChannel: ['ingress'], GetAccessToken: ['ingress', 'enrichment'] },
        },
      ],
    });
  });

  afterAll(() => server?.close(1000));

  it('refuses a caller that sends its headers and never a request, at once and not at its deadline', async () => {
    refusals.length = 0;
    const answer = await headersOnly(withoutCertificate(), 'GetChannel');
    expect(answer).toMatchObject({
      code: status.UNAUTHENTICATED,
      trailer: 'unauthenticated',
      refusedAs: 'none',
    });
    expect(answer.ms).toBeLessThan(2500);
    const denied = await headersOnly(as('history'), 'GetChannel');
    expect(denied).toMatchObject({ code: status.PERMISSION_DENIED, refusedAs: 'history' });
    expect(denied.ms).toBeLessThan(2500);
    expect(refusals).toEqual([
      { method: '/parley.auth.v1.AuthService/GetChannel', code: 'unauthenticated', peer: expect.any(String) },
      {
        method: '/parley.auth.v1.AuthService/GetChannel',
        code: 'permission_denied',
        caller: 'history',
        peer: expect.any(String),
      },
    ]);
  });

  it('logs a flood of refusals once a minute per method, code and caller, and counts each', async () => {
    const lines: { msg?: string; refusedSinceLastLog?: number }[] = [];
    const registry = new Registry();
    const logged = await startGrpcServer({
      address: '127.0.0.1:0',
      tls: tlsOf('auth'),
      registry,
      logger: createLogger({
        service: 'grpc-test',
        version: 'test',
        level: 'warn',
        destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
      }),
      services: [
        {
          name: 'parley.auth.v1.AuthService',
          definition: methods,
          implementation: implementService(methods, handlers, logger),
          callers: { GetChannel: ['ingress'] },
        },
      ],
    });
    try {
      for (let i = 0; i < 5; i += 1) await unary(withoutCertificate(), 'GetChannel', {}, logged.address);
    } finally {
      await logged.close(1000);
    }
    expect(lines.filter((line) => line.msg === 'gRPC call refused')).toHaveLength(1);
    expect(await registry.getSingleMetricAsString('parley_grpc_calls_refused_total')).toContain(
      'caller="none"} 5',
    );
  });

  it('hands the refusal hook the request of a refused caller that sends one', async () => {
    refusals.length = 0;
    await expect(
      unary(withoutCertificate(), 'GetChannel', { tenantId: 'tenant-claimed', channelId: 'web' }),
    ).resolves.toMatchObject({ code: status.UNAUTHENTICATED });
    expect(refusals).toEqual([
      expect.objectContaining({
        code: 'unauthenticated',
        request: expect.objectContaining({ tenantId: 'tenant-claimed' }),
      }),
    ]);
  });

  it('marks and reports a handler’s refusal of its caller as the method table’s, and no other error', async () => {
    refusals.length = 0;
    const request = {
      tenantId: 'tenant-b',
      customerKey: 'ck',
      caller: { kind: 'bot', id: 'b', reason: 'r' },
    };
    await expect(unary(as('enrichment'), 'GetAccessToken', request)).resolves.toMatchObject({
      code: status.PERMISSION_DENIED,
      trailer: 'permission_denied',
      refusedAs: 'enrichment',
    });
    expect(refusals).toEqual([
      {
        method: '/parley.auth.v1.AuthService/GetAccessToken',
        code: 'permission_denied',
        caller: 'enrichment',
        peer: expect.any(String),
        request: expect.objectContaining({ tenantId: 'tenant-b' }),
      },
    ]);
    const ordinary = { ...request, caller: { kind: 'service', id: 'x', reason: 'r' } };
    await expect(unary(as('enrichment'), 'GetAccessToken', ordinary)).resolves.toMatchObject({
      code: status.PERMISSION_DENIED,
      trailer: 'permission_denied',
      refusedAs: undefined,
    });
    expect(refusals).toHaveLength(1);
  });
});
