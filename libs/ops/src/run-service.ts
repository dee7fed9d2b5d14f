import type { Logger } from '@parley/logger';

/** What `createApp` returns in every service. */
export interface RunnableService {
  start(): Promise<void>;
  /** Stop taking work, finish in-flight work, commit offsets, close connections. */
  stop(): Promise<void>;
}

export interface RunServiceOptions {
  readonly logger: Logger;
  readonly service: RunnableService;
  /** Kubernetes sends SIGKILL after terminationGracePeriodSeconds (30 s by default). */
  readonly shutdownTimeoutMs?: number;
  /** Replaced in tests; the process exit. */
  readonly exit?: (code: number) => void;
}

/**
 * Starts a service and stops it gracefully on SIGTERM or SIGINT, exiting non-zero when start fails
 * or stopping exceeds its time. Used by every service's `main.ts`.
 *
 * @example
 * await runService({ logger, service: await createApp({ config, logger }) });
 */
export async function runService(options: RunServiceOptions): Promise<void> {
  const { logger, service, shutdownTimeoutMs = 25000, exit = (code) => process.exit(code) } = options;
  let stopping = false;

  /** Stops the service; exits with `code` (non-zero after a crash), or 1 if stopping fails. */
  async function shutdown(signal: string, code = 0): Promise<void> {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ shutdownTimeoutMs }, 'shutdown timed out');
      exit(1);
    }, shutdownTimeoutMs);
    timer.unref();
    try {
      await service.stop();
      logger.info('stopped');
      exit(code);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      exit(1);
    }
  }

  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled rejection');
    void shutdown('unhandledRejection', 1);
  });

  try {
    await service.start();
  } catch (error) {
    logger.fatal({ err: error }, 'start failed');
    await service.stop().catch(() => {});
    exit(1);
  }
}

/**
 * For a Kafka consumer's `onCrash`: a consumer that will not restart by itself stops the process
 * gracefully, so that the orchestrator starts a fresh one instead of leaving a pod that consumes nothing.
 */
export function stopProcessOnFatalCrash({ restart }: { restart: boolean }): void {
  if (!restart) process.kill(process.pid, 'SIGTERM');
}
