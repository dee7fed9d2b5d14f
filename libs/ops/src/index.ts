export type { Attributes, Context } from '@opentelemetry/api';
export { type BootOptions, bootService, packageVersion } from './boot-service.js';
export { type Component, type ComposedService, composeService } from './compose-service.js';
export {
  type ConsumerObserver,
  consumerMetrics,
  type PartitionLag,
  type RecordOutcome,
} from './consumer-metrics.js';
export { createMetricsRegistry, type MetricsRegistry } from './metrics.js';
export { type OpsServer, type OpsServerOptions, type ReadinessCheck, startOpsServer } from './ops-server.js';
export {
  type RunnableService,
  type RunServiceOptions,
  runService,
  stopProcessOnFatalCrash,
} from './run-service.js';
export {
  inSpan,
  markFailed,
  type OpenSpan,
  openSpan,
  type SpanKindName,
  type SpanOptions,
} from './spans.js';
export { startTracing, type Tracing, type TracingConfig, tracingConfig } from './start-tracing.js';
export { type StatementObserver, type StatementTiming, storeMetrics } from './store-metrics.js';
export {
  childTraceparent,
  contextOfHeaders,
  contextOfTraceparent,
  currentTraceId,
  currentTraceparent,
  newTraceparent,
  type PropagationOptions,
  parseTraceparent,
  runInTrace,
  type TraceParent,
  traceHeaders,
  withMessageId,
} from './trace-context.js';
