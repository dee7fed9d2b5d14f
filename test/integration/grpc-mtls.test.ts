import { readFileSync } from 'node:fs';
import {
  type ChannelCredentials,
  Client,
  credentials,
  Metadata,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import { ParleyError } from '@parley/errors';
import {
  type AuthServiceDefinition,
  errorCodeTrailer,
  type GrpcServer,
  type GrpcTls,
  implementService,
  loadParleyProtos,
  refusedCallTrailer,
  startGrpcServer,
  type UnaryImplementation,
} from '@parley/grpc';
import { type BrandServer, startBrandServer } from '@parley/test-brand';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCa, issueServiceCertificate } from '../../scripts/infra/certs.mjs';
import { authServiceCallers } from '../../services/auth/src/grpc/auth-service.js';
import { authClient, grpcTlsOf, historyClient } from '../support/grpc.js';
import { freshTopics, testInfra, testKafka, testLogger, waitFor } from '../support/harness.js';
import { brandChannel, dropStore, signInThroughAuth, startAuth, startHistory } from '../support/services.js';

const { auth: authProto } = loadParleyProtos();
const authMethods = authProto.AuthService.service;

/**
 * One AuthService call over raw grpc-js with `channelCredentials`, resolving to the status and the
 * trailers the server sent (what any client, not only Parley's, sees on the wire).
 */
function rawCall(
  address: string,
  channelCredentials: ChannelCredentials,
  method: 'ExchangeCode' | 'GetChannel' | 'RevokeSession',
  request: object,
) {
  const definition = authMethods[method] as unknown as MethodDefinition<object, unknown>;
  const client = new Client(address, channelCredentials, { 'grpc.ssl_target_name_override': 'auth' });
  return new Promise<{ code: status; trailer: unknown; refusedAs: unknown }>((resolve) => {
    client.makeUnaryRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize,
      request,
      new Metadata(),
      { deadline: Date.now() + 10_000 },
      (error: ServiceError | null) => {
        client.close();
        resolve({
          code: error?.code ?? status.OK,
          trailer: error?.metadata?.get(errorCodeTrailer)[0],
          refusedAs: error?.metadata?.get(refusedCallTrailer)[0],
        });
      },
    );
  });
}

/** Handlers of a server no call reaches. */
const neverCalled = Object.fromEntries(
  Object.keys(authMethods).map((name) => [
    name,
    async () => {
      throw new ParleyError('server_error', 'no call reaches this server');
    },
  ]),
) as unknown as UnaryImplementation<AuthServiceDefinition>;

/** What a Parley client reports when a server refuses the service it runs as. */
const refusedAs = (refusal: 'unauthenticated' | 'permission_denied') => ({
  code: 'server_error',
  context: { refusal },
});

describe('gRPC mutual TLS and per-method authorization by the caller’s certificate', () => {
  const logger = testLogger('grpc-mtls');
  const tenantId = 'tenant-mtls';
  const channelId = 'web';
  let brand: BrandServer;
  let auth: Awaited<ReturnType<typeof startAuth>>;
  let history: Awaited<ReturnType<typeof startHistory>>;
  let customerKey: string;
  const devCa = readFileSync(testInfra().grpcTls.ca);

  /** The refusals auth recorded for `method`, newest first. */
  const refusalsOf = async (method: string) =>
    (await auth.stores.refusals.listRecent(1000)).filter((refusal) => refusal.method === method);

  beforeAll(async () => {
    brand = await startBrandServer({ accessTokenTtlSeconds: 3600 });
    brand.customers.set('c-1', { name: 'Ada Lovelace' });
    auth = await startAuth(logger);
    const topics = await freshTopics(testKafka(), [
      'chat.messages.enriched.v1',
      'chat.messages.outbound.v1',
      'chat.customers.updated.v1',
      'chat.deliveries.v1',
    ]);
    history = await startHistory(topics, logger);
    const ingress = authClient(auth.grpcAddress(), { deadlineMs: 10_000 });
    try {
      await ingress.call.PutChannel({ channel: brandChannel(brand, tenantId, channelId) });
      const session = await signInThroughAuth(ingress, brand, 'c-1', { tenantId, channelId });
      customerKey = session.customer?.customerKey ?? '';
    } finally {
      ingress.close();
    }
  });

  afterAll(async () => {
    await history?.stop();
    await auth?.stop();
    await dropStore(history);
    await dropStore(auth);
    await brand?.stop();
  });

  it('refuses a call without a client certificate as unauthenticated, runs no handler, and audits it', async () => {
    const refused = await rawCall(auth.grpcAddress(), credentials.createSsl(devCa), 'ExchangeCode', {
      tenantId: 'tenant-claimed',
      channelId,
      code: 'x',
      redirectUri: 'https://chat.brand.example/cb',
    });
    expect(refused).toEqual({ code: status.UNAUTHENTICATED, trailer: 'unauthenticated', refusedAs: 'none' });
    const [audited] = await waitFor('the refusal audited', async () => {
      const found = await refusalsOf('/parley.auth.v1.AuthService/ExchangeCode');
      return found.some((refusal) => refusal.code === 'unauthenticated') ? found : undefined;
    });
    expect(audited).toEqual({
      method: '/parley.auth.v1.AuthService/ExchangeCode',
      code: 'unauthenticated',
      peer: '127.0.0.1',
      tenantId: 'tenant-claimed',
      firstSeen: expect.any(Date),
      lastSeen: expect.any(Date),
      count: 1,
    });
  });

  it('audits a flood of refused calls from one address as one record a minute, counting every call', async () => {
    const calls = 100;
    const startedMinute = Math.floor(Date.now() / 60_000);
    for (let call = 0; call < calls; call += 1) {
      // A connection of its own each time: another port, the same address.
      const refused = await rawCall(auth.grpcAddress(), credentials.createSsl(devCa), 'RevokeSession', {
        sessionToken: `flood-${call}`,
      });
      expect(refused.code).toBe(status.UNAUTHENTICATED);
    }
    const minutes = Math.floor(Date.now() / 60_000) - startedMinute + 1;
    const rows = await waitFor('every refused call counted', async () => {
      const found = (await refusalsOf('/parley.auth.v1.AuthService/RevokeSession')).filter(
        (refusal) => refusal.code === 'unauthenticated',
      );
      return found.reduce((sum, refusal) => sum + refusal.count, 0) === calls ? found : undefined;
    });
    // One record, or two when the calls straddled the turn of a minute.
    expect(rows.length).toBeLessThanOrEqual(minutes);
    expect(rows[0]).toMatchObject({ peer: '127.0.0.1', code: 'unauthenticated' });
    const metrics = await (await fetch(`${auth.opsUrl()}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(
        `parley_grpc_calls_refused_total\\{[^}]*method="/parley\\.auth\\.v1\\.AuthService/RevokeSession",code="unauthenticated",caller="none"[^}]*\\} ${calls}\\b`,
      ),
    );
  });

  it('refuses a call that sends headers and never a request at once, not at its deadline', async () => {
    const definition = authMethods.GetChannel as unknown as MethodDefinition<object, unknown>;
    const client = new Client(auth.grpcAddress(), credentials.createSsl(devCa), {
      'grpc.ssl_target_name_override': 'auth',
    });
    const started = Date.now();
    const answer = await new Promise<{ code: status; trailer: unknown }>((resolve) => {
      // A client stream never written to nor ended: only the call's headers reach the server.
      client.makeClientStreamRequest(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize,
        new Metadata(),
        { deadline: Date.now() + 10_000 },
        (error: ServiceError | null) => {
          client.close();
          resolve({ code: error?.code ?? status.OK, trailer: error?.metadata?.get(errorCodeTrailer)[0] });
        },
      );
    });
    expect(answer).toEqual({ code: status.UNAUTHENTICATED, trailer: 'unauthenticated' });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('refuses a certificate of another CA, even one naming ingress', async () => {
    const otherCa = await createCa(new Date(), 30, 'Not Parley');
    const impostor = await issueServiceCertificate({ service: 'ingress', ca: otherCa });
    const tls: GrpcTls = {
      ca: devCa,
      cert: Buffer.from(impostor.certPem),
      key: Buffer.from(impostor.keyPem),
      identity: 'ingress',
    };
    const refused = await rawCall(
      auth.grpcAddress(),
      credentials.createSsl(tls.ca, tls.key, tls.cert),
      'GetChannel',
      { tenantId, channelId },
    );
    expect(refused).toMatchObject({ code: status.UNAUTHENTICATED, trailer: 'unauthenticated' });
    await waitFor('the refusal audited without an identity', async () =>
      (await refusalsOf('/parley.auth.v1.AuthService/GetChannel')).find(
        (refusal) => refusal.code === 'unauthenticated' && refusal.tenantId === tenantId && !refusal.caller,
      ),
    );
  });

  it('refuses enrichment on the methods only ingress may call, changing nothing, and audits its identity', async () => {
    const enrichment = authClient(auth.grpcAddress(), { as: 'enrichment', deadlineMs: 10_000 });
    const ingress = authClient(auth.grpcAddress(), { deadlineMs: 10_000 });
    try {
      await expect(
        enrichment.call.PutChannel({ channel: brandChannel(brand, 'tenant-taken-over', channelId) }),
      ).rejects.toMatchObject(refusedAs('permission_denied'));
      await expect(
        enrichment.call.ExchangeCode({
          tenantId,
          channelId,
          code: 'x',
          redirectUri: brand.client.redirectUri,
        }),
      ).rejects.toMatchObject(refusedAs('permission_denied'));
      await expect(enrichment.call.AuthorizeSession({ sessionToken: 'x' })).rejects.toMatchObject(
        refusedAs('permission_denied'),
      );
      // On the wire: PERMISSION_DENIED with the Parley code.
      const tls = grpcTlsOf('enrichment');
      await expect(
        rawCall(auth.grpcAddress(), credentials.createSsl(tls.ca, tls.key, tls.cert), 'RevokeSession', {
          sessionToken: 'x',
        }),
      ).resolves.toEqual({
        code: status.PERMISSION_DENIED,
        trailer: 'permission_denied',
        refusedAs: 'enrichment',
      });
      // The handler never ran: no channel was stored.
      await expect(
        ingress.call.GetChannel({ tenantId: 'tenant-taken-over', channelId }),
      ).rejects.toMatchObject({ code: 'not_found' });
      for (const method of ['PutChannel', 'ExchangeCode', 'AuthorizeSession', 'RevokeSession']) {
        await waitFor(`the refused ${method} audited`, async () =>
          (await refusalsOf(`/parley.auth.v1.AuthService/${method}`)).find(
            (refusal) => refusal.code === 'permission_denied' && refusal.caller === 'enrichment',
          ),
        );
      }
      const [putChannel] = await refusalsOf('/parley.auth.v1.AuthService/PutChannel');
      expect(putChannel).toMatchObject({ caller: 'enrichment', tenantId: 'tenant-taken-over' });
    } finally {
      enrichment.close();
      ingress.close();
    }
  });

  it('hands enrichment its per-message access (counted) and ingress audited tokens, nobody else either', async () => {
    const asIngress = authClient(auth.grpcAddress(), { deadlineMs: 10_000 });
    const asEnrichment = authClient(auth.grpcAddress(), { as: 'enrichment', deadlineMs: 10_000 });
    const asHistory = authClient(auth.grpcAddress(), { as: 'history', deadlineMs: 10_000 });
    const dataAccess = { tenantId, customerKey, channelId, messageId: 'm-1' };
    try {
      // Enrichment's one call per message: the channel's customer-data URL and mapping, and the token.
      await expect(asEnrichment.call.GetCustomerDataAccess(dataAccess)).resolves.toMatchObject({
        customerDataUrl: brand.endpoints.userinfo,
        mapping: { customerId: expect.any(String) },
        accessToken: expect.any(String),
        expiresAt: expect.any(String),
      });
      await expect(asIngress.call.GetCustomerDataAccess(dataAccess)).rejects.toMatchObject(
        refusedAs('permission_denied'),
      );
      await expect(asHistory.call.GetCustomerDataAccess(dataAccess)).rejects.toMatchObject(
        refusedAs('permission_denied'),
      );
      // Enrichment reads no channel settings and takes no audited token any more.
      await expect(
        asEnrichment.call.GetAccessToken({
          tenantId,
          customerKey,
          caller: { kind: 'service', id: 'enrichment', reason: 'customer data for message m-1' },
        }),
      ).rejects.toMatchObject(refusedAs('permission_denied'));
      await expect(asEnrichment.call.GetChannel({ tenantId, channelId })).rejects.toMatchObject(
        refusedAs('permission_denied'),
      );
      await expect(
        asIngress.call.GetAccessToken({
          tenantId,
          customerKey,
          caller: { kind: 'bot', id: 'crm-bot (k1)', reason: 'look up open cases' },
        }),
      ).resolves.toMatchObject({ tokenType: 'Bearer' });
      await expect(
        asEnrichment.call.GetAccessToken({
          tenantId: 'tenant-bot-claimed',
          customerKey,
          caller: { kind: 'bot', id: 'crm-bot', reason: 'pretending' },
        }),
      ).rejects.toMatchObject(refusedAs('permission_denied'));
      await expect(
        asHistory.call.GetAccessToken({
          tenantId,
          customerKey,
          caller: { kind: 'service', id: 'enrichment', reason: 'curious' },
        }),
      ).rejects.toMatchObject(refusedAs('permission_denied'));
      await expect(asHistory.call.GetChannel({ tenantId, channelId })).rejects.toMatchObject(
        refusedAs('permission_denied'),
      );

      // The bot's token is audited with the service its certificate proves; enrichment's is counted.
      expect(await auth.stores.audit.listOfCustomer(tenantId, customerKey)).toEqual([
        {
          tenantId,
          customerKey,
          caller: { kind: 'service', id: 'ingress' },
          botId: 'crm-bot (k1)',
          reason: 'look up open cases',
          action: 'access_token_issued',
          at: expect.any(Date),
        },
      ]);
      const metrics = await (await fetch(`${auth.opsUrl()}/metrics`)).text();
      expect(metrics).toMatch(/parley_auth_customer_data_access_total\{[^}]*outcome="issued"[^}]*\} 1\b/);
      // Refusals of one kind from one address in a minute share a record (the first tenant named):
      // enrichment's two are one.
      for (const caller of ['history', 'enrichment']) {
        await waitFor(`${caller}’s refused GetAccessToken audited`, async () =>
          (await refusalsOf('/parley.auth.v1.AuthService/GetAccessToken')).find(
            (refusal) =>
              refusal.caller === caller &&
              refusal.code === 'permission_denied' &&
              refusal.tenantId === tenantId,
          ),
        );
      }
      await waitFor('enrichment’s refused GetChannel audited', async () =>
        (await refusalsOf('/parley.auth.v1.AuthService/GetChannel')).find(
          (refusal) => refusal.caller === 'enrichment' && refusal.code === 'permission_denied',
        ),
      );
    } finally {
      for (const client of [asIngress, asEnrichment, asHistory]) client.close();
    }
  });

  it('lets only ingress call history', async () => {
    const asIngress = historyClient(history.grpcAddress());
    const asEnrichment = historyClient(history.grpcAddress(), { as: 'enrichment' });
    try {
      const sync = { tenantId, customerKey, threadId: 'th_none', afterSeq: 0, limit: 10 };
      await expect(asEnrichment.call.Sync(sync)).rejects.toMatchObject(refusedAs('permission_denied'));
      await expect(asEnrichment.call.GetCustomer({ tenantId, customerKey })).rejects.toMatchObject(
        refusedAs('permission_denied'),
      );
      await expect(asIngress.call.Sync(sync)).resolves.toMatchObject({ messages: [] });
    } finally {
      asIngress.close();
      asEnrichment.close();
    }
  });

  it('lets every Parley service, and nobody without a certificate, ask whether a server is serving', async () => {
    const check = (channelCredentials: ChannelCredentials) =>
      new Promise<{ code: status; trailer: unknown }>((resolve) => {
        const client = new Client(auth.grpcAddress(), channelCredentials, {
          'grpc.ssl_target_name_override': 'auth',
        });
        client.makeUnaryRequest(
          '/grpc.health.v1.Health/Check',
          (value: Buffer) => value,
          (value: Buffer) => value,
          Buffer.alloc(0), // an empty HealthCheckRequest: the server as a whole
          new Metadata(),
          { deadline: Date.now() + 10_000 },
          (error: ServiceError | null) => {
            client.close();
            resolve({ code: error?.code ?? status.OK, trailer: error?.metadata?.get(errorCodeTrailer)[0] });
          },
        );
      });
    const history = grpcTlsOf('history');
    await expect(check(credentials.createSsl(history.ca, history.key, history.cert))).resolves.toEqual({
      code: status.OK,
      trailer: undefined,
    });
    await expect(check(credentials.createSsl(devCa))).resolves.toEqual({
      code: status.UNAUTHENTICATED,
      trailer: 'unauthenticated',
    });
  });

  describe('a client', () => {
    let impostor: GrpcServer;

    beforeAll(async () => {
      // An AuthService served with history's certificate, as a misrouted address would reach it.
      impostor = await startGrpcServer({
        address: '127.0.0.1:0',
        tls: grpcTlsOf('history'),
        logger,
        services: [
          {
            name: 'parley.auth.v1.AuthService',
            definition: authMethods,
            implementation: implementService(authMethods, neverCalled, logger),
            callers: authServiceCallers,
          },
        ],
      });
    });

    afterAll(() => impostor?.close(1000));

    it('refuses a server whose certificate names another service than the one it calls', async () => {
      const client = authClient(impostor.address, { deadlineMs: 3000 });
      try {
        await expect(client.call.GetChannel({ tenantId, channelId })).rejects.toMatchObject({
          code: 'dependency_unavailable',
          message: expect.stringContaining(
            'names spiffe://parley.local/history, not spiffe://parley.local/auth',
          ),
        });
      } finally {
        client.close();
      }
    });
  });
});
