export { createMetricsRegistry, type MetricsRegistry } from './metrics.js';
export { type OpsServer, type OpsServerOptions, type ReadinessCheck, startOpsServer } from './ops-server.js';
export { type RunnableService, type RunServiceOptions, runService } from './run-service.js';
