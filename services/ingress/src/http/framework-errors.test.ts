import { connect } from 'node:net';
import { errorCodes } from '@parley/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEdge } from './edge.fixture.js';
import { clientErrorResponse } from './errors.js';

// Errors raised before any Parley handler runs (Node's HTTP parser, Fastify's router and body
// parsers, the WebSocket handshake) answer in Parley's shape too, seen from a raw TCP socket.
const { app } = createTestEdge({ bodyLimitBytes: 1024 });
let port = 0;

beforeAll(async () => {
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as { port: number }).port;
});
afterAll(() => app.close());

/** Sends raw bytes and reads the answer until the server closes the connection. */
function exchange(request: string): Promise<{ status: number; headers: string; body: unknown }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      try {
        resolve({
          status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]),
          headers: head.toLowerCase(),
          body: JSON.parse(body),
        });
      } catch {
        reject(new Error(`not a JSON answer: ${text}`));
      }
    });
    socket.end(request);
  });
}

const parleyShaped = (code: keyof typeof errorCodes) => ({
  status: errorCodes[code].httpStatus,
  headers: expect.stringContaining('content-type: application/json'),
  body: { error: { code, message: expect.any(String) } },
});

describe("errors raised before Parley's handlers, in Parley's shape", () => {
  it.each([
    ['a malformed header line', 'GET /v1/thread/messages HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n'],
    ['a malformed request line', 'GE T / HTTP/1.1\r\nHost: x\r\n\r\n'],
    [
      'two different Content-Lengths',
      'POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
    ],
    ['a bad URL escape', 'GET /v1/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
    [
      'an over-long path parameter',
      `GET /v1/admin/channels/${'a'.repeat(200)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    ],
    [
      'a WebSocket handshake without a key',
      'GET /v1/stream HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n',
    ],
  ])('%s: 400 invalid_argument', async (_case, request) => {
    expect(await exchange(request)).toEqual(parleyShaped('invalid_argument'));
  });

  it('a header section over the limit: 431 headers_too_large', async () => {
    const request = `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`;
    expect(await exchange(request)).toEqual(parleyShaped('headers_too_large'));
  });

  it.each([
    ['bad JSON', 'application/json', '{x', 'invalid_argument'],
    ['a body over the limit', 'application/json', `"${'a'.repeat(2000)}"`, 'payload_too_large'],
    ['an unsupported media type', 'application/xml', '<a/>', 'invalid_argument'],
  ] as const)('%s: %s', async (_case, contentType, body, code) => {
    const request = `POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
    expect(await exchange(request)).toEqual(parleyShaped(code));
  });

  it('an unknown route: 404 not_found', async () => {
    expect(await exchange('PROPFIND /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toEqual(
      parleyShaped('not_found'),
    );
  });

  it('a request that took too long to arrive: 408 request_timeout', () => {
    const timeout = Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' });
    const response = clientErrorResponse(timeout);
    expect(response).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(JSON.parse(response.split('\r\n\r\n')[1] as string)).toEqual({
      error: { code: 'request_timeout', message: expect.any(String) },
    });
  });
});
