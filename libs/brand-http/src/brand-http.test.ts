import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@parley/logger';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrandHttpClient, createCircuitBreakers, isNonPublicAddress } from './index.js';

const logger = createLogger({ service: 'brand-http-test', version: 'test', level: 'silent' });

describe('isNonPublicAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['10.1.2.3', true],
    ['172.20.0.1', true],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['::1', true],
    ['::', true],
    ['fd12:3456::1', true],
    ['fe80::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:7f00:1', true],
    ['64:ff9b::10.0.0.1', true],
    ['not-an-ip', true],
    ['8.8.8.8', false],
    ['172.32.0.1', false],
    ['2606:4700:4700::1111', false],
    ['::ffff:8.8.8.8', false],
    ['::7f00:1', true],
    ['::ffff:0:127.0.0.1', true],
    ['2002:7f00:1::', true],
    ['2001:0:4136:e378::1', true],
  ])('%s -> %s', (address, expected) => {
    expect(isNonPublicAddress(address)).toBe(expected);
  });
});

describe('brand HTTP client against local servers', () => {
  let server: Server;
  let base: string;
  const hits = new Map<string, number>();
  let lastForm: { contentType?: string; body: string } | undefined;
  const port = () => (server.address() as AddressInfo).port;

  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response: ServerResponse) => {
      const path = request.url ?? '/';
      hits.set(path, (hits.get(path) ?? 0) + 1);
      const send = (status: number, body: string, headers: Record<string, string> = {}) =>
        response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body);
      if (path === '/json') return send(200, '{"sub":"c-1"}');
      if (path === '/form') {
        let body = '';
        request.on('data', (chunk) => {
          body += chunk;
        });
        request.on('end', () => {
          lastForm = { contentType: request.headers['content-type'], body };
          send(200, '{"ok":true}');
        });
        return;
      }
      if (path === '/slow') return void setTimeout(() => send(200, '{}'), 1000);
      if (path === '/huge') return send(200, JSON.stringify({ blob: 'x'.repeat(5000) }));
      if (path === '/html') return send(200, '<html>', { 'content-type': 'text/html' });
      if (path === '/flaky')
        return (hits.get(path) ?? 0) === 1 ? send(503, '{}') : send(200, '{"second":true}');
      if (path === '/always-503') return send(503, '{"error":"down"}');
      if (path === '/redirect-ok') return send(302, '', { location: '/json' });
      if (path === '/redirect-private') return send(302, '', { location: 'https://10.0.0.1/steal' });
      if (path === '/redirect-loop') return send(302, '', { location: '/redirect-loop' });
      if (path === '/redirect-other-origin')
        return send(302, '', { location: `http://localhost:${port()}/echo-auth` });
      if (path === '/echo-auth')
        return send(200, JSON.stringify({ authorization: request.headers.authorization ?? null }));
      return send(404, '{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${port()}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const allowed = (options: Partial<Parameters<typeof createBrandHttpClient>[0]> = {}) =>
    createBrandHttpClient({ logger, allowHosts: ['127.0.0.1'], timeoutMs: 300, ...options });

  it('refuses plain http, non-public addresses and credentials in URLs unless the host is allow-listed', async () => {
    const client = createBrandHttpClient({ logger });
    for (const url of [
      `${base}/json`,
      'https://127.0.0.1/token',
      'https://[::1]/token',
      'https://169.254.169.254/latest/meta-data',
      'https://[::ffff:127.0.0.1]/token',
      'https://10.0.0.1/token',
      'https://user:pw@brand.example/token',
      'ftp://brand.example/token',
      'not a url',
    ]) {
      await expect(client.request(url, { tenant: 'acme' }), url).rejects.toMatchObject({
        code: 'url_not_allowed',
      });
    }
    // A name that resolves to loopback is refused on the address actually looked up.
    await expect(client.request('https://localhost:1/token', { tenant: 'acme' })).rejects.toMatchObject({
      code: 'url_not_allowed',
      message: expect.stringContaining('non-public address'),
    });
  });

  it('reads JSON and sends forms to an allow-listed host', async () => {
    const client = allowed();
    expect((await client.request(`${base}/json`, { tenant: 'acme' })).json()).toEqual({
      sub: 'c-1',
    });
    const form = new URLSearchParams({ grant_type: 'authorization_code', code: 'abc' });
    const response = await client.request(`${base}/form`, { tenant: 'acme', method: 'POST', form });
    expect(response.status).toBe(200);
    expect(lastForm).toEqual({
      contentType: 'application/x-www-form-urlencoded',
      body: 'grant_type=authorization_code&code=abc',
    });
  });

  it('sends a raw body byte for byte, and counts circuits under the limit key it is given', async () => {
    const client = allowed({ breaker: { failureThreshold: 1, openMs: 60_000 } });
    const data = '{"ü":"✓","n":1}';
    const response = await client.request(`${base}/form`, {
      tenant: 'acme',
      method: 'POST',
      body: { contentType: 'application/json', data },
      limitKey: 'tenant-a/sub-1',
    });
    expect(response.status).toBe(200);
    expect(lastForm).toEqual({ contentType: 'application/json', body: data });
    // One subscription's failing endpoint opens its own circuit, not that of another on the host.
    const post = { method: 'POST' as const, body: { contentType: 'application/json', data: '{}' } };
    expect(
      (await client.request(`${base}/always-503`, { tenant: 'acme', ...post, limitKey: 'a' })).status,
    ).toBe(503);
    await expect(client.request(`${base}/json`, { tenant: 'acme', limitKey: 'a' })).rejects.toMatchObject({
      context: { reason: 'circuit_open' },
    });
    expect((await client.request(`${base}/json`, { tenant: 'acme', limitKey: 'b' })).status).toBe(200);
  });

  it('times out, limits the response size and refuses bodies that are not JSON', async () => {
    const client = allowed({ maxResponseBytes: 1000 });
    await expect(client.request(`${base}/slow`, { tenant: 'acme', retries: 0 })).rejects.toMatchObject({
      code: 'brand_unavailable',
      retriable: true,
      context: { reason: 'timeout' },
    });
    await expect(client.request(`${base}/huge`, { tenant: 'acme' })).rejects.toMatchObject({
      code: 'brand_error',
      context: { reason: 'too_large' },
    });
    const html = await client.request(`${base}/html`, { tenant: 'acme' });
    expect(() => html.json()).toThrow(expect.objectContaining({ code: 'brand_error' }));
  });

  it('retries a GET once on 5xx, never a POST, and hands the last 5xx answer back', async () => {
    const client = allowed();
    expect((await client.request(`${base}/flaky`, { tenant: 'acme' })).json()).toEqual({
      second: true,
    });
    expect(hits.get('/flaky')).toBe(2);
    const before = hits.get('/always-503') ?? 0;
    const answer = await client.request(`${base}/always-503`, {
      tenant: 'acme',
      method: 'POST',
      form: new URLSearchParams(),
    });
    expect(answer.status).toBe(503);
    expect(hits.get('/always-503')).toBe(before + 1);
  });

  it('follows GET redirects within limits, checking every hop', async () => {
    const client = allowed();
    expect((await client.request(`${base}/redirect-ok`, { tenant: 'acme' })).json()).toEqual({
      sub: 'c-1',
    });
    await expect(client.request(`${base}/redirect-private`, { tenant: 'acme' })).rejects.toMatchObject({
      code: 'url_not_allowed',
    });
    await expect(client.request(`${base}/redirect-loop`, { tenant: 'acme' })).rejects.toMatchObject({
      code: 'url_not_allowed',
      message: expect.stringContaining('redirects'),
    });
  });

  it('never carries credentials across a redirect to another origin', async () => {
    const client = allowed({ allowHosts: ['127.0.0.1', 'localhost'] });
    const response = await client.request(`${base}/redirect-other-origin`, {
      tenant: 'acme',
      headers: { authorization: 'Bearer brand-token' },
    });
    expect(response.json()).toEqual({ authorization: null });
    expect(
      (
        await client.request(`${base}/echo-auth`, {
          tenant: 'acme',
          headers: { authorization: 'Bearer same-origin' },
        })
      ).json(),
    ).toEqual({
      authorization: 'Bearer same-origin',
    });
  });

  it('opens the circuit of a failing host, fails fast, and closes it after a good trial', async () => {
    const registry = new Registry();
    const client = allowed({ breaker: { failureThreshold: 2, openMs: 200 }, registry });
    const before = hits.get('/always-503') ?? 0;
    for (let i = 0; i < 2; i += 1) {
      expect((await client.request(`${base}/always-503`, { tenant: 'acme', retries: 0 })).status).toBe(503);
    }
    await expect(client.request(`${base}/json`, { tenant: 'acme' })).rejects.toMatchObject({
      code: 'brand_unavailable',
      context: { reason: 'circuit_open' },
    });
    expect(hits.get('/always-503')).toBe(before + 2);
    expect(await registry.metrics()).toMatch(/parley_brand_http_circuits_open\{host="127\.0\.0\.1:\d+"\} 1/);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await client.request(`${base}/json`, { tenant: 'acme' })).status).toBe(200);
    expect((await client.request(`${base}/json`, { tenant: 'acme' })).status).toBe(200);
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/parley_brand_http_circuit_opened_total\{host="127\.0\.0\.1:\d+"\} 1/);
    expect(metrics).toMatch(/parley_brand_http_circuits_open\{host="127\.0\.0\.1:\d+"\} 0/);
    expect(metrics).toMatch(
      /parley_brand_http_request_duration_seconds_count\{host="127\.0\.0\.1:\d+",outcome="5xx"\} 2/,
    );
  });
});

describe('circuit breakers', () => {
  it('lets exactly one trial through once the open time has passed', () => {
    let now = 0;
    const breakers = createCircuitBreakers({ failureThreshold: 1, openMs: 100, now: () => now });
    expect(breakers.failed('brand')).toBe(true);
    expect(breakers.allows('brand')).toBe(false);
    now = 150;
    expect(breakers.allows('brand')).toBe(true);
    expect(breakers.allows('brand')).toBe(false);
    breakers.failed('brand');
    expect(breakers.allows('brand')).toBe(false);
    now = 300;
    expect(breakers.allows('brand')).toBe(true);
    breakers.succeeded('brand');
    expect(breakers.allows('brand')).toBe(true);
    expect(breakers.allows('other')).toBe(true);
  });
});
