import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CustomerStore } from './crm/customers.js';
import { MemoryStore } from './oidc/memory-adapter.js';
import { createBrandProvider } from './oidc/provider.js';
import { type DemoBrandOptions, resolveOptions } from './options.js';
import { createRequestHandler } from './routes.js';

export type { DemoBrandClient, DemoBrandOptions } from './options.js';

export interface DemoBrand {
  /** `http://host:port`, with the bound port when started on port 0. */
  readonly issuer: string;
  /** The customer-data endpoint (OpenID userinfo): `${issuer}/me`. */
  readonly customerDataUrl: string;
  readonly crmUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts the demo brand: a real OAuth/OpenID server for a few in-memory customers, with its login
 * page, its customer-data endpoint and a small CRM to change customer data and revoke access.
 *
 * @example
 * const brand = await startDemoBrand({
 *   port: 4000,
 *   clients: [{ clientId: 'parley-demo', clientSecret: 's3cret', redirectUris: ['http://127.0.0.1:8080/callback'] }],
 * });
 * console.error(brand.issuer, brand.crmUrl);
 * await brand.stop();
 */
export async function startDemoBrand(options: DemoBrandOptions): Promise<DemoBrand> {
  const { port, host, clients, accessTokenTtlSeconds } = resolveOptions(options);
  const customers = new CustomerStore();
  const store = new MemoryStore();

  // The issuer needs the bound port (port 0 picks one), so the provider comes after listen; requests
  // arriving in between get 503.
  let handle: (request: IncomingMessage, response: ServerResponse) => void = (_request, response) =>
    void response.writeHead(503).end();
  const server = createServer((request, response) => handle(request, response));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  try {
    const issuer = `http://${host.includes(':') ? `[${host}]` : host}:${(server.address() as AddressInfo).port}`;
    const provider = await createBrandProvider({ issuer, clients, customers, store, accessTokenTtlSeconds });
    handle = createRequestHandler({ issuer, provider, customers, store });
    return {
      issuer,
      customerDataUrl: `${issuer}/me`,
      crmUrl: `${issuer}/crm`,
      stop: () => closeServer(server),
    };
  } catch (error) {
    await closeServer(server);
    throw error;
  }
}

function closeServer(server: Server) {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
