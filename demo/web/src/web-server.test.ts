import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '@parley/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoWeb } from './web-server.js';

describe('the demo page server', () => {
  const issuer = createServer((request, response) => {
    if (request.url === '/.well-known/openid-configuration')
      return void response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ authorization_endpoint: 'http://brand.test/auth' }));
    response.writeHead(404).end();
  });
  let web: Awaited<ReturnType<typeof startDemoWeb>>;

  beforeAll(async () => {
    await new Promise<void>((resolve) => issuer.listen(0, '127.0.0.1', resolve));
    web = await startDemoWeb({
      port: 0,
      ingressUrl: 'http://127.0.0.1:8080',
      tenantId: 'demo',
      channelId: 'web',
      brandIssuer: `http://127.0.0.1:${(issuer.address() as AddressInfo).port}`,
      brandCrmUrl: 'http://brand.test/crm',
      clientId: 'parley-demo',
      logger: createLogger({ service: 'demo-web-test', version: 'test', level: 'silent' }),
    });
  });
  afterAll(async () => {
    await web.stop();
    issuer.close();
  });

  it('serves the page on / and /callback, and its configuration with the brand’s authorization endpoint', async () => {
    for (const path of ['/', '/callback?code=x&state=y']) {
      const page = await fetch(`${web.url}${path}`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<script type="module" src="/app.js">');
    }
    const config = await (await fetch(`${web.url}/config.json`)).json();
    expect(config).toMatchObject({
      tenantId: 'demo',
      authorizationEndpoint: 'http://brand.test/auth',
      redirectUri: `${web.url}/callback`,
    });
  });

  it('maps every bare import of the SDK to a module it serves (the page loads the SDK unbundled)', async () => {
    const page = await (await fetch(`${web.url}/`)).text();
    const importMap = JSON.parse(/<script type="importmap">(.*?)<\/script>/s.exec(page)?.[1] ?? '{}') as {
      imports: Record<string, string>;
    };
    const sdkDir = dirname(fileURLToPath(import.meta.resolve('@parley/client')));
    // Built .js when run from dist, the .ts sources under the test runner (type-only imports vanish).
    const sdk = (await readdir(sdkDir)).filter((file) => /(?<!\.test)\.(ts|js)$/.test(file));
    const bare = new Set<string>();
    for (const file of sdk) {
      const source = await readFile(join(sdkDir, file), 'utf8');
      for (const [, name] of source.matchAll(/^(?:import|export) (?!type\b)[^'";]*from '([^./][^']*)'/gm))
        if (name && !name.startsWith('node:')) bare.add(name);
    }
    expect([...bare].toSorted()).toEqual([
      '@parley/contracts/limits',
      '@parley/contracts/stream-close-codes',
      '@parley/errors/codes',
    ]);
    for (const name of bare) {
      const target = importMap.imports[name];
      expect(target, name).toBeDefined();
      const module = await fetch(`${web.url}${target}`);
      expect(module.status).toBe(200);
      expect(await module.text()).toMatch(/export const (limits|streamCloseCodes|errorCodes)\b/);
    }
  });

  it('serves nothing outside its directories', async () => {
    for (const path of ['/..%2Fpackage.json', '/sdk/..%2F..%2Fpackage.json', '/%E0%A4%A', '/nope.js']) {
      expect((await fetch(`${web.url}${path}`)).status, path).toBe(404);
    }
    expect((await fetch(`${web.url}/`, { method: 'POST' })).status).toBe(405);
    const crm = await fetch(`${web.url}/crm`, { redirect: 'manual' });
    expect(crm.headers.get('location')).toBe('http://brand.test/crm');
  });
});
