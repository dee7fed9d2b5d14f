import { randomFillSync } from 'node:crypto';
import {
  type Attributes,
  type Context,
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';

// One context manager per process, there whether tracing is on or off: it is what carries the
// trace through every await (a second copy of this module finds the first one registered).
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

/** The attribute, and baggage entry, naming the message a span is part of. */
export const messageIdKey = 'parley.message_id';

export type SpanKindName = 'server' | 'client' | 'producer' | 'consumer' | 'internal';

const kinds: Record<SpanKindName, SpanKind> = {
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
  internal: SpanKind.INTERNAL,
};

export interface SpanOptions {
  /** Default `internal`. */
  readonly kind?: SpanKindName;
  /** Never a token, a secret, a query string or a statement's values (docs/operations.md, "Tracing"). */
  readonly attributes?: Attributes;
  /** The context the span continues, e.g. a received hop's (`contextOfHeaders`); default the active one. */
  readonly parent?: Context;
  /** Start a new trace, whatever is active (a WebSocket frame is a trace of its own). */
  readonly root?: boolean;
}

/** What starts spans: the SDK's tracer once `startTracing` turned recording on. */
export type SpanStarter = Pick<Tracer, 'startSpan'>;

/**
 * With tracing off: spans that record nothing but still carry the trace, each with a span id of its
 * own (a new trace, sampled, when there is no parent), so traceparent flows as it does with tracing on.
 */
const propagating: SpanStarter = {
  startSpan(_name, _options, parentContext = context.active()) {
    const parent = trace.getSpanContext(parentContext);
    const valid = parent !== undefined && isSpanContextValid(parent);
    return trace.wrapSpanContext({
      traceId: valid ? parent.traceId : randomHex(16),
      spanId: randomHex(8),
      traceFlags: valid ? parent.traceFlags : TraceFlags.SAMPLED,
      ...(valid && parent.traceState ? { traceState: parent.traceState } : {}),
    });
  },
};

let tracer: SpanStarter = propagating;

// Ids come from a pool of random bytes, refilled when used up: one call per 512 span ids, not one each.
const pool = Buffer.alloc(8192);
let used = pool.length;

/** `bytes` random bytes as lowercase hex (a trace id: 16, a span id: 8). */
export function randomHex(bytes: number): string {
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += bytes;
  return pool.toString('hex', used - bytes, used);
}

/** Where spans are recorded from now on; undefined: nowhere (the default). Used by startTracing. */
export function recordSpansWith(recording: SpanStarter | undefined): void {
  tracer = recording ?? propagating;
}

/** The message the context is part of (see withMessageId), if any. */
export function messageIdOf(from: Context): string | undefined {
  return propagation.getBaggage(from)?.getEntry(messageIdKey)?.value;
}

/** What a failure is called on its span: a ParleyError's code, a driver's error code, else its name. */
function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  if (typeof code === 'string' && code !== '') return code;
  return error instanceof Error ? error.name : '_OTHER';
}

/** Marks `span` failed with the error's type only (its message might quote what it was given). */
export function markFailed(span: Span, error: unknown): void {
  const type = errorType(error);
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
}

/** A span started and not yet ended, for work that does not fit in one callback (a request's hooks). */
export interface OpenSpan {
  readonly span: Span;
  /** Runs `work` with this span as the active one (what it starts or sends is its child). */
  run<T>(work: () => T): T;
  /** Ends the span, failed when `error` is given; later calls do nothing. */
  end(error?: unknown): void;
}

/**
 * Starts a span (a child of `options.parent`, else of the active span) carrying the message id of
 * its context; the caller ends it.
 *
 * @example
 * const span = openSpan('GET /v1/threads', { kind: 'server', parent: contextOfHeaders(request.headers) });
 * span.run(done); // … later: span.end();
 */
export function openSpan(name: string, options: SpanOptions = {}): OpenSpan {
  const parent = options.root ? ROOT_CONTEXT : (options.parent ?? context.active());
  const messageId = messageIdOf(parent);
  const attributes =
    messageId === undefined ? options.attributes : { ...options.attributes, [messageIdKey]: messageId };
  const span = tracer.startSpan(
    name,
    { kind: kinds[options.kind ?? 'internal'], ...(attributes ? { attributes } : {}) },
    parent,
  );
  const active = trace.setSpan(parent, span);
  let ended = false;
  return {
    span,
    run: (work) => context.with(active, work),
    end(error) {
      if (ended) return;
      ended = true;
      if (error !== undefined) markFailed(span, error);
      span.end();
    },
  };
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * Runs `work` in a span of its own, ended when `work` returns or settles; a throw or rejection
 * marks it failed (see markFailed) and goes on to the caller.
 *
 * @example
 * const rows = await inSpan('find session', { kind: 'client', attributes: { 'db.system': 'postgresql' } },
 *   () => client.query(statement));
 */
export function inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => T): T {
  const open = openSpan(name, options);
  let result: T;
  try {
    result = open.run(() => work(open.span));
  } catch (error) {
    open.end(error);
    throw error;
  }
  if (!isPromiseLike(result)) {
    open.end();
    return result;
  }
  return result.then(
    (value) => {
      open.end();
      return value;
    },
    (error: unknown) => {
      open.end(error);
      throw error;
    },
  ) as T;
}
