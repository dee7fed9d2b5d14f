import type { IncomingMessage, ServerResponse } from 'node:http';
import { pageHeaders } from '../pages/layout.js';

/** An answer the brand chooses to give (bad input, unknown customer), with a stable OAuth-style code. */
export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly status: number,
    readonly code: 'invalid_request' | 'not_found' | 'unsupported_media_type' | 'payload_too_large',
    message: string,
  ) {
    super(message);
  }
}

export function sendHtml(response: ServerResponse, status: number, body: string) {
  response.writeHead(status, pageHeaders).end(body);
}

export function sendJson(response: ServerResponse, status: number, value: unknown) {
  response
    .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    .end(JSON.stringify(value));
}

/** Reads a small request body as text; larger bodies are refused. */
export async function readBody(request: IncomingMessage, limitBytes = 16 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes)
      throw new HttpError(413, 'payload_too_large', `bodies are limited to ${limitBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Reads a JSON body. Requiring `application/json` also keeps other sites out: a browser sends it
 * cross-origin only after a CORS preflight, which the brand never approves.
 */
export async function readJson(request: IncomingMessage): Promise<unknown> {
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json')
    throw new HttpError(415, 'unsupported_media_type', 'send the request as application/json');
  const text = await readBody(request);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'invalid_request', 'the body is not valid JSON');
  }
}
