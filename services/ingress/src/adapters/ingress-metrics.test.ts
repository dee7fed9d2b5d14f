import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestEdge } from '../http/edge.fixture.js';
import { createConnectionRegistry } from './connection-registry.js';
import { createIngressMetrics } from './ingress-metrics.js';

/** The value of the sample `name` whose labels include `labels`, or undefined. */
async function sampleOf(registry: Registry, name: string, labels: Record<string, string> = {}) {
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const sample of metric.values as { metricName?: string; labels: object; value: number }[]) {
      if ((sample.metricName ?? metric.name) !== name) continue;
      const has = sample.labels as Record<string, unknown>;
      if (Object.entries(labels).every(([k, v]) => String(has[k]) === v)) return sample.value;
    }
  }
  return undefined;
}

describe('ingress metrics', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('time answered requests by route pattern and status class, unmatched routes as one', async () => {
    const registry = new Registry();
    const connections = createConnectionRegistry({ perSession: 5, perCustomer: 20 });
    const metrics = createIngressMetrics(registry, {
      openBotStreams: () => 0,
      pendingSessionEvents: () => 0,
      openDeviceStreams: () => connections.size(),
    });
    const { app } = createTestEdge({ connections, onAnswered: metrics.answered });
    close = () => app.close();

    expect((await app.inject({ method: 'GET', url: '/openapi.json' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/openapi.json' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/no/such/route/42' })).statusCode).toBe(404);
    const unauthenticated = await app.inject({
      method: 'POST',
      url: '/v1/threads/t-1/messages',
      payload: {},
    });
    expect(unauthenticated.statusCode).toBe(401);

    const name = 'parley_ingress_http_request_duration_seconds_count';
    expect(await sampleOf(registry, name, { method: 'GET', route: '/openapi.json', status: '2xx' })).toBe(2);
    expect(await sampleOf(registry, name, { route: 'unmatched', status: '4xx' })).toBe(1);
    expect(
      await sampleOf(registry, name, {
        method: 'POST',
        route: '/v1/threads/:threadId/messages',
        status: '4xx',
      }),
    ).toBe(1);
    // The pattern, not the path: thread ids do not become series.
    const routes = (await registry.getMetricsAsJSON())
      .find((metric) => metric.name === 'parley_ingress_http_request_duration_seconds')
      ?.values.map((sample) => String(sample.labels.route));
    expect(routes).not.toContain('/v1/threads/t-1/messages');
  });

  it('count the devices connected by WebSocket when scraped', async () => {
    const registry = new Registry();
    const connections = createConnectionRegistry({ perSession: 5, perCustomer: 20 });
    createIngressMetrics(registry, {
      openBotStreams: () => 0,
      pendingSessionEvents: () => 0,
      openDeviceStreams: () => connections.size(),
    });
    const device = (deviceId: string) => ({ sessionId: 's-1', deviceId, send() {}, close() {} });
    const first = connections.add('tenant-a', 'customer-1', device('d-1'));
    connections.add('tenant-a', 'customer-2', device('d-2'));
    expect(await sampleOf(registry, 'parley_ingress_websocket_connections')).toBe(2);
    if ('unregister' in first) first.unregister();
    expect(await sampleOf(registry, 'parley_ingress_websocket_connections')).toBe(1);
  });
});
