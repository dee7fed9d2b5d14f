import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@parley/logger';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createBrandHttpClient } from './index.js';

const logger = createLogger({ service: 'brand-http-test', version: 'test', level: 'silent' });

describe('brand HTTP client and the caller’s signal', () => {
  let server: Server;
  let base: string;
  let hits = 0;
  /** Requests whose connection closed before they were answered. */
  let closedUnanswered = 0;
  const held: ServerResponse[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      hits += 1;
      if (request.url === '/ok') return void response.writeHead(200).end('{}');
      // Never answers on its own: the client must give up.
      held.push(response);
      response.on('close', () => {
        if (!response.writableEnded) closedUnanswered += 1;
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  beforeEach(() => {
    hits = 0;
    closedUnanswered = 0;
  });

  afterAll(async () => {
    for (const response of held) response.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const client = (options: Partial<Parameters<typeof createBrandHttpClient>[0]> = {}) =>
    createBrandHttpClient({ logger, allowHosts: ['127.0.0.1'], timeoutMs: 2000, ...options });

  it('abandons the request in flight when the signal fires, closing the connection, and does not retry', async () => {
    const caller = new AbortController();
    const pending = client().request(`${base}/hang`, { tenant: 'acme', signal: caller.signal });
    await expect.poll(() => hits).toBe(1);
    const abortedAt = Date.now();
    caller.abort(new Error('deadline exceeded'));
    await expect(pending).rejects.toMatchObject({ code: 'deadline_exceeded' });
    expect(Date.now() - abortedAt).toBeLessThan(500); // not at the 2 s timeout
    await expect.poll(() => closedUnanswered).toBe(1); // the brand sees the caller leave
    await new Promise((resolve) => setTimeout(resolve, 300)); // a GET retry would come after 100 ms
    expect(hits).toBe(1);
  });

  it('starts no request for a caller already gone', async () => {
    const gone = AbortSignal.abort(new Error('cancelled'));
    await expect(client().request(`${base}/ok`, { tenant: 'acme', signal: gone })).rejects.toMatchObject({
      code: 'deadline_exceeded',
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(hits).toBe(0);
  });

  it('stops waiting for a host slot when the signal fires, leaving the circuit closed', async () => {
    const brandHttp = client({ maxConcurrentPerHost: 1, breaker: { failureThreshold: 1, openMs: 60_000 } });
    const holder = new AbortController();
    const holding = brandHttp.request(`${base}/hang`, { tenant: 'acme', signal: holder.signal });
    holding.catch(() => {}); // ended below
    await expect.poll(() => hits).toBe(1);
    const caller = new AbortController();
    const queued = brandHttp.request(`${base}/ok`, { tenant: 'acme', signal: caller.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const abortedAt = Date.now();
    caller.abort();
    await expect(queued).rejects.toMatchObject({ code: 'deadline_exceeded' });
    expect(Date.now() - abortedAt).toBeLessThan(500);
    holder.abort();
    await expect(holding).rejects.toMatchObject({ code: 'deadline_exceeded' });
    // Neither the caller leaving nor the wait counted against the host (threshold 1).
    expect((await brandHttp.request(`${base}/ok`, { tenant: 'acme' })).status).toBe(200);
    expect(hits).toBe(2);
  });
});
