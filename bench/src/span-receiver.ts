import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** One span as an OTLP/HTTP JSON export carries it, attributes flattened. */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
  readonly status: { readonly code?: number; readonly message?: string };
  readonly serviceName: string | undefined;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        startTimeUnixNano: string | number;
        endTimeUnixNano: string | number;
        attributes?: OtlpAttribute[];
        status?: { code?: number; message?: string };
      }[];
    }[];
  }[];
}

function attributeValue(value: OtlpValue): string | number | boolean {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  return Boolean(value.boolValue);
}

function attributesOf(list: OtlpAttribute[] | undefined): Record<string, string | number | boolean> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, attributeValue(value)]));
}

/** OTLP JSON ids are hex; some encoders send base64: both read as hex. */
function hexId(id: string | undefined): string | undefined {
  if (!id) return undefined;
  return /^[0-9a-f]+$/i.test(id) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex');
}

/**
 * An OTLP/HTTP receiver accepting JSON exports at `/v1/traces` (OTEL_EXPORTER_OTLP_PROTOCOL=http/json),
 * as a collector would: what the tests and the benchmark read the spans from. With `onSpan` each
 * span goes there and nothing is kept (a benchmark's millions); without, `spans` and `bodies` keep all.
 */
export async function startOtlpReceiver(
  options: { host?: string; onSpan?: (span: ReceivedSpan) => void } = {},
) {
  const { host = '127.0.0.1' } = options;
  const spans: ReceivedSpan[] = [];
  /** Every export body as received, to check that no secret is anywhere in them. */
  const bodies: string[] = [];
  const onSpan = options.onSpan ?? ((span: ReceivedSpan) => void spans.push(span));
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/traces')
        return void response.writeHead(404).end();
      if (!request.headers['content-type']?.startsWith('application/json'))
        return void response.writeHead(415).end();
      let raw = Buffer.concat(chunks);
      if (request.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      const text = raw.toString('utf8');
      if (!options.onSpan) bodies.push(text);
      const exported = JSON.parse(text) as OtlpExport;
      for (const resourceSpans of exported.resourceSpans ?? []) {
        const resource = attributesOf(resourceSpans.resource?.attributes);
        for (const scope of resourceSpans.scopeSpans ?? [])
          for (const span of scope.spans ?? [])
            onSpan({
              traceId: hexId(span.traceId) as string,
              spanId: hexId(span.spanId) as string,
              parentSpanId: hexId(span.parentSpanId),
              name: span.name,
              kind: span.kind,
              startNs: BigInt(span.startTimeUnixNano),
              endNs: BigInt(span.endTimeUnixNano),
              attributes: attributesOf(span.attributes),
              status: span.status ?? {},
              serviceName: resource['service.name'] as string | undefined,
            });
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    /** For OTEL_EXPORTER_OTLP_ENDPOINT (the exporter appends /v1/traces). */
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    spans,
    bodies,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
