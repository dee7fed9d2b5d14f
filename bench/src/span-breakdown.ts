// Where a message's time goes, hop by hop, from the spans the services export during a run
// (`--spans`; docs/operations.md, "Tracing"): the spans of traces that carry a message
// (`parley.message_id`), also those started before the message had its id (ingress's
// AuthorizeSession call); spans of other traces (sign-ins, syncs) do not count.
import type { ReceivedSpan } from './span-receiver.js';
import { summarize } from './stats.js';

/** One hop: how often it ran per message and how long it took. */
export interface HopTime {
  /** `<service>: <span>`; store statements and brand calls grouped per service; `kafka` the wait between produce and consume. */
  readonly hop: string;
  readonly perMessage: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  /** The hop's time per message (all its spans): nested spans are counted in their parent too. */
  readonly msPerMessage: number;
}

export interface SpanBreakdown {
  readonly messages: number;
  readonly spans: number;
  /** Hops by time per message, most first. */
  readonly hops: readonly HopTime[];
}

const kind = { server: 2, client: 3, producer: 4, consumer: 5 };

/** The hop a span counts under. */
export function hopOf(span: ReceivedSpan): string {
  const service = (span.serviceName ?? 'unknown').replace(/^parley-/, '');
  if (span.attributes['db.system'] === 'postgresql') return `${service}: store statements`;
  if (span.name.startsWith('brand ')) return `${service}: brand calls`;
  if (span.kind === kind.client && span.attributes['rpc.system'] === 'grpc')
    return `${service}: call ${span.attributes['rpc.method']}`;
  return `${service}: ${span.name}`;
}

const ms = (ns: bigint) => Number(ns) / 1e6;

/**
 * Collects spans as they arrive; `summary()` any time. A consumer span is matched with its
 * producer (its parent) for the Kafka wait between them, whichever arrives first.
 *
 * @example
 * const breakdown = createSpanBreakdown();
 * const receiver = await startOtlpReceiver({ onSpan: breakdown.add });
 */
export function createSpanBreakdown() {
  const durations = new Map<string, number[]>();
  const messages = new Set<string>();
  let spans = 0;
  const producers = new Map<string, { endNs: bigint; topic: string }>();
  const waiting = new Map<string, { startNs: bigint; service: string }[]>();
  const messageTraces = new Set<string>();
  // Spans of traces not (yet) known to carry a message, oldest first; most never will.
  const undecided = new Map<string, ReceivedSpan[]>();
  const maxUndecidedTraces = 20_000;

  const record = (hop: string, value: number) => {
    const list = durations.get(hop) ?? [];
    list.push(value);
    durations.set(hop, list);
  };
  const transit = (
    producer: { endNs: bigint; topic: string },
    consumer: { startNs: bigint; service: string },
  ) =>
    record(
      `kafka: ${producer.topic} → ${consumer.service}`,
      Math.max(0, ms(consumer.startNs - producer.endNs)),
    );

  function count(span: ReceivedSpan): void {
    const hop = hopOf(span);
    spans += 1;
    record(hop, ms(span.endNs - span.startNs));
    if (span.kind === kind.producer) {
      const producer = { endNs: span.endNs, topic: span.name.replace(/^send /, '') };
      const consumers = waiting.get(span.spanId);
      waiting.delete(span.spanId);
      if (consumers) for (const consumer of consumers) transit(producer, consumer);
      else producers.set(span.spanId, producer);
    } else if (span.kind === kind.consumer && span.parentSpanId) {
      const consumer = { startNs: span.startNs, service: hop.split(':')[0] as string };
      const producer = producers.get(span.parentSpanId);
      if (producer) transit(producer, consumer);
      else waiting.set(span.parentSpanId, [...(waiting.get(span.parentSpanId) ?? []), consumer]);
    }
  }

  return {
    add(span: ReceivedSpan): void {
      const messageId = span.attributes['parley.message_id'];
      if (messageId !== undefined) {
        messages.add(String(messageId));
        messageTraces.add(span.traceId);
        const earlier = undecided.get(span.traceId);
        undecided.delete(span.traceId);
        for (const other of earlier ?? []) count(other);
      }
      if (messageTraces.has(span.traceId)) {
        count(span);
        return;
      }
      const list = undecided.get(span.traceId);
      if (list) {
        list.push(span);
        return;
      }
      undecided.set(span.traceId, [span]);
      if (undecided.size > maxUndecidedTraces) undecided.delete(undecided.keys().next().value as string);
    },
    summary(): SpanBreakdown {
      const count = Math.max(1, messages.size);
      const hops = [...durations].map(([hop, values]) => {
        const stats = summarize(values);
        const total = values.reduce((sum, value) => sum + value, 0);
        return {
          hop,
          perMessage: values.length / count,
          p50Ms: stats.p50,
          p95Ms: stats.p95,
          msPerMessage: total / count,
        };
      });
      hops.sort((a, b) => b.msPerMessage - a.msPerMessage);
      return { messages: messages.size, spans, hops };
    },
  };
}
