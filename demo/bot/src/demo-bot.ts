import { readFile, rename, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@parley/logger';
import { readServerSentEvents } from './server-sent-events.js';

export interface DemoBotOptions {
  /** Parley's ingress, e.g. http://127.0.0.1:8080. */
  readonly ingressUrl: string;
  /** A tenant API key with the `bot` scope. */
  readonly apiKey: string;
  /** The brand's customer-data endpoint, called with the customer's own token. */
  readonly customerDataUrl: string;
  readonly logger: Logger;
  /** Where the bot keeps the id of the last event it handled; in memory only when absent. */
  readonly cursor?: CursorStore;
}

/** The bot's place in the stream: the last event id it handled. */
export interface CursorStore {
  load(): Promise<string | undefined>;
  save(cursor: string): Promise<void>;
}

/** A cursor in a file, replaced atomically (a crash leaves the old one or the new one). */
export function fileCursor(path: string): CursorStore {
  return {
    async load() {
      const text = await readFile(path, 'utf8').catch(() => '');
      return text.trim() || undefined;
    },
    async save(cursor) {
      await writeFile(`${path}.tmp`, `${cursor}\n`);
      await rename(`${path}.tmp`, path);
    },
  };
}

export function memoryCursor(): CursorStore {
  let current: string | undefined;
  return {
    load: async () => current,
    save: async (cursor) => {
      current = cursor;
    },
  };
}

/** The parts of a `message.enriched` event's data this bot reads (docs/integrations.md). */
interface EnrichedMessage {
  readonly messageId: string;
  readonly tenantId: string;
  readonly threadId: string;
  readonly text: string;
  readonly customer: { id: string; name: string | null; customFields: Record<string, unknown> } | null;
  readonly enrichment: { status: 'ok' | 'unavailable' };
}

function isEnrichedMessage(value: unknown): value is EnrichedMessage {
  const event = value as Partial<EnrichedMessage> | null;
  return (
    typeof event?.messageId === 'string' &&
    typeof event.threadId === 'string' &&
    typeof event.text === 'string' &&
    typeof event.enrichment?.status === 'string'
  );
}

/**
 * What the bot answers: it greets the customer by name and uses the brand's custom fields that came
 * with this very message (tier), plus what the brand's own API says with the customer's token
 * (open case). Pure, so that it is tested without a server.
 */
export function composeReply(event: EnrichedMessage, fromBrand: { openCase?: unknown } | null): string {
  if (!event.customer || event.enrichment.status !== 'ok') {
    return 'Hi! I could not load your account details just now — an agent will be with you shortly.';
  }
  const name = event.customer.name?.split(' ')[0] ?? 'there';
  const tier = event.customer.customFields.tier;
  const parts = [
    typeof tier === 'string' && tier
      ? `Hi ${name}! As a ${tier} member you are in our priority queue.`
      : `Hi ${name}! Thanks for your message.`,
  ];
  const openCase = fromBrand?.openCase;
  if (typeof openCase === 'string' && openCase) parts.push(`I can see your open case ${openCase}.`);
  parts.push('An agent will be with you shortly.');
  return parts.join(' ');
}

async function call(url: string, init: RequestInit): Promise<Response> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
  if (!response.ok && response.status !== 404) {
    const body = await response.text().catch(() => '');
    throw new Error(
      `${init.method ?? 'GET'} ${new URL(url).pathname} answered ${response.status}: ${body.slice(0, 200)}`,
    );
  }
  return response;
}

/**
 * The demo bot: reads its tenant's `message.enriched` events from Parley's bot event stream
 * (`GET /v1/bot/events`, Server-Sent Events) like any bot of a brand that cannot expose a webhook,
 * fetches the customer's brand token through Parley's bot API (audited), reads the brand's
 * customer data with it, and replies into the thread. It resumes after the last event it handled
 * (`Last-Event-ID`), so a reconnect loses nothing; a reply's clientMessageId is derived from the
 * message, so an event seen twice does not make a second reply.
 */
export function createDemoBot(options: DemoBotOptions) {
  const { ingressUrl, apiKey, customerDataUrl, logger, cursor = memoryCursor() } = options;
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const stopping = new AbortController();
  let running: Promise<void> | undefined;

  async function answer(event: EnrichedMessage) {
    let fromBrand: { openCase?: unknown } | null = null;
    if (event.enrichment.status === 'ok') {
      const token = await call(`${ingressUrl}/v1/bot/token`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ threadId: event.threadId, reason: 'demo bot: mention the open case' }),
      });
      if (token.ok) {
        const { accessToken } = (await token.json()) as { accessToken: string };
        const data = await fetch(customerDataUrl, {
          headers: { authorization: `Bearer ${accessToken}` },
          signal: AbortSignal.timeout(5000),
        });
        if (data.ok) {
          const claims = (await data.json()) as Record<string, unknown>;
          fromBrand = { openCase: claims.open_case };
        }
      }
    }
    const text = composeReply(event, fromBrand);
    await call(`${ingressUrl}/v1/threads/${encodeURIComponent(event.threadId)}/messages`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ clientMessageId: `reply-${event.messageId}`, text }),
    });
    logger.info({ threadId: event.threadId, messageId: event.messageId }, 'replied');
  }

  /** One event of the stream, answered with a few retries; a message it cannot answer is skipped. */
  async function handle(data: string) {
    let message: unknown;
    try {
      message = (JSON.parse(data) as { data?: unknown }).data;
    } catch {
      message = undefined;
    }
    if (!isEnrichedMessage(message)) return logger.warn('skipping an event that is not an enriched message');
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await answer(message);
      } catch (error) {
        if (attempt >= 3 || stopping.signal.aborted) {
          logger.error({ err: error, messageId: message.messageId }, 'could not reply; giving up');
          return;
        }
        await sleep(500 * attempt);
      }
    }
  }

  /** Reads the stream until it ends; events one after another, the cursor saved after each. */
  async function readStream() {
    const after = await cursor.load();
    const response = await fetch(`${ingressUrl}/v1/bot/events?types=message.enriched`, {
      headers: {
        authorization: `Bearer ${apiKey}`,
        accept: 'text/event-stream',
        ...(after ? { 'last-event-id': after } : {}),
      },
      signal: stopping.signal,
    });
    if (response.status === 410) {
      // Events older than the retention window are gone: start again from the oldest kept.
      logger.warn({ after }, 'the stream cursor expired; reading from the oldest retained event');
      await cursor.save('');
      return;
    }
    if (!response.ok || !response.body) {
      const body = await response.text().catch(() => '');
      throw new Error(`GET /v1/bot/events answered ${response.status}: ${body.slice(0, 200)}`);
    }
    logger.info({ after: after ?? null }, 'reading the bot event stream');
    for await (const event of readServerSentEvents(response.body)) {
      if (event.event === 'error') {
        logger.warn({ error: event.data }, 'the stream ended with an error; reconnecting');
        return;
      }
      if (event.event === 'message.enriched') await handle(event.data);
      if (event.id) await cursor.save(event.id);
    }
  }

  async function run() {
    let delayMs = 500;
    while (!stopping.signal.aborted) {
      const started = Date.now();
      try {
        await readStream();
      } catch (error) {
        if (stopping.signal.aborted) return;
        logger.warn({ err: error }, 'bot event stream failed; reconnecting');
      }
      // The delay grows while connections keep failing fast; a stream that ran a while starts it again.
      if (Date.now() - started > 30_000) delayMs = 500;
      await sleep(delayMs, undefined, { signal: stopping.signal }).catch(() => {});
      delayMs = Math.min(delayMs * 2, 30_000);
    }
  }

  return {
    async start() {
      running = run();
    },
    async stop() {
      stopping.abort();
      await running;
    },
  };
}
