import { createLogger } from '@parley/logger';
import { Counter } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  bootService,
  composeService,
  createMetricsRegistry,
  type OpsServer,
  packageVersion,
  runService,
  startOpsServer,
} from './index.js';

const logger = createLogger({ service: 'ops-test', version: 'test', level: 'silent' });

describe('ops server', () => {
  let server: OpsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('answers /healthz, /readyz by its checks, and /metrics with service labels', async () => {
    const registry = createMetricsRegistry({ service: 'history', version: '1.2.3' });
    new Counter({ name: 'parley_test_events_total', help: 'test', registers: [registry] }).inc(3);
    let kafkaReady = false;
    server = await startOpsServer({
      port: 0,
      host: '127.0.0.1',
      registry,
      logger,
      readiness: { kafka: () => kafkaReady, postgres: async () => true },
    });

    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });

    const notReady = await fetch(`${server.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({
      status: 'not_ready',
      checks: { kafka: 'failing', postgres: 'ok' },
    });

    kafkaReady = true;
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { kafka: 'ok', postgres: 'ok' } });

    const metrics = await fetch(`${server.url}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const text = await metrics.text();
    expect(text).toContain('parley_test_events_total{service="history",version="1.2.3"} 3');
    expect(text).toContain('process_resident_memory_bytes');

    server.drain();
    const draining = await fetch(`${server.url}/readyz`);
    expect(draining.status).toBe(503);
    expect(await draining.json()).toMatchObject({ status: 'draining' });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('exports /readyz as parley_ready and parley_readiness_check, evaluated at each scrape', async () => {
    const registry = createMetricsRegistry({ service: 'history', version: '1' });
    let kafkaReady = false;
    const start = () =>
      startOpsServer({
        port: 0,
        host: '127.0.0.1',
        registry,
        logger,
        readiness: { kafka: () => kafkaReady, postgres: async () => true },
      });
    server = await start();
    const scrape = async () => (await fetch(`${server?.url}/metrics`)).text();

    let text = await scrape();
    expect(text).toContain('parley_ready{service="history",version="1"} 0');
    expect(text).toContain('parley_readiness_check{check="kafka",service="history",version="1"} 0');
    expect(text).toContain('parley_readiness_check{check="postgres",service="history",version="1"} 1');

    kafkaReady = true;
    text = await scrape();
    expect(text).toContain('parley_ready{service="history",version="1"} 1');
    expect(text).toContain('parley_readiness_check{check="kafka",service="history",version="1"} 1');

    server.drain();
    text = await scrape();
    expect(text).toContain('parley_ready{service="history",version="1"} 0');
    expect(text).toContain('parley_readiness_check{check="kafka",service="history",version="1"} 1');

    // Closed, the series leave the registry: a new ops server on it registers them again.
    await server.close();
    expect(registry.getSingleMetric('parley_ready')).toBeUndefined();
    server = await start();
    expect(await scrape()).toContain('parley_ready{service="history",version="1"} 1');
  });

  it('treats a hanging or throwing check as failing', async () => {
    server = await startOpsServer({
      port: 0,
      host: '127.0.0.1',
      registry: createMetricsRegistry({ service: 's', version: '1' }),
      logger,
      checkTimeoutMs: 50,
      readiness: {
        hangs: () => new Promise<boolean>(() => {}),
        throws: () => Promise.reject(new Error('down')),
      },
    });
    const response = await fetch(`${server.url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      status: 'not_ready',
      checks: { hangs: 'failing', throws: 'failing' },
    });
  });

  it('answers unknown paths and methods with JSON errors', async () => {
    server = await startOpsServer({
      port: 0,
      host: '127.0.0.1',
      registry: createMetricsRegistry({ service: 's', version: '1' }),
      logger,
      readiness: {},
    });
    const missing = await fetch(`${server.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'not_found' } });
    const post = await fetch(`${server.url}/healthz`, { method: 'POST' });
    expect(post.status).toBe(405);
  });
});

describe('runService', () => {
  it('exits 1 when start fails, after stopping what started', async () => {
    const exit = vi.fn();
    const stop = vi.fn(async () => {});
    await runService({
      logger,
      exit,
      service: { start: async () => Promise.reject(new Error('kafka down')), stop },
    });
    expect(stop).toHaveBeenCalledOnce();
    expect(exit).toHaveBeenCalledWith(1);
  });

  it('stops gracefully on SIGTERM and exits 0', async () => {
    const exit = vi.fn();
    const stop = vi.fn(async () => {});
    await runService({ logger, exit, service: { start: async () => {}, stop } });
    process.emit('SIGTERM');
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(0));
    expect(stop).toHaveBeenCalledOnce();
  });
});

describe('bootService', () => {
  it('reports a bad configuration in one line and exits 2 without creating the app', async () => {
    const exit = vi.spyOn(process, 'exit').mockImplementation(((code: number) => {
      throw new Error(`exit ${code}`);
    }) as never);
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => {});
    const createApp = vi.fn();
    const { ParleyError } = await import('@parley/errors');
    try {
      await expect(
        bootService({
          name: 'auth',
          mainUrl: import.meta.url,
          loadConfig: () => {
            throw new ParleyError('invalid_config', 'invalid configuration: DATABASE_URL: Required');
          },
          createApp,
        }),
      ).rejects.toThrow('exit 2');
      expect(stderr).toHaveBeenCalledWith('auth: invalid configuration: DATABASE_URL: Required');
      expect(createApp).not.toHaveBeenCalled();
    } finally {
      exit.mockRestore();
      stderr.mockRestore();
    }
  });

  it('reads the version from the package.json beside src/', () => {
    expect(packageVersion(import.meta.url)).toBe('0.1.0');
  });
});

describe('composeService', () => {
  it('stops a component that is still starting (a consumer mid-join) and does not call it a failed start', async () => {
    const events: string[] = [];
    let finishJoin: () => void = () => {};
    const service = composeService({
      logger,
      registry: createMetricsRegistry({ service: 'compose-test', version: 'test' }),
      opsPort: 0,
      bindHost: '127.0.0.1',
      components: [
        {
          name: 'producer',
          start: async () => void events.push('producer started'),
          stop: async () => void events.push('producer stopped'),
        },
        {
          name: 'consumer',
          start: () =>
            new Promise<void>((_resolve, reject) => {
              events.push('consumer joining');
              finishJoin = () => reject(new Error('disconnected while joining'));
            }),
          stop: async () => {
            events.push('consumer stopped');
            finishJoin();
          },
        },
        {
          name: 'grpc',
          start: async () => void events.push('grpc started'),
          stop: async () => void events.push('grpc stopped'),
        },
      ],
    });
    const starting = service.start();
    await vi.waitFor(() => expect(events).toContain('consumer joining'));
    await service.stop();
    await expect(starting).resolves.toBeUndefined();
    expect(events).toEqual(['producer started', 'consumer joining', 'consumer stopped', 'producer stopped']);
  });
});
