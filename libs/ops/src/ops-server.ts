import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@parley/logger';
import { Gauge } from 'prom-client';
import type { MetricsRegistry } from './metrics.js';

/** A named dependency check for `/readyz`; it must answer fast (it is bounded by `checkTimeoutMs`). */
export type ReadinessCheck = () => boolean | Promise<boolean>;

export interface OpsServerOptions {
  readonly port: number;
  readonly host?: string;
  readonly registry: MetricsRegistry;
  readonly readiness: Readonly<Record<string, ReadinessCheck>>;
  readonly logger: Logger;
  readonly checkTimeoutMs?: number;
}

export interface OpsServer {
  /** `http://host:port` actually bound (port 0 picks a free one). */
  readonly url: string;
  /** From now on `/readyz` answers 503 so load balancers stop sending work; `/healthz` stays up. */
  drain(): void;
  close(): Promise<void>;
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(check), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

interface Readiness {
  readonly ready: boolean;
  readonly draining: boolean;
  readonly checks: Readonly<Record<string, boolean>>;
}

/**
 * `/readyz` as series, evaluated at each scrape (docs/operations.md, "Readiness metrics"):
 * `parley_ready` (1 ready, 0 not ready or draining) and `parley_readiness_check{check}`.
 */
function registerReadinessSeries(registry: MetricsRegistry, evaluate: () => Promise<Readiness>): () => void {
  // One evaluation for both gauges: a scrape collects every metric at once, before any resolves.
  let current: Promise<Readiness> | undefined;
  const once = () => {
    current ??= evaluate().finally(() => {
      current = undefined;
    });
    return current;
  };
  new Gauge({
    name: 'parley_ready',
    help: 'Whether /readyz answers ready (1) or not ready or draining (0), as evaluated at the scrape.',
    registers: [registry],
    async collect() {
      this.set((await once()).ready ? 1 : 0);
    },
  });
  new Gauge({
    name: 'parley_readiness_check',
    help: 'Whether each dependency check of /readyz passes (1) or fails (0), as evaluated at the scrape.',
    labelNames: ['check'],
    registers: [registry],
    async collect() {
      for (const [check, ok] of Object.entries((await once()).checks)) this.set({ check }, ok ? 1 : 0);
    },
  });
  return () => {
    registry.removeSingleMetric('parley_ready');
    registry.removeSingleMetric('parley_readiness_check');
  };
}

function send(response: ServerResponse, status: number, body: unknown, contentType = 'application/json') {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' }).end(payload);
}

/**
 * The operations endpoints every Parley service answers: `/healthz` (the process is alive),
 * `/readyz` (every dependency check passes and the service is not draining) and `/metrics`
 * (Prometheus text format).
 *
 * @example
 * const ops = await startOpsServer({ port: 9464, registry, logger, readiness: { kafka: () => consumer.isReady() } });
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const { port, host = '0.0.0.0', registry, readiness, logger, checkTimeoutMs = 2000 } = options;
  let draining = false;

  async function evaluate(): Promise<Readiness> {
    const names = Object.keys(readiness);
    const results = await Promise.all(
      names.map((name) => runCheck(readiness[name] as ReadinessCheck, checkTimeoutMs)),
    );
    const checks = Object.fromEntries(names.map((name, i) => [name, results[i] === true]));
    return { ready: !draining && results.every(Boolean), draining, checks };
  }
  const unregister = registerReadinessSeries(registry, evaluate);

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return send(response, 405, { error: { code: 'method_not_allowed', message: 'use GET' } });
    }
    if (path === '/healthz') return send(response, 200, { status: 'ok' });
    if (path === '/readyz') {
      const { ready, draining: drained, checks } = await evaluate();
      return send(response, ready ? 200 : 503, {
        status: drained ? 'draining' : ready ? 'ready' : 'not_ready',
        checks: Object.fromEntries(Object.entries(checks).map(([name, ok]) => [name, ok ? 'ok' : 'failing'])),
      });
    }
    if (path === '/metrics') return send(response, 200, await registry.metrics(), registry.contentType);
    return send(response, 404, { error: { code: 'not_found', message: `no route ${path}` } });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      logger.error({ err: error }, 'ops endpoint failed');
      if (!response.headersSent)
        send(response, 500, { error: { code: 'server_error', message: 'internal error' } });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  }).catch((error: unknown) => {
    unregister();
    throw error;
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost === '0.0.0.0' ? '127.0.0.1' : urlHost}:${address.port}`,
    drain() {
      draining = true;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        unregister();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
