import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';

/**
 * W3C Trace Context (`traceparent`, https://www.w3.org/TR/trace-context/) carried through every hop
 * of a message, so that one message is one trace (docs/operations.md, "Tracing"): ingress starts or
 * continues a trace per HTTP request and WebSocket send, produced events carry it in their headers,
 * consumers and gRPC servers make the received one current, gRPC clients send the current one.
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

function spanId(): string {
  return randomBytes(8).toString('hex');
}

/** A `traceparent` of a new trace (version 00, sampled). */
export function newTraceparent(): string {
  return `00-${randomBytes(16).toString('hex')}-${spanId()}-01`;
}

/**
 * The `traceparent` of a hop continuing `parent`: same trace id and flags, a new parent id. A
 * missing or malformed `parent` starts a new trace.
 */
export function childTraceparent(parent: unknown): string {
  const parsed = parseTraceparent(parent);
  if (!parsed) return newTraceparent();
  return `00-${parsed.traceId}-${spanId()}-${parsed.flags}`;
}

const current = new AsyncLocalStorage<string>();

/**
 * Runs `work` as a hop of the trace of `incoming` (a received `traceparent`; missing or malformed
 * starts a new trace): inside it, and in everything it awaits, `currentTraceparent()` is this
 * hop's traceparent.
 *
 * @example
 * await runInTrace(meta.cloudEvent.traceparent, () => handler(event, meta));
 */
export function runInTrace<T>(incoming: unknown, work: () => T): T {
  return current.run(childTraceparent(incoming), work);
}

/** The traceparent of the hop under way (see runInTrace), to send on; undefined outside any. */
export function currentTraceparent(): string | undefined {
  return current.getStore();
}

/** The trace id of the hop under way, for log lines and tests; undefined outside any. */
export function currentTraceId(): string | undefined {
  const traceparent = current.getStore();
  return traceparent === undefined ? undefined : parseTraceparent(traceparent)?.traceId;
}
