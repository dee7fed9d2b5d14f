import { startTracing, type Tracing } from '@parley/ops';
import { type BrandServer, startBrandServer } from '@parley/test-brand';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDeviceStream } from '../support/device-stream.js';
import { freshTopics, testKafka, testLogger, waitFor } from '../support/harness.js';
import { type ReceivedSpan, startOtlpReceiver } from '../support/otlp-receiver.js';
import {
  createTestApiKey,
  dropStore,
  pipelineTopics,
  putChannelOverHttp,
  signInOverHttp,
  startAuth,
  startEnrichment,
  startHistory,
  startIngress,
  startIntegrations,
} from '../support/services.js';

const kinds = { server: 2, client: 3, producer: 4, consumer: 5 } as const;

/**
 * The spans of one message as an OpenTelemetry collector receives them (docs/operations.md,
 * "Tracing"): the services as `npm run up` runs them, in this process, exporting OTLP/HTTP JSON to
 * a receiver of the test's.
 */
describe('OpenTelemetry spans across the services', () => {
  const logger = testLogger('otel-tracing-test');
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let tracing: Tracing;
  let brand: BrandServer;
  let apps: { start(): Promise<void>; stop(): Promise<void> }[] = [];
  let api: string;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    tracing = await startTracing({
      service: 'pipeline-test',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
    });
    brand = await startBrandServer();
    brand.customers.set('c-1', { name: 'Ada' });
    const prefix = await freshTopics(testKafka(), pipelineTopics);
    const auth = await startAuth(logger);
    const history = await startHistory(prefix, logger);
    const enrichment = await startEnrichment(prefix, auth.grpcAddress(), logger);
    const integrations = await startIntegrations(prefix, logger);
    const ingress = await startIngress(
      prefix,
      { auth: auth.grpcAddress(), history: history.grpcAddress() },
      logger,
    );
    apps = [ingress, integrations, enrichment, history, auth];
    api = ingress.httpUrl();
    const token = await createTestApiKey(ingress, 'acme', 'admin', ['admin']);
    expect((await putChannelOverHttp(api, token, brand)).status).toBe(200);
  }, 180_000);

  afterAll(async () => {
    for (const app of apps) await app.stop();
    await Promise.all(apps.map((app) => dropStore(app)));
    await brand?.stop();
    await tracing?.shutdown();
    await receiver?.stop();
  });

  it('makes one trace of a message: ingress, auth (with both brand calls), history and the delivery back at ingress', async () => {
    const laptop = await signInOverHttp(api, brand, 'c-1', { tenantId: 'acme', deviceId: 'laptop' });
    const phone = await signInOverHttp(api, brand, 'c-1', { tenantId: 'acme', deviceId: 'phone' });
    const stream = openDeviceStream(api, phone.sessionToken);
    try {
      await stream.frame('sync');
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const sent = await fetch(`${api}/v1/messages`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${laptop.sessionToken}`,
          'content-type': 'application/json',
          traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
        },
        body: JSON.stringify({ clientMessageId: 'otel-1', text: 'traced' }),
      });
      expect(sent.status).toBe(202);
      const { messageId } = (await sent.json()) as { messageId: string };
      await waitFor('the delivery on the phone', () =>
        stream.frames.find((frame) => JSON.stringify(frame).includes(messageId) && frame.type !== 'ack'),
      );

      const ofMessage = (span: ReceivedSpan) => span.attributes['parley.message_id'] === messageId;
      const find = (spans: ReceivedSpan[], name: string, kind: number, group?: string) =>
        spans.find(
          (span) =>
            span.name === name &&
            span.kind === kind &&
            ofMessage(span) &&
            (group === undefined ||
              String(span.attributes['messaging.consumer.group.name']).startsWith(group)),
        );
      const hops = await waitFor(
        'the spans of every hop',
        async () => {
          await tracing.flush();
          const spans = receiver.spans.filter((span) => span.traceId === traceId);
          const request = find(spans, 'POST /v1/messages', kinds.server);
          const found = {
            request,
            // The message's one auth call, made before the message has an id (it is derived from
            // the session auth confirms): auth's server span of ingress's AuthorizeSession.
            auth: spans.find(
              (span) =>
                span.kind === kinds.server &&
                span.attributes['rpc.service'] === 'parley.auth.v1.AuthService' &&
                span.attributes['rpc.method'] === 'AuthorizeSession' &&
                spans.some(
                  (client) => client.spanId === span.parentSpanId && client.parentSpanId === request?.spanId,
                ),
            ),
            enriched: find(spans, 'send chat.messages.enriched.v1', kinds.producer),
            history: find(spans, 'process chat.messages.enriched.v1', kinds.consumer, 'history'),
            delivery: find(spans, 'send chat.deliveries.v1', kinds.producer),
            deliveredAtIngress: find(spans, 'process chat.deliveries.v1', kinds.consumer, 'ingress-pod-'),
          };
          return Object.values(found).every(Boolean) ? { found, spans } : undefined;
        },
        { timeoutMs: 45_000 },
      );
      const { found, spans } = hops;

      // One trace, the caller's, whose spans nest: each consumer continues its producer.
      expect(new Set(receiver.spans.filter(ofMessage).map((span) => span.traceId))).toEqual(
        new Set([traceId]),
      );
      expect(found.request?.parentSpanId).toBe('00f067aa0ba902b7');
      // Ingress publishes the message enriched: no enrichment hop on its path.
      expect(found.enriched?.parentSpanId).toBe(found.request?.spanId);
      expect(spans.some((span) => span.name === 'process chat.messages.received.v1')).toBe(false);
      expect(found.history?.parentSpanId).toBe(found.enriched?.spanId);
      expect(found.deliveredAtIngress?.parentSpanId).toBe(found.delivery?.spanId);
      expect(found.request?.attributes).toMatchObject({
        'http.request.method': 'POST',
        'http.route': '/v1/messages',
        'http.response.status_code': 202,
      });
      expect(found.history?.attributes).toMatchObject({
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.message.id': messageId,
      });
      // Ingress's call to auth is the client side of auth's server span.
      const authClient = spans.find((span) => span.spanId === found.auth?.parentSpanId);
      expect(authClient).toMatchObject({ kind: kinds.client, attributes: { 'rpc.system': 'grpc' } });

      // Brand calls and store statements are child spans, with the host and the statement's name.
      const byId = new Map(spans.map((span) => [span.spanId, span]));
      const under = (span: ReceivedSpan, ancestor: ReceivedSpan | undefined) => {
        for (let at: ReceivedSpan | undefined = span; at; at = byId.get(at.parentSpanId ?? '')) {
          if (at.spanId === ancestor?.spanId) return true;
        }
        return false;
      };
      const brandCalls = spans.filter((span) => span.name.startsWith('brand ') && span.kind === kinds.client);
      // The introspection and the customer-data GET, both made by auth within the one call.
      expect(brandCalls.filter((span) => under(span, found.auth))).toHaveLength(2);
      expect(brandCalls[0]?.attributes).toMatchObject({
        'server.address': '127.0.0.1',
        'parley.tenant_id': 'acme',
      });
      const statements = spans.filter((span) => span.attributes['db.system'] === 'postgresql');
      const stored = statements.find((span) => under(span, found.history) && ofMessage(span));
      expect(stored?.kind).toBe(kinds.client);
      expect(stored?.attributes['db.operation.name']).toMatch(/^[A-Z]+$/);
      // auth looks the session up for ingress's call, under the request
      expect(statements.some((span) => under(span, found.request))).toBe(true);

      // Nothing secret is in any export: not the session tokens, not the brand's access tokens,
      // not Parley's client secret at the brand.
      const secrets = [
        laptop.sessionToken,
        phone.sessionToken,
        brand.client.clientSecret,
        ...brand.bearerTokens,
      ];
      expect(brand.bearerTokens.size).toBeGreaterThan(0);
      const exported = receiver.bodies.join('\n');
      for (const secret of secrets) expect(exported.includes(secret)).toBe(false);
    } finally {
      stream.socket.close();
    }
  });
});
