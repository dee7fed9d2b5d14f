import {
  type Context,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  trace,
} from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { inSpan, messageIdKey, randomHex } from './spans.js';

/**
 * W3C Trace Context (`traceparent`, https://www.w3.org/TR/trace-context/) carried through every hop
 * of a message, so that one message is one trace (docs/operations.md, "Tracing"). The context is
 * OpenTelemetry's, whether an exporter is configured or not: the context manager and the
 * propagation below are there in every process, so traceparent flows with tracing off too.
 *
 * A `traceparent` is `00-<trace id>-<parent id>-<flags>`; each hop keeps the trace id and uses a new
 * parent (span) id of its own for what it sends on.
 */
export interface TraceParent {
  readonly version: string;
  /** 32 lowercase hex digits, not all zero: the same in every hop of one message. */
  readonly traceId: string;
  /** 16 lowercase hex digits, not all zero: the span of the hop that sent it. */
  readonly parentId: string;
  readonly flags: string;
}

/** Trace context only: what is taken from, and sent to, the outside. */
const traceContext = new W3CTraceContextPropagator();
/** Trace context and baggage (the message id): between Parley's own services over gRPC. */
const withBaggage = new CompositePropagator({
  propagators: [traceContext, new W3CBaggagePropagator()],
});

const traceparentPattern = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const zeroTraceId = '0'.repeat(32);
const zeroParentId = '0'.repeat(16);

/** The parts of a valid `traceparent`, or undefined for anything else (then a new trace starts). */
export function parseTraceparent(value: unknown): TraceParent | undefined {
  if (typeof value !== 'string') return undefined;
  const match = traceparentPattern.exec(value.trim());
  if (!match) return undefined;
  const [, version = '', traceId = '', parentId = '', flags = '', rest] = match;
  // Version ff is invalid; version 00 has exactly four fields (later versions may add some).
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === zeroTraceId || parentId === zeroParentId) return undefined;
  return { version, traceId, parentId, flags };
}

/** Which headers travel: the trace context alone, or with the baggage too (Parley's own calls). */
export interface PropagationOptions {
  /** Baggage (the message id) is read and sent only between Parley's services; default false. */
  readonly baggage?: boolean;
}

/**
 * The trace headers of `from` (default: the active context), to send on: `traceparent`, and
 * `tracestate` and `baggage` when there are any. Empty outside any span.
 *
 * @example
 * metadata.set('traceparent', traceHeaders().traceparent);
 */
export function traceHeaders(
  options: PropagationOptions = {},
  from: Context = context.active(),
): Record<string, string> {
  const headers: Record<string, string> = {};
  (options.baggage ? withBaggage : traceContext).inject(from, headers, defaultTextMapSetter);
  return headers;
}

/**
 * The context a received hop continues: the trace (and, when asked, the baggage) of `headers`, on an
 * empty context, so nothing of whatever happened to be active leaks in. Malformed or missing
 * headers give the empty context: a span started in it begins a new trace.
 */
export function contextOfHeaders(
  headers: Readonly<Record<string, string | undefined>>,
  options: PropagationOptions = {},
): Context {
  return (options.baggage ? withBaggage : traceContext).extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
}

/** The context of one received `traceparent` (see contextOfHeaders). */
export function contextOfTraceparent(traceparent: unknown): Context {
  return contextOfHeaders(typeof traceparent === 'string' ? { traceparent } : {});
}

/** A `traceparent` of a new trace (version 00, sampled), for a record made outside any span. */
export function newTraceparent(): string {
  return `00-${randomHex(16)}-${randomHex(8)}-01`;
}

/**
 * The `traceparent` of a hop continuing `parent`: same trace id and flags, a new parent id. A
 * missing or malformed `parent` starts a new trace.
 */
export function childTraceparent(parent: unknown): string {
  const parsed = parseTraceparent(parent);
  if (!parsed) return newTraceparent();
  return `00-${parsed.traceId}-${randomHex(8)}-${parsed.flags}`;
}

/**
 * Runs `work` as a hop (an internal span) of the trace of `incoming` (a received `traceparent`;
 * missing or malformed starts a new trace): inside it, and in everything it awaits,
 * `currentTraceparent()` is this hop's traceparent. Edges use `inSpan` with a kind and attributes
 * of their own; this is the plain hop.
 *
 * @example
 * await runInTrace(meta.cloudEvent.traceparent, () => handler(event, meta));
 */
export function runInTrace<T>(incoming: unknown, work: () => T): T {
  return inSpan('hop', { parent: contextOfTraceparent(incoming) }, () => work());
}

/** The traceparent of the span under way, to send on; undefined outside any. */
export function currentTraceparent(): string | undefined {
  return traceHeaders().traceparent;
}

/** The trace id of the span under way, for log lines and tests; undefined outside any. */
export function currentTraceId(): string | undefined {
  return trace.getSpanContext(context.active())?.traceId;
}

/**
 * Runs `work` as part of message `messageId`: the span under way is marked with it, and so is
 * every span started inside, here and (through gRPC baggage) in the services it calls.
 *
 * @example
 * await withMessageId(messageId, () => producer.publish('chat.messages.received.v1', event));
 */
export function withMessageId<T>(messageId: string | undefined, work: () => T): T {
  if (messageId === undefined) return work();
  trace.getActiveSpan()?.setAttribute(messageIdKey, messageId);
  const active = context.active();
  const baggage = (propagation.getBaggage(active) ?? propagation.createBaggage()).setEntry(messageIdKey, {
    value: messageId,
  });
  return context.with(propagation.setBaggage(active, baggage), work);
}
