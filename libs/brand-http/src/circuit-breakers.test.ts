import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@parley/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrandHttpClient } from './brand-http-client.js';
import { createCircuitBreakers } from './circuit-breakers.js';

const logger = createLogger({ service: 'circuit-breakers-test', version: 'test', level: 'silent' });

describe('circuit breaker trial', () => {
  it('re-opens for one more open period when the trial ends without a verdict, then a trial can close it', () => {
    let now = 0;
    const breakers = createCircuitBreakers({ failureThreshold: 1, openMs: 100, now: () => now });
    expect(breakers.isOpen('brand')).toBe(false);
    breakers.failed('brand');
    expect(breakers.isOpen('brand')).toBe(true);
    now = 100;
    expect(breakers.admit('brand')).toBe('trial');
    expect(breakers.isOpen('brand')).toBe(true); // half-open still counts as open
    breakers.abandoned('brand');
    expect(breakers.allows('brand')).toBe(false);
    now = 199;
    expect(breakers.allows('brand')).toBe(false);
    now = 200;
    expect(breakers.admit('brand')).toBe('trial');
    breakers.succeeded('brand');
    expect(breakers.admit('brand')).toBe('closed');
    expect(breakers.isOpen('brand')).toBe(false);
  });

  it('leaves the circuit alone when a request it did not count as a trial ends without a verdict', () => {
    let now = 0;
    const breakers = createCircuitBreakers({ failureThreshold: 1, openMs: 100, now: () => now });
    expect(breakers.admit('brand')).toBe('closed');
    breakers.abandoned('brand');
    expect(breakers.allows('brand')).toBe(true);
    breakers.failed('brand');
    now = 100;
    expect(breakers.admit('brand')).toBe('trial');
    // Abandoning twice (or after a verdict) opens the circuit once only.
    breakers.abandoned('brand');
    now = 150;
    breakers.abandoned('brand');
    now = 200;
    expect(breakers.allows('brand')).toBe(true);
  });
});

describe('brand HTTP client: a trial that times out waiting for a host slot', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://local');
      const send = (status: number, headers: Record<string, string> = {}) =>
        response.writeHead(status, { 'content-type': 'application/json', ...headers }).end('{}');
      // A slow redirect chain holds its host slot longer than one timeout (each hop has its own).
      if (url.pathname === '/chain') {
        const left = Number(url.searchParams.get('left'));
        return void setTimeout(
          () =>
            left > 0
              ? send(302, { location: `/chain?left=${left - 1}&id=${url.searchParams.get('id')}` })
              : send(200),
          200,
        );
      }
      if (url.pathname === '/fail') return void setTimeout(() => send(500), 50);
      return send(200);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('re-opens the circuit for one more open period, after which the next trial can close it', async () => {
    const client = createBrandHttpClient({
      logger,
      allowHosts: ['127.0.0.1'],
      timeoutMs: 300,
      maxConcurrentPerHost: 2,
      breaker: { failureThreshold: 1, openMs: 100 },
    });
    // Both slots end up held by slow requests admitted while the circuit was still closed.
    const holder = client.request(`${base}/chain?left=3&id=1`, { tenant: 'acme' });
    const failing = client.request(`${base}/fail`, { tenant: 'acme', retries: 0 });
    await sleep(5);
    const queued = client.request(`${base}/chain?left=3&id=2`, { tenant: 'acme' });
    for (const pending of [holder, queued]) pending.catch(() => {}); // awaited below
    expect((await failing).status).toBe(500); // opens the circuit for 100 ms; its slot goes to `queued`
    await expect(client.request(`${base}/json`, { tenant: 'acme' })).rejects.toMatchObject({
      context: { reason: 'circuit_open' },
    });
    await sleep(120);
    // The trial gets no slot within the timeout.
    await expect(client.request(`${base}/json`, { tenant: 'acme' })).rejects.toMatchObject({
      code: 'brand_unavailable',
      context: { reason: 'timeout' },
    });
    // That re-opens the circuit for one more open period...
    await expect(client.request(`${base}/json`, { tenant: 'acme' })).rejects.toMatchObject({
      context: { reason: 'circuit_open' },
    });
    await sleep(130);
    // ...after which the next trial is let through (it waits for the holder's slot) and closes it.
    expect((await client.request(`${base}/json`, { tenant: 'acme' })).status).toBe(200);
    expect((await client.request(`${base}/json`, { tenant: 'acme' })).status).toBe(200);
    expect((await holder).status).toBe(200);
    expect((await queued).status).toBe(200);
  });
});

describe('circuit breaker entries', () => {
  it('keeps at most maxEntries, dropping the least recently used closed one first', () => {
    const breakers = createCircuitBreakers({ failureThreshold: 2, openMs: 60_000, maxEntries: 2 });
    breakers.failed('open');
    expect(breakers.failed('open')).toBe(true);
    breakers.failed('one-failure');
    breakers.failed('newcomer'); // full: 'one-failure' goes, the open circuit stays
    expect(breakers.allows('open')).toBe(false);
    expect(breakers.failed('one-failure')).toBe(false); // counting from zero again
  });
});
