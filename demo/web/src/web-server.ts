import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@parley/logger';

export interface DemoWebOptions {
  readonly port: number;
  readonly host?: string;
  /** Parley's ingress as the browser reaches it, e.g. http://127.0.0.1:8080. */
  readonly ingressUrl: string;
  readonly tenantId: string;
  readonly channelId: string;
  /** The brand's issuer; its discovery document names the authorization endpoint. */
  readonly brandIssuer: string;
  /** The brand's CRM page, linked from the demo page. */
  readonly brandCrmUrl: string;
  readonly clientId: string;
  readonly logger: Logger;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

/** Resolves `path` inside `root`, or undefined when it would leave it. */
function inside(root: string, path: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  const resolved = normalize(join(root, decoded));
  return resolved.startsWith(root + sep) ? resolved : undefined;
}

/**
 * The demo chat page: static files from `public/`, the client SDK (sdks/web, built) under
 * `/sdk/` (with the dependency-free modules of `@parley/contracts` and `@parley/errors` it imports under `/sdk-deps/`), and `/config.json` telling the page where Parley and the brand are. The page itself
 * signs in at the brand (code flow with PKCE), then talks to ingress directly (CORS).
 */
export async function startDemoWeb(options: DemoWebOptions) {
  const { port, host = '127.0.0.1', logger } = options;
  const publicDir = fileURLToPath(new URL('../public', import.meta.url));
  const sdkDir = dirname(fileURLToPath(import.meta.resolve('@parley/client')));
  // The SDK's imports outside itself (dependency-free modules); the page's import map points here.
  const sdkDeps = new Map(
    ['contracts/limits', 'contracts/stream-close-codes', 'errors/codes'].map((name) => [
      `/sdk-deps/${name}.js`,
      fileURLToPath(import.meta.resolve(`@parley/${name}`)),
    ]),
  );
  let discovery: { authorization_endpoint: string } | undefined;

  async function config(origin: string) {
    discovery ??= (await (
      await fetch(`${options.brandIssuer}/.well-known/openid-configuration`, {
        signal: AbortSignal.timeout(5000),
      })
    ).json()) as { authorization_endpoint: string };
    return {
      ingressUrl: options.ingressUrl,
      tenantId: options.tenantId,
      channelId: options.channelId,
      clientId: options.clientId,
      authorizationEndpoint: discovery.authorization_endpoint,
      scope: 'openid profile offline_access crm',
      redirectUri: `${origin}/callback`,
      brandCrmUrl: options.brandCrmUrl,
    };
  }

  async function serveFile(response: ServerResponse, file: string | undefined) {
    if (!file) return void response.writeHead(404).end('not found');
    try {
      const body = await readFile(file);
      response
        .writeHead(200, {
          'content-type': contentTypes[extname(file)] ?? 'application/octet-stream',
          'cache-control': 'no-cache',
          'x-content-type-options': 'nosniff',
        })
        .end(body);
    } catch {
      response.writeHead(404).end('not found');
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', `http://${request.headers.host ?? host}`);
    if (request.method !== 'GET') return void response.writeHead(405).end();
    if (url.pathname === '/config.json') {
      const body = JSON.stringify(await config(`http://${request.headers.host ?? `${host}:${port}`}`));
      return void response.writeHead(200, { 'content-type': 'application/json' }).end(body);
    }
    if (url.pathname === '/healthz') return void response.writeHead(200).end('ok');
    if (url.pathname === '/crm') return void response.writeHead(302, { location: options.brandCrmUrl }).end();
    if (url.pathname.startsWith('/sdk/')) return serveFile(response, inside(sdkDir, url.pathname.slice(5)));
    if (url.pathname.startsWith('/sdk-deps/')) return serveFile(response, sdkDeps.get(url.pathname));
    if (url.pathname === '/' || url.pathname === '/callback')
      return serveFile(response, join(publicDir, 'index.html'));
    return serveFile(response, inside(publicDir, url.pathname));
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      logger.error({ err: error, path: request.url }, 'demo page request failed');
      if (!response.headersSent) response.writeHead(502).end('the demo brand or Parley is not reachable');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    url,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
