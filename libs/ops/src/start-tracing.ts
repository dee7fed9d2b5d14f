import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { ParleyError } from '@parley/errors';
import type { Logger } from '@parley/logger';
import { recordSpansWith } from './spans.js';

type Env = Readonly<Record<string, string | undefined>>;

export type TracesSampler =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

const samplers = new Set<string>([
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
]);

/** Whether and where spans are exported, from the standard OTEL_* variables (docs/operations.md, "Tracing"). */
export interface TracingConfig {
  readonly enabled: boolean;
  /** `service.name`: OTEL_SERVICE_NAME, else `parley-<service>`. */
  readonly serviceName: string;
  /** Where spans are posted (OTLP over HTTP). */
  readonly url: string;
  readonly protocol: 'http/protobuf' | 'http/json';
  readonly sampler: TracesSampler;
  /** OTEL_TRACES_SAMPLER_ARG, for the ratio samplers; default 1. */
  readonly samplerRatio: number;
  /** OTEL_RESOURCE_ATTRIBUTES, parsed. */
  readonly resourceAttributes: Readonly<Record<string, string>>;
}

function invalid(variable: string, why: string): ParleyError {
  return new ParleyError('invalid_config', `${variable}: ${why}`, { context: { variable } });
}

function set(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function parseResourceAttributes(value: string | undefined): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const pair of value?.split(',') ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    try {
      attributes[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(
        pair.slice(at + 1).trim(),
      );
    } catch {
      throw invalid('OTEL_RESOURCE_ATTRIBUTES', `"${pair}" is not key=value with percent-encoding`);
    }
  }
  return attributes;
}

/**
 * Reads the standard OpenTelemetry variables. Tracing is off unless OTEL_TRACES_EXPORTER is `otlp`,
 * or it is unset and OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT is set;
 * OTEL_SDK_DISABLED=true and OTEL_TRACES_EXPORTER=none turn it off whatever else is set.
 *
 * @example
 * tracingConfig('ingress', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).url
 * // 'http://collector:4318/v1/traces'
 */
export function tracingConfig(service: string, env: Env): TracingConfig {
  const exporters = set(env, 'OTEL_TRACES_EXPORTER')
    ?.split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  const unsupported = exporters?.find((name) => name !== 'otlp' && name !== 'none');
  if (unsupported) throw invalid('OTEL_TRACES_EXPORTER', `"${unsupported}" is not supported (otlp or none)`);
  const tracesEndpoint = set(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const endpoint = set(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  const disabled = set(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true';
  const wanted =
    exporters === undefined || exporters.length === 0
      ? tracesEndpoint !== undefined || endpoint !== undefined
      : exporters.includes('otlp') && !exporters.includes('none');

  // The signal's own endpoint is used as it is; the general one gets the traces path appended.
  const url =
    tracesEndpoint ??
    (endpoint ? `${endpoint.replace(/\/+$/, '')}/v1/traces` : 'http://localhost:4318/v1/traces');
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
    throw invalid(
      tracesEndpoint ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT',
      'not an http(s) URL',
    );
  const protocolVariable = set(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL')
    ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = set(env, protocolVariable) ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json')
    throw invalid(protocolVariable, `"${protocol}" is not supported (http/protobuf or http/json)`);
  const sampler = set(env, 'OTEL_TRACES_SAMPLER')?.toLowerCase() ?? 'parentbased_always_on';
  if (!samplers.has(sampler))
    throw invalid('OTEL_TRACES_SAMPLER', `"${sampler}" is not one of ${[...samplers].join(', ')}`);
  const ratioText = set(env, 'OTEL_TRACES_SAMPLER_ARG');
  const samplerRatio = ratioText === undefined ? 1 : Number(ratioText);
  if (!Number.isFinite(samplerRatio) || samplerRatio < 0 || samplerRatio > 1)
    throw invalid('OTEL_TRACES_SAMPLER_ARG', 'a ratio between 0 and 1');
  const resourceAttributes = parseResourceAttributes(set(env, 'OTEL_RESOURCE_ATTRIBUTES'));
  return Object.freeze({
    enabled: wanted && !disabled,
    serviceName: set(env, 'OTEL_SERVICE_NAME') ?? resourceAttributes['service.name'] ?? `parley-${service}`,
    url,
    protocol,
    sampler: sampler as TracesSampler,
    samplerRatio,
    resourceAttributes,
  });
}

/** The process's tracing, as startTracing left it. */
export interface Tracing {
  readonly config: TracingConfig;
  /** Exports the spans ended so far (tests; shutdown does it too). */
  flush(): Promise<void>;
  /** Exports what is left and stops recording. */
  shutdown(): Promise<void>;
}

async function samplerOf(config: TracingConfig) {
  const { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler } = await import(
    '@opentelemetry/sdk-trace-base'
  );
  const root = {
    always_on: () => new AlwaysOnSampler(),
    always_off: () => new AlwaysOffSampler(),
    traceidratio: () => new TraceIdRatioBasedSampler(config.samplerRatio),
  };
  const [, parentBased, rootName] = /^(parentbased_)?(.*)$/.exec(config.sampler) ?? [];
  const sampler = root[rootName as keyof typeof root]();
  return parentBased ? new ParentBasedSampler({ root: sampler }) : sampler;
}

/** The SDK's own complaints (an export that failed) as warnings in the service's log. */
function diagnosticsTo(logger: Logger): DiagLogger {
  const warn = (message: string, ...args: unknown[]) => logger.warn({ otel: args }, message);
  return { error: warn, warn, info: () => {}, debug: () => {}, verbose: () => {} };
}

/**
 * Turns span recording and OTLP export on when the standard variables ask for it (see
 * tracingConfig); otherwise spans stay non-recording and cost next to nothing, while the trace
 * context still travels. Called once per process, by bootService.
 *
 * @example
 * const tracing = await startTracing({ service: 'ingress', version, env: process.env, logger });
 * // … on shutdown:
 * await tracing.shutdown();
 */
export async function startTracing(options: {
  service: string;
  version?: string;
  env: Env;
  logger?: Logger;
}): Promise<Tracing> {
  const config = tracingConfig(options.service, options.env);
  if (!config.enabled) return { config, flush: async () => {}, shutdown: async () => {} };
  // Loaded only when tracing is on, so a process without it does not load the SDK at all.
  const [{ BasicTracerProvider, BatchSpanProcessor }, { resourceFromAttributes }, exporterModule] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/resources'),
      config.protocol === 'http/json'
        ? import('@opentelemetry/exporter-trace-otlp-http')
        : import('@opentelemetry/exporter-trace-otlp-proto'),
    ]);
  if (options.logger) diag.setLogger(diagnosticsTo(options.logger), DiagLogLevel.WARN);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      ...config.resourceAttributes,
      'service.name': config.serviceName,
      ...(options.version ? { 'service.version': options.version } : {}),
    }),
    sampler: await samplerOf(config),
    spanProcessors: [new BatchSpanProcessor(new exporterModule.OTLPTraceExporter({ url: config.url }))],
  });
  recordSpansWith(provider.getTracer('parley', options.version));
  return {
    config,
    flush: () => provider.forceFlush(),
    async shutdown() {
      recordSpansWith(undefined);
      await provider.shutdown();
    },
  };
}
