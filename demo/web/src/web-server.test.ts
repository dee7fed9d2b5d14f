import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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

  it('serves nothing outside its directories', async () => {
    for (const path of ['/..%2Fpackage.json', '/sdk/..%2F..%2Fpackage.json', '/%E0%A4%A', '/nope.js']) {
      expect((await fetch(`${web.url}${path}`)).status, path).toBe(404);
    }
    expect((await fetch(`${web.url}/`, { method: 'POST' })).status).toBe(405);
    const crm = await fetch(`${web.url}/crm`, { redirect: 'manual' });
    expect(crm.headers.get('location')).toBe('http://brand.test/crm');
  });
});
