import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { errors } from 'oidc-provider';
import { createCrmApi } from './crm/crm-api.js';
import type { CustomerStore } from './crm/customers.js';
import { HttpError, sendHtml, sendJson } from './http/http-kit.js';
import { createInteractions } from './oidc/interactions.js';
import type { MemoryStore } from './oidc/memory-adapter.js';
import { withConsentForOfflineAccess } from './oidc/offline-access.js';
import { crmPage } from './pages/crm-page.js';
import { landingPage } from './pages/landing-page.js';
import { messagePage } from './pages/message-page.js';

function pathSegment(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new HttpError(400, 'invalid_request', 'the path is not valid');
  }
}

type Handler = (request: IncomingMessage, response: ServerResponse, id: string) => unknown;

interface Route {
  readonly path: RegExp;
  readonly methods: Readonly<Partial<Record<'GET' | 'POST' | 'PUT', Handler>>>;
}

/**
 * The brand's pages and CRM API in front of oidc-provider, which answers every other path (`/auth`,
 * `/token`, `/me`, …). The first capture group of a path is handed to its handler as the id.
 */
export function createRequestHandler(deps: {
  issuer: string;
  provider: Provider;
  customers: CustomerStore;
  store: MemoryStore;
}) {
  const { issuer, provider, customers } = deps;
  const crm = createCrmApi(deps);
  const interactions = createInteractions(deps);
  const oidc = provider.callback();
  const routes: Route[] = [
    {
      path: /^\/$/,
      methods: { GET: (_, res) => sendHtml(res, 200, landingPage({ issuer, customers: customers.list() })) },
    },
    { path: /^\/crm\/?$/, methods: { GET: (_, res) => sendHtml(res, 200, crmPage(crm.rows())) } },
    { path: /^\/crm\/api\/customers$/, methods: { GET: crm.list } },
    { path: /^\/crm\/api\/customers\/([^/]+)$/, methods: { PUT: crm.update } },
    { path: /^\/crm\/api\/customers\/([^/]+)\/revoke$/, methods: { POST: crm.revoke } },
    { path: /^\/interaction\/([^/]+)$/, methods: { GET: interactions.show } },
    { path: /^\/interaction\/([^/]+)\/login$/, methods: { POST: interactions.login } },
    { path: /^\/interaction\/([^/]+)\/abort$/, methods: { GET: interactions.abort } },
  ];

  async function route(request: IncomingMessage, response: ServerResponse) {
    const { pathname } = new URL(request.url ?? '/', issuer);
    for (const { path, methods } of routes) {
      const match = path.exec(pathname);
      if (!match) continue;
      const handler = methods[request.method as keyof Route['methods']];
      if (!handler) {
        response.writeHead(405, { allow: Object.keys(methods).join(', ') }).end();
        return;
      }
      await handler(request, response, pathSegment(match[1] ?? ''));
      return;
    }
    if (pathname === '/auth' && request.method === 'GET')
      request.url = withConsentForOfflineAccess(request.url ?? '/');
    await oidc(request, response);
  }

  function fail(request: IncomingMessage, response: ServerResponse, error: unknown) {
    if (response.headersSent) return void response.destroy();
    const api = request.url?.startsWith('/crm/api/');
    if (error instanceof HttpError) {
      if (api)
        return sendJson(response, error.status, { error: error.code, error_description: error.message });
      return sendHtml(
        response,
        error.status,
        messagePage({ title: 'Something is off', message: error.message }),
      );
    }
    // Expired or missing interaction cookies and the like: oidc-provider's own, safe-to-show errors.
    if (error instanceof errors.OIDCProviderError) {
      const message =
        'This sign-in has expired or was opened in another browser. Go back to the app and start again.';
      return sendHtml(response, error.statusCode, messagePage({ title: 'Sign-in expired', message }));
    }
    console.error('demo brand: request failed', error);
    if (api) return sendJson(response, 500, { error: 'server_error', error_description: 'the brand failed' });
    sendHtml(
      response,
      500,
      messagePage({ title: 'Something went wrong', message: 'The brand failed; see its log.' }),
    );
  }

  return (request: IncomingMessage, response: ServerResponse) => {
    route(request, response).catch((error: unknown) => fail(request, response, error));
  };
}
