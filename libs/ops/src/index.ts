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
  childTraceparent,
  currentTraceId,
  currentTraceparent,
  newTraceparent,
  parseTraceparent,
  runInTrace,
  type TraceParent,
} from './trace-context.js';
