export { createMetricsRegistry, type MetricsRegistry } from './metrics.js';
export { type OpsServer, type OpsServerOptions, type ReadinessCheck, startOpsServer } from './ops-server.js';
export { type RunnableService, runService, type RunServiceOptions } from './run-service.js';
