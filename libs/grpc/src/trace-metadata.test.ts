import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metadata } from '@grpc/grpc-js';
import { ParleyError } from '@parley/errors';
import { createLogger } from '@parley/logger';
import {
  currentTraceId,
  currentTraceparent,
  inSpan,
  newTraceparent,
  parseTraceparent,
  runInTrace,
  withMessageId,
} from '@parley/ops';
import { describe, expect, it } from 'vitest';
import { ensureDevCertificates } from '../../../scripts/infra/certs.mjs';
import {
  type AuthServiceDefinition,
  createServiceClient,
  implementService,
  loadGrpcTls,
  loadParleyProtos,
  type ServiceIdentity,
  startGrpcServer,
  traceContextOf,
  type UnaryImplementation,
  withTraceparent,
} from './index.js';

describe('traceparent in gRPC metadata', () => {
  it('adds the current hop’s traceparent to outgoing metadata, keeping one already there', () => {
    expect(withTraceparent(new Metadata()).get('traceparent')).toEqual([]);
    runInTrace(undefined, () => {
      const given = new Metadata();
      const sent = withTraceparent(given);
      expect(sent.get('traceparent')).toEqual([currentTraceparent()]);
      expect(given.get('traceparent')).toEqual([]); // the caller's metadata is not changed
      const own = new Metadata();
      own.set('traceparent', newTraceparent());
      expect(withTraceparent(own)).toBe(own);
    });
  });

  it('continues the caller’s trace, or a new one', () => {
    const incoming = newTraceparent();
    const metadata = new Metadata();
    metadata.set('traceparent', incoming);
    const traceIdIn = (received: Metadata) =>
      inSpan('server', { kind: 'server', parent: traceContextOf(received) }, () => currentTraceId());
    expect(traceIdIn(metadata)).toBe(parseTraceparent(incoming)?.traceId);
    expect(traceIdIn(new Metadata())).toMatch(/^[0-9a-f]{32}$/);
    expect(traceIdIn(new Metadata())).not.toBe(parseTraceparent(incoming)?.traceId);
  });

  it('sends the message id as baggage to the called service', () => {
    const sent = runInTrace(undefined, () => withMessageId('m-1', () => withTraceparent(new Metadata())));
    expect(sent.get('baggage')).toEqual(['parley.message_id=m-1']);
    // Without a message under way, no baggage goes.
    expect(runInTrace(undefined, () => withTraceparent(new Metadata())).get('baggage')).toEqual([]);
  });

  it('carries the client’s trace to the server’s handler over a real call', async () => {
    const logger = createLogger({ service: 'grpc-trace-test', version: 'test', level: 'silent' });
    const { auth } = loadParleyProtos();
    const pki = await ensureDevCertificates({ dir: mkdtempSync(join(tmpdir(), 'parley-grpc-trace-')) });
    const tlsOf = (service: ServiceIdentity) =>
      loadGrpcTls(
        {
          GRPC_TLS_CA_FILE: pki.ca,
          GRPC_TLS_CERT_FILE: pki.services[service].cert,
          GRPC_TLS_KEY_FILE: pki.services[service].key,
        },
        service,
      );
    const notHere = async () => {
      throw new ParleyError('server_error', 'not part of this test');
    };
    const seen: (string | undefined)[] = [];
    const handlers: UnaryImplementation<AuthServiceDefinition> = {
      ExchangeCode: notHere,
      GetAccessToken: notHere,
      RevokeSession: notHere,
      PutChannel: notHere,
      TestChannel: notHere,
      AuthorizeSession: notHere,
      AuthorizeMessage: notHere,
      GetCustomerDataAccess: notHere,
      async GetChannel(request) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        seen.push(currentTraceId());
        return { tenantId: request.tenantId, channelId: request.channelId };
      },
    };
    const server = await startGrpcServer({
      address: '127.0.0.1:0',
      tls: tlsOf('auth'),
      logger,
      services: [
        {
          name: 'parley.auth.v1.AuthService',
          definition: auth.AuthService.service,
          implementation: implementService(auth.AuthService.service, handlers, logger),
          callers: { GetChannel: ['ingress'] },
        },
      ],
    });
    const client = createServiceClient(auth.AuthService.service, server.address, {
      tls: tlsOf('ingress'),
      server: 'auth',
    });
    try {
      const incoming = newTraceparent();
      await runInTrace(incoming, () => client.call.GetChannel({ tenantId: 't', channelId: 'c' }));
      await client.call.GetChannel({ tenantId: 't', channelId: 'c' });
      expect(seen[0]).toBe(parseTraceparent(incoming)?.traceId);
      expect(seen[1]).toMatch(/^[0-9a-f]{32}$/);
      expect(seen[1]).not.toBe(seen[0]);
    } finally {
      client.close();
      await server.close(1000);
    }
  });
});
