import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@parley/logger';
import { describe, expect, it } from 'vitest';
import { composeReply, createDemoBot, memoryCursor } from './demo-bot.js';

const event = (customer: { name: string | null; customFields: Record<string, unknown> } | null) => ({
  messageId: 'm-1',
  tenantId: 'demo',
  threadId: 'th-1',
  text: 'hello',
  customer: customer ? { id: 'c-1', ...customer } : null,
  enrichment: { status: customer ? ('ok' as const) : ('unavailable' as const) },
});

describe('the demo bot’s reply', () => {
  it('greets by first name, uses the tier from the message and the open case from the brand', () => {
    expect(
      composeReply(event({ name: 'Ada Lovelace', customFields: { tier: 'gold' } }), { openCase: 'CASE-1' }),
    ).toBe(
      'Hi Ada! As a gold member you are in our priority queue. I can see your open case CASE-1. An agent will be with you shortly.',
    );
  });

  it('does without what the brand did not give', () => {
    expect(composeReply(event({ name: null, customFields: {} }), { openCase: null })).toBe(
      'Hi there! Thanks for your message. An agent will be with you shortly.',
    );
    expect(composeReply(event(null), null)).toMatch(/could not load your account details/);
  });
});

describe('the demo bot on the bot event stream', () => {
  it('answers each enriched message once, resuming after the last event id when the stream drops', async () => {
    const connections: (string | undefined)[] = [];
    const replies: { threadId: string; body: unknown }[] = [];
    const cloudEvent = (n: number) =>
      JSON.stringify({
        specversion: '1.0',
        id: `e-${n}`,
        type: 'parley.message.enriched.v1',
        data: { ...event(null), messageId: `m-${n}`, threadId: `th-${n}` },
      });
    // A fake ingress: each connection gets the events after Last-Event-ID, two at most, then ends.
    const server = createServer((request: IncomingMessage, response: ServerResponse) => {
      const url = new URL(request.url ?? '/', 'http://x');
      if (url.pathname === '/v1/bot/events') {
        expect(request.headers.authorization).toBe('Bearer pk_demo');
        expect(url.searchParams.get('types')).toBe('message.enriched');
        const last = request.headers['last-event-id'] as string | undefined;
        connections.push(last);
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        const from = Number(last ?? 0) + 1;
        for (const n of [from, from + 1].filter((n) => n <= 3))
          response.write(`id: ${n}\nevent: message.enriched\ndata: ${cloudEvent(n)}\n\n`);
        if (from > 3) return; // nothing more: the stream stays open
        response.end();
        return;
      }
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        const thread = /^\/v1\/threads\/([^/]+)\/messages$/.exec(url.pathname);
        if (thread) replies.push({ threadId: thread[1] as string, body: JSON.parse(body) });
        response.writeHead(thread ? 202 : 404, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const ingressUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cursor = memoryCursor();
    const bot = createDemoBot({
      ingressUrl,
      apiKey: 'pk_demo',
      customerDataUrl: `${ingressUrl}/me`,
      logger: createLogger({ service: 'demo-bot-test', version: 'test', level: 'silent' }),
      cursor,
    });
    await bot.start();
    try {
      for (let i = 0; i < 200 && connections.length < 3; i += 1) await new Promise((r) => setTimeout(r, 20));
      expect(connections).toEqual([undefined, '2', '3']);
      expect(replies.map((reply) => reply.threadId)).toEqual(['th-1', 'th-2', 'th-3']);
      expect(replies[0]?.body).toMatchObject({ clientMessageId: 'reply-m-1' });
      expect(await cursor.load()).toBe('3');
    } finally {
      await bot.stop();
      server.closeAllConnections();
      server.close();
    }
  });
});
