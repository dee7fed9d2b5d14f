import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { botEventsQuery, pageCursor } from '@parley/contracts';
import { ParleyError, toParleyError } from '@parley/errors';
import type { FastifyInstance } from 'fastify';
import type { ApiKeyAccess } from '../domain/api-key-access.js';
import { type BotEventReader, type BotEventsRead, createBotEventReader } from '../domain/bot-events.js';
import type { BotStreams, StreamEnd, StreamRefusal } from '../domain/bot-streams.js';
import { parse } from '../domain/input.js';
import type { IntegrationsPort } from '../domain/ports.js';
import { requireApiKey } from './credentials.js';
import { errorAnswer } from './errors.js';
import { sseComment, sseEvent, sseRetry } from './server-sent-events.js';

/** What the stream reports for metrics. */
export interface BotStreamObserver {
  opened(): void;
  refused(reason: StreamRefusal | 'cursor_expired'): void;
  closed(reason: StreamEnd): void;
  sent(eventType: string): void;
}

export interface BotEventsRouteDeps extends ApiKeyAccess {
  readonly integrations: IntegrationsPort;
  readonly botStreams: BotStreams;
  readonly botStreamObserver?: BotStreamObserver;
  readonly botStreamTiming?: BotStreamTiming;
}

export interface BotStreamTiming {
  /** How long one ReadEvents waits for new events (at most 25 s, the proto's limit). */
  readonly waitMs?: number;
  /** The gRPC deadline beyond `waitMs`. */
  readonly deadlineMs?: number;
  /** Comment lines this often keep proxies from closing an idle stream. */
  readonly heartbeatMs?: number;
  /** A client that does not take what was written within this time is disconnected. */
  readonly drainTimeoutMs?: number;
  /** How often an open stream checks that its API key still exists with the bot scope. */
  readonly keyRecheckMs?: number;
}

const noop: BotStreamObserver = { opened() {}, refused() {}, closed() {}, sent() {} };

/**
 * `GET /v1/bot/events`: the tenant's events as Server-Sent Events, for bots that cannot expose a
 * webhook endpoint. A bot-scoped API key; only the key's tenant. Resumes after `Last-Event-ID` (what
 * EventSource sends on reconnect; it wins over `?after=`, which stays in the URL). Each event is
 * `id: <cursor>`, `event: <type>`, `data: <the event JSON>`. Failures before the stream starts are
 * ordinary JSON errors (an expired cursor: 410 `cursor_expired`); after it started, one
 * `event: error` with `{code, message}`, then the stream ends (reconnect with the last id).
 */
export function registerBotEventsRoute(app: FastifyInstance, deps: BotEventsRouteDeps): void {
  const { integrations, apiKeys, botStreams, botStreamObserver: observer = noop } = deps;
  const {
    waitMs = 20_000,
    deadlineMs = 5000,
    heartbeatMs = 15_000,
    drainTimeoutMs = 30_000,
    keyRecheckMs = 60_000,
  } = deps.botStreamTiming ?? {};

  // No HEAD route: a HEAD request would open a stream nobody reads.
  app.get('/v1/bot/events', { exposeHeadRoute: false }, async (request, reply) => {
    const key = await requireApiKey(request, deps, 'bot');
    const query = parse(botEventsQuery, request.query, 'query');
    const lastEventId = request.headers['last-event-id'];
    const after =
      typeof lastEventId === 'string' && lastEventId !== ''
        ? parse(pageCursor, lastEventId, 'Last-Event-ID')
        : (query.after ?? '');
    // Aborted when the stream ends: a long poll whose client left is cancelled at integrations.
    const gone = new AbortController();
    const reader = createBotEventReader(
      { integrations, apiKeys, deadlineMs, keyRecheckMs },
      { key, after, types: query.types ?? [], signal: gone.signal },
    );

    let stream: ReturnType<typeof streamEvents> | undefined;
    // Set when the client leaves or ingress stops before the stream has started.
    let endedEarly = false;
    const slot = botStreams.open(key.tenantId, key.keyId, (reason) => {
      if (stream) stream.end(reason);
      else endedEarly = true;
    });
    if ('refused' in slot) {
      observer.refused(slot.refused);
      throw new ParleyError(
        'rate_limited',
        slot.refused === 'key_limit'
          ? 'too many open event streams for this API key'
          : 'too many open event streams for this tenant',
        { context: { retryAfterSeconds: 5 } },
      );
    }
    const response = reply.raw;
    response.once('close', () => {
      slot.release();
      gone.abort();
      if (stream) stream.end('client');
      else endedEarly = true;
    });
    // The first read does not wait: what can refuse the stream answers as plain HTTP.
    let first: BotEventsRead;
    try {
      first = await reader.read(0);
    } finally {
      if (endedEarly) slot.release();
    }
    if ('expired' in first) {
      slot.release();
      observer.refused('cursor_expired');
      throw first.expired;
    }
    if (endedEarly) throw new ParleyError('dependency_unavailable', 'the stream ended before it started');

    reply.hijack();
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx and similar proxies pass each event on at once instead of buffering the response.
      'x-accel-buffering': 'no',
    });
    observer.opened();
    stream = streamEvents({
      response,
      reader,
      observer,
      timing: { waitMs, heartbeatMs, drainTimeoutMs },
      onEnd: () => gone.abort(),
    });
    stream
      .run(first.events)
      .catch((error: unknown) => request.log.error({ err: error }, 'bot event stream failed'));
  });
}

/** Writes one open stream as Server-Sent Events, with its heartbeat and backpressure. */
function streamEvents(options: {
  readonly response: ServerResponse;
  readonly reader: BotEventReader;
  readonly observer: BotStreamObserver;
  readonly timing: Required<Pick<BotStreamTiming, 'waitMs' | 'heartbeatMs' | 'drainTimeoutMs'>>;
  readonly onEnd: () => void;
}) {
  const { response, reader, observer, timing, onEnd } = options;
  let ended = false;
  // Nothing is written to a response that ended or whose client left (that would be an error event).
  const write = (chunk: string) => !ended && !response.destroyed && response.write(chunk);
  const heartbeat = setInterval(() => {
    if (!response.writableNeedDrain) write(sseComment('heartbeat'));
  }, timing.heartbeatMs);

  function end(reason: StreamEnd, error?: ParleyError) {
    if (ended) return;
    // The `error` of an error answer (`errorBody`), as the API document describes the event.
    if (error) write(sseEvent({ event: 'error', data: JSON.stringify(errorAnswer(error).error) }));
    ended = true;
    clearInterval(heartbeat);
    onEnd();
    response.end();
    observer.closed(reason);
  }

  /** Waits until the socket took what was written; false when the client is too slow or gone. */
  async function drained(): Promise<boolean> {
    if (ended || !response.writableNeedDrain) return true;
    try {
      await once(response, 'drain', { signal: AbortSignal.timeout(timing.drainTimeoutMs) });
      return true;
    } catch {
      return false;
    }
  }

  async function run(first: Extract<BotEventsRead, { events: unknown }>['events']) {
    write(sseRetry(2000));
    let events = first;
    while (!ended) {
      for (const event of events) {
        if (!write(sseEvent({ id: event.cursor, event: event.type, data: event.body })) && ended) return;
        observer.sent(event.type);
      }
      // Backpressure: nothing more is read while the client has not taken what it got.
      if (!(await drained())) return end('slow_client');
      let next: BotEventsRead;
      try {
        const refusal = await reader.keyRefusal();
        if (refusal) return end('key_revoked', refusal);
        if (ended) return;
        next = await reader.read(timing.waitMs);
      } catch (error) {
        return end('error', toParleyError(error));
      }
      if ('expired' in next) return end('cursor_expired', next.expired);
      events = next.events;
    }
  }

  return { run, end: (reason: StreamEnd) => end(reason) };
}
