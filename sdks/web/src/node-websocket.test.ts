import { describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { ClientStatus } from './client-api.js';
import type { FetchLike } from './http-api.js';
import { createParleyClient } from './parley-client.js';
import type { WebSocketConstructorLike } from './stream-connection.js';
import { createFakeFetch } from './test-support/fake-transport.js';
import { sessionAnswer } from './test-support/test-client.js';

// Type-level: the `ws` class and Node's fetch fit the options as they are.
const nodeWebSocket: WebSocketConstructorLike = WebSocket;
const nodeFetch: FetchLike = fetch;

function clientOverWs() {
  const http = createFakeFetch(() => ({ status: 201, body: sessionAnswer }));
  return createParleyClient({
    baseUrl: 'http://127.0.0.1:1', // nothing listens there: the connection is refused
    tenantId: 'acme',
    channelId: 'web',
    redirectUri: 'https://www.acme.example/chat/callback',
    device: { id: 'node-1' },
    fetch: http.fetch,
    WebSocket: nodeWebSocket,
    reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000 },
    // Full jitter could draw a delay of a few milliseconds: the reconnect comes 30 s later, never within the test.
    random: () => 0.5,
  });
}

describe('with the ws package in Node', () => {
  it('takes a refused connection as a drop: offline, with a reconnect scheduled', async () => {
    const client = clientOverWs();
    const statuses: ClientStatus[] = [];
    client.onStatus((status) => statuses.push(status));
    await client.authorize('code-1', 'verifier-1');
    await vi.waitFor(() => expect(client.status).toBe('offline'));
    expect(statuses).toEqual(['connecting', 'offline']);
    client.close();
    expect(client.status).toBe('idle');
  });

  it('closes a socket that is still connecting without an unhandled error', async () => {
    const client = clientOverWs();
    await client.authorize('code-1', 'verifier-1');
    client.close();
    expect(client.status).toBe('idle');
    // ws reports closing a connecting socket as an 'error' on the next tick; nothing must throw.
    await new Promise((resolve) => setImmediate(resolve));
    expect(client.status).toBe('idle');
  });

  it('needs a WebSocket where the platform has none', () => {
    vi.stubGlobal('WebSocket', undefined); // Node 22 has one, Node 20 does not
    const create = () =>
      createParleyClient({
        baseUrl: 'http://127.0.0.1:8080',
        tenantId: 'acme',
        channelId: 'web',
        redirectUri: 'https://www.acme.example/chat/callback',
        device: { id: 'node-1' },
        fetch: nodeFetch,
      });
    try {
      expect(create).toThrow(expect.objectContaining({ code: 'unsupported_environment' }));
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
