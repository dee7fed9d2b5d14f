import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@parley/logger';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrandHttpClient } from './index.js';

const logger = createLogger({ service: 'brand-http-tenant-test', version: 'test', level: 'silent' });

describe('brand HTTP client: one tenant cannot use or spoil what belongs to another', () => {
  let server: Server;
  let port: number;
  const release: (() => void)[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      const send = (status: number, headers: Record<string, string> = {}) =>
        response.writeHead(status, { 'content-type': 'application/json', ...headers }).end('{}');
      if (request.url === '/fail') return send(503);
      if (request.url === '/hold') return void release.push(() => send(200));
      if (request.url === '/to-failing-target')
        return send(302, { location: `http://localhost:${port}/fail` });
      return send(200);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    for (const send of release.splice(0)) send();
    await new Promise((resolve) => server.close(resolve));
  });

  it('reaches a host allow-listed for one tenant only for that tenant', async () => {
    const client = createBrandHttpClient({ logger, allowHosts: ['127.0.0.1@tenant-a', 'localhost'] });
    expect((await client.request(`http://127.0.0.1:${port}/ok`, { tenant: 'tenant-a' })).status).toBe(200);
    await expect(client.request(`http://127.0.0.1:${port}/ok`, { tenant: 'tenant-b' })).rejects.toMatchObject(
      { code: 'url_not_allowed' },
    );
    // The tenant is matched exactly (tenant ids are case-sensitive).
    await expect(client.request(`http://127.0.0.1:${port}/ok`, { tenant: 'Tenant-A' })).rejects.toMatchObject(
      { code: 'url_not_allowed' },
    );
    // An entry without a tenant is the operator's, for every tenant.
    expect((await client.request(`http://localhost:${port}/ok`, { tenant: 'tenant-b' })).status).toBe(200);
  });

  it("opens one tenant's circuit on its failures, not another tenant's on the same host", async () => {
    const client = createBrandHttpClient({
      logger,
      allowHosts: ['127.0.0.1'],
      breaker: { failureThreshold: 2, openMs: 60_000 },
    });
    for (let i = 0; i < 2; i += 1) {
      const answer = await client.request(`http://127.0.0.1:${port}/fail`, { tenant: 'a', retries: 0 });
      expect(answer.status).toBe(503);
    }
    await expect(client.request(`http://127.0.0.1:${port}/ok`, { tenant: 'a' })).rejects.toMatchObject({
      code: 'brand_unavailable',
      context: { reason: 'circuit_open' },
    });
    expect((await client.request(`http://127.0.0.1:${port}/ok`, { tenant: 'b' })).status).toBe(200);
  });

  it("keeps host slots per tenant: one tenant's backlog does not take another's", async () => {
    const client = createBrandHttpClient({
      logger,
      allowHosts: ['127.0.0.1'],
      timeoutMs: 2000,
      maxConcurrentPerHost: 1,
    });
    const held = client.request(`http://127.0.0.1:${port}/hold`, { tenant: 'a' });
    const queued = client.request(`http://127.0.0.1:${port}/ok`, { tenant: 'a' });
    await expect.poll(() => release.length).toBe(1);
    // Tenant b is not behind tenant a's held slot and its queue.
    const other = await Promise.race([
      client.request(`http://127.0.0.1:${port}/ok`, { tenant: 'b' }).then((answer) => answer.status),
      queued.then(() => 'after tenant a'),
    ]);
    expect(other).toBe(200);
    for (const send of release.splice(0)) send();
    expect((await held).status).toBe(200);
    expect((await queued).status).toBe(200);
  });

  it('counts a failure at a redirect target against that target, not the host that redirected', async () => {
    const client = createBrandHttpClient({
      logger,
      allowHosts: ['127.0.0.1', 'localhost'],
      breaker: { failureThreshold: 1, openMs: 60_000 },
    });
    const answer = await client.request(`http://127.0.0.1:${port}/to-failing-target`, {
      tenant: 'a',
      retries: 0,
    });
    expect(answer.status).toBe(503);
    expect((await client.request(`http://127.0.0.1:${port}/ok`, { tenant: 'a' })).status).toBe(200);
    await expect(client.request(`http://localhost:${port}/ok`, { tenant: 'a' })).rejects.toMatchObject({
      context: { reason: 'circuit_open' },
    });
  });

  it('labels metrics by host, never by limit key, with a bounded number of host names', async () => {
    const registry = new Registry();
    const client = createBrandHttpClient({ logger, registry, allowHosts: ['127.0.0.1'], maxHostLabels: 1 });
    for (const limitKey of ['subscription-1', 'subscription-2']) {
      await client.request(`http://127.0.0.1:${port}/ok`, { tenant: 'a', limitKey });
    }
    for (const address of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) {
      await expect(client.request(`https://${address}/`, { tenant: 'a' })).rejects.toMatchObject({
        code: 'url_not_allowed',
      });
    }
    const metrics = await registry.metrics();
    expect(metrics).not.toContain('subscription-');
    // Allow-listed hosts are the operator's and keep their name; of the others the first
    // `maxHostLabels` do, the rest count as `other`.
    expect(metrics).toContain(`host="127.0.0.1:${port}",outcome="2xx"} 2`);
    expect(metrics).toContain('host="10.0.0.1",outcome="url_not_allowed"} 1');
    expect(metrics).toContain('host="other",outcome="url_not_allowed"} 2');
    expect(metrics).not.toContain('10.0.0.2');
  });
});
