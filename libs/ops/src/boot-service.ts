import { readFileSync } from 'node:fs';
import { isParleyError } from '@parley/errors';
import { createLogger, type Logger } from '@parley/logger';
import { type RunnableService, runService } from './run-service.js';
import { startTracing, type Tracing } from './start-tracing.js';

export interface BootOptions<C extends BootConfig> {
  readonly name: string;
  /** `import.meta.url` of the service's main module: its package.json (one level up) gives the version. */
  readonly mainUrl: string;
  /** The service's `config.ts` loader; the only reader of process.env. */
  readonly loadConfig: () => C;
  readonly createApp: (deps: {
    config: C;
    logger: Logger;
    version: string;
  }) => RunnableService | Promise<RunnableService>;
}

interface BootConfig {
  readonly LOG_LEVEL: string;
  readonly LOG_PRETTY?: boolean | undefined;
  readonly SHUTDOWN_TIMEOUT_SECONDS: number;
}

/** The version in the package.json beside `src/` or `dist/`. */
export function packageVersion(mainUrl: string): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', mainUrl), 'utf8')) as {
    version?: string;
  };
  return manifest.version ?? '0.0.0';
}

/**
 * What every service's `main.ts` does: load config (a bad one is one line on stderr and exit 2),
 * create the one root logger, start tracing (`startTracing`), create the app and run it until
 * SIGTERM, exporting the last spans after it stopped.
 *
 * @example
 * await bootService({ name: 'auth', mainUrl: import.meta.url, loadConfig, createApp });
 */
export async function bootService<C extends BootConfig>(options: BootOptions<C>): Promise<void> {
  const { name, mainUrl, loadConfig, createApp } = options;
  let config: C;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(`${name}: ${isParleyError(error) ? error.message : String(error)}`);
    process.exit(2);
  }
  const version = packageVersion(mainUrl);
  const pretty = config.LOG_PRETTY ?? Boolean(process.stdout.isTTY);
  const logger = createLogger({ service: name, version, level: config.LOG_LEVEL, pretty });
  // The standard OTEL_* variables are OpenTelemetry's, the same in every service, so they are read
  // here beside the service's config (docs/operations.md, "Tracing"); off unless they ask for it.
  let tracing: Tracing;
  try {
    tracing = await startTracing({ service: name, version, env: process.env, logger });
  } catch (error) {
    console.error(`${name}: ${isParleyError(error) ? error.message : String(error)}`);
    process.exit(2);
  }
  if (tracing.config.enabled)
    logger.info({ tracesUrl: tracing.config.url, serviceName: tracing.config.serviceName }, 'tracing on');
  const app = await createApp({ config, logger, version });
  const service: RunnableService = {
    start: () => app.start(),
    async stop() {
      try {
        await app.stop();
      } finally {
        await tracing.shutdown().catch((error: unknown) => logger.warn({ err: error }, 'spans not exported'));
      }
    },
  };
  await runService({ logger, service, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_SECONDS * 1000 });
}
