import type { Logger } from '@parley/logger';
import type { MetricsRegistry } from './metrics.js';
import { type OpsServer, type ReadinessCheck, startOpsServer } from './ops-server.js';
import type { RunnableService } from './run-service.js';

/** One part of a service with a lifecycle: a store connection, a producer, a consumer, a server. */
export interface Component {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Readiness check shown under this name on `/readyz`; omit for parts that are ready once started. */
  readonly isReady?: ReadinessCheck;
}

export interface ComposedService extends RunnableService {
  /** The ops server's URL once started. */
  opsUrl(): string;
}

/**
 * Assembles a service from components: the ops server starts first (so `/healthz` answers and
 * `/readyz` says not ready while the rest connects), components start in order and stop in reverse
 * after `/readyz` has turned to draining.
 *
 * @example
 * return composeService({ logger, registry, opsPort: config.OPS_PORT, bindHost: config.BIND_HOST, components: [store, producer, grpc] });
 */
export function composeService(options: {
  logger: Logger;
  registry: MetricsRegistry;
  opsPort: number;
  bindHost: string;
  components: readonly Component[];
}): ComposedService {
  const { logger, registry, opsPort, bindHost, components } = options;
  const started: Component[] = [];
  let ops: OpsServer | undefined;
  /** The component whose start is under way; a stop meanwhile stops it too (a consumer mid-join). */
  let starting: Component | undefined;
  let stopping = false;

  const readiness: Record<string, ReadinessCheck> = {};
  for (const component of components) {
    readiness[component.name] = () => started.includes(component) && (component.isReady?.() ?? true);
  }

  return {
    opsUrl() {
      if (!ops) throw new Error('service not started');
      return ops.url;
    },
    async start() {
      ops = await startOpsServer({ port: opsPort, host: bindHost, registry, readiness, logger });
      for (const component of components) {
        if (stopping) return;
        starting = component;
        try {
          await component.start();
        } catch (error) {
          if (stopping) return; // stopped while starting: not a failure to start
          throw error;
        } finally {
          starting = undefined;
        }
        if (stopping) return; // stop() has stopped it already
        started.push(component);
        logger.info({ component: component.name }, 'component started');
      }
      logger.info({ ops: ops.url }, 'service started');
    },
    async stop() {
      stopping = true;
      ops?.drain();
      let failure: unknown;
      const pending = starting ? [starting] : [];
      for (const component of [...pending, ...started.splice(0).reverse()]) {
        try {
          await component.stop();
        } catch (error) {
          failure ??= error;
          logger.error({ err: error, component: component.name }, 'component failed to stop');
        }
      }
      await ops?.close();
      ops = undefined;
      if (failure) throw failure;
    },
  };
}
