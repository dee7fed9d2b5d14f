import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver got, as it arrived. */
export interface ReceivedWebhook {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The raw body, exactly the bytes sent. */
  readonly body: string;
  readonly receivedAt: number;
}

/** What a path answers: a status (after `delayMs`), or `hang` (never answers). */
export type ReceiverAnswer = { status: number; delayMs?: number } | 'hang';

/**
 * A local webhook receiver on 127.0.0.1 (allow-listed in tests): every request is recorded, and each
 * path answers as `answer` says for that request (default 204).
 *
 * @example
 * const receiver = await startWebhookReceiver((request) => (request.path === '/down' ? { status: 500 } : { status: 204 }));
 * await createSubscription({ url: receiver.url('/a') });
 */
export async function startWebhookReceiver(
  answer: (request: ReceivedWebhook, received: readonly ReceivedWebhook[]) => ReceiverAnswer = () => ({
    status: 204,
  }),
) {
  const received: ReceivedWebhook[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const webhook = {
        path: request.url ?? '/',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Date.now(),
      };
      received.push(webhook);
      const reply = answer(webhook, received);
      if (reply === 'hang') return;
      const send = () => response.writeHead(reply.status).end();
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    received,
    url: (path: string) => `${base}${path}`,
    /** The requests to one path, in arrival order. */
    at: (path: string) => received.filter((webhook) => webhook.path === path),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export type WebhookReceiver = Awaited<ReturnType<typeof startWebhookReceiver>>;
