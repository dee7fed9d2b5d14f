import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startOtlpReceiver } from '../../../test/support/otlp-receiver.js';
import {
  currentTraceparent,
  inSpan,
  parseTraceparent,
  startTracing,
  tracingConfig,
  withMessageId,
} from './index.js';

describe('tracing configuration (docs/operations.md, "Tracing")', () => {
  it('is off by default, and spans then record nothing while the trace still travels', async () => {
    expect(tracingConfig('ingress', {})).toMatchObject({ enabled: false, serviceName: 'parley-ingress' });
    const tracing = await startTracing({ service: 'ingress', env: {} });
    expect(tracing.config.enabled).toBe(false);
    const seen = inSpan('outer', { kind: 'server' }, (outer) =>
      inSpan('inner', { kind: 'client' }, (inner) => ({
        recording: [outer.isRecording(), inner.isRecording()],
        outer: outer.spanContext(),
        traceparent: currentTraceparent(),
      })),
    );
    expect(seen.recording).toEqual([false, false]);
    const sent = parseTraceparent(seen.traceparent);
    expect(sent).toMatchObject({ traceId: seen.outer.traceId, flags: '01' });
    expect(sent?.parentId).not.toBe(seen.outer.spanId); // the inner span has an id of its own
  });

  it('turns on for otlp or an OTLP endpoint, and off for none or OTEL_SDK_DISABLED', () => {
    const on = (env: Record<string, string>) => tracingConfig('auth', env);
    expect(on({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toMatchObject({
      enabled: true,
      url: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
      sampler: 'parentbased_always_on',
    });
    expect(on({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://c.example/custom' })).toMatchObject({
      enabled: true,
      url: 'https://c.example/custom',
    });
    expect(on({ OTEL_TRACES_EXPORTER: 'otlp' })).toMatchObject({
      enabled: true,
      url: 'http://localhost:4318/v1/traces',
    });
    expect(on({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).enabled).toBe(
      false,
    );
    expect(on({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }).enabled).toBe(false);
    expect(
      on({
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_SERVICE_NAME: 'auth-eu',
        OTEL_RESOURCE_ATTRIBUTES: 'a=1,b=x%20y',
      }),
    ).toMatchObject({ serviceName: 'auth-eu', resourceAttributes: { a: '1', b: 'x y' } });
  });

  it('refuses what it cannot do, naming the variable', () => {
    for (const [env, variable] of [
      [{ OTEL_TRACES_EXPORTER: 'zipkin' }, 'OTEL_TRACES_EXPORTER'],
      [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL'],
      [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT'],
      [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_TRACES_SAMPLER: 'sometimes' }, 'OTEL_TRACES_SAMPLER'],
      [{ OTEL_TRACES_EXPORTER: 'otlp', OTEL_TRACES_SAMPLER_ARG: '2' }, 'OTEL_TRACES_SAMPLER_ARG'],
    ] as const) {
      expect(() => tracingConfig('auth', env), variable).toThrow(
        expect.objectContaining({ code: 'invalid_config', context: { variable } }),
      );
    }
  });
});

describe('span export over OTLP/HTTP', () => {
  it('exports the spans as JSON with the service name and the message id', async () => {
    const receiver = await startOtlpReceiver();
    const tracing = await startTracing({
      service: 'unit',
      version: '1.2.3',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
    });
    try {
      await inSpan('POST /v1/messages', { kind: 'server' }, async (outer) => {
        expect(outer.isRecording()).toBe(true);
        await withMessageId('m-1', () => inSpan('send topic', { kind: 'producer' }, async () => {}));
      });
      await tracing.flush();
      const [producer, server] = receiver.spans;
      expect(server).toMatchObject({ name: 'POST /v1/messages', kind: 2, serviceName: 'parley-unit' });
      expect(server?.attributes['parley.message_id']).toBe('m-1');
      expect(producer).toMatchObject({
        name: 'send topic',
        kind: 4,
        traceId: server?.traceId,
        parentSpanId: server?.spanId,
        attributes: { 'parley.message_id': 'm-1' },
      });
    } finally {
      await tracing.shutdown();
      await receiver.stop();
    }
    // After shutdown spans record nothing again.
    expect(inSpan('later', {}, (span) => span.isRecording())).toBe(false);
  });

  it('sends protobuf by default, and honours the sampler', async () => {
    const received: { type: string | undefined; bytes: number }[] = [];
    const server = createServer((request, response) => {
      let bytes = 0;
      request.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      request.on('end', () => {
        received.push({ type: request.headers['content-type'], bytes });
        response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
    try {
      const tracing = await startTracing({
        service: 'unit',
        env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url },
      });
      inSpan('one', {}, () => {});
      await tracing.flush();
      await tracing.shutdown();
      expect(received).toEqual([{ type: 'application/x-protobuf', bytes: expect.any(Number) }]);
      expect(received[0]?.bytes).toBeGreaterThan(0);

      received.length = 0;
      const sampledOut = await startTracing({
        service: 'unit',
        env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url, OTEL_TRACES_SAMPLER: 'always_off' },
      });
      const traceparent = inSpan('dropped', {}, () => currentTraceparent());
      await sampledOut.flush();
      await sampledOut.shutdown();
      expect(received).toEqual([]);
      expect(parseTraceparent(traceparent)?.flags).toBe('00'); // still carried, marked not sampled
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
