import { describe, expect, it } from 'vitest';
import { createSpanBreakdown, hopOf } from './span-breakdown.js';
import type { ReceivedSpan } from './span-receiver.js';

function span(fields: Partial<ReceivedSpan> & Pick<ReceivedSpan, 'name' | 'kind' | 'spanId'>): ReceivedSpan {
  return {
    traceId: 't'.repeat(32),
    parentSpanId: undefined,
    startNs: 0n,
    endNs: 0n,
    status: {},
    serviceName: 'parley-ingress',
    ...fields,
    attributes: { 'parley.message_id': 'm-1', ...fields.attributes },
  };
}

describe('span breakdown', () => {
  it('names hops by service, groups statements and brand calls, and skips spans of no message', () => {
    expect(hopOf(span({ name: 'POST /v1/messages', kind: 2, spanId: 'a' }))).toBe(
      'ingress: POST /v1/messages',
    );
    expect(
      hopOf(span({ name: 'find session', kind: 3, spanId: 'b', attributes: { 'db.system': 'postgresql' } })),
    ).toBe('ingress: store statements');
    expect(hopOf(span({ name: 'brand GET', kind: 3, spanId: 'c', serviceName: 'parley-enrichment' }))).toBe(
      'enrichment: brand calls',
    );
    expect(
      hopOf(
        span({
          name: 'parley.auth.v1.AuthService/AuthorizeSession',
          kind: 3,
          spanId: 'd',
          attributes: { 'rpc.system': 'grpc', 'rpc.method': 'AuthorizeSession' },
        }),
      ),
    ).toBe('ingress: call AuthorizeSession');
  });

  it('counts the spans of a message’s trace started before it had its id, and no other trace', () => {
    const breakdown = createSpanBreakdown();
    const before = span({ name: 'parley.auth.v1.AuthService/AuthorizeSession', kind: 2, spanId: 'a' });
    breakdown.add({ ...before, serviceName: 'parley-auth', endNs: 5_000_000n, attributes: {} });
    breakdown.add({ ...before, spanId: 'o', traceId: 'o'.repeat(32), attributes: {} }); // a sign-in's
    breakdown.add(span({ name: 'WebSocket send', kind: 2, spanId: 'w', endNs: 9_000_000n }));
    const after = span({ name: 'brand POST', kind: 3, spanId: 'b', serviceName: 'parley-auth' });
    breakdown.add({ ...after, endNs: 1_000_000n, attributes: {} });
    expect(breakdown.summary()).toMatchObject({
      messages: 1,
      spans: 3,
      hops: [
        { hop: 'ingress: WebSocket send', msPerMessage: 9 },
        { hop: 'auth: parley.auth.v1.AuthService/AuthorizeSession', msPerMessage: 5 },
        { hop: 'auth: brand calls', msPerMessage: 1 },
      ],
    });
  });

  it('times every hop per message and the Kafka wait between a producer and its consumers', () => {
    const breakdown = createSpanBreakdown();
    // The consumer's export may arrive before its producer's.
    breakdown.add(
      span({
        name: 'process chat.messages.received.v1',
        kind: 5,
        spanId: 'c1',
        parentSpanId: 'p1',
        startNs: 7_000_000n,
        endNs: 10_000_000n,
        serviceName: 'parley-enrichment',
      }),
    );
    breakdown.add(
      span({
        name: 'send chat.messages.received.v1',
        kind: 4,
        spanId: 'p1',
        startNs: 1_000_000n,
        endNs: 3_000_000n,
      }),
    );
    breakdown.add(
      span({
        name: 'send chat.messages.received.v1',
        kind: 4,
        spanId: 'p2',
        startNs: 0n,
        endNs: 4_000_000n,
        attributes: { 'parley.message_id': 'm-2' },
      }),
    );
    const summary = breakdown.summary();
    expect(summary).toMatchObject({ messages: 2, spans: 3 });
    expect(summary.hops).toEqual([
      { hop: 'ingress: send chat.messages.received.v1', perMessage: 1, p50Ms: 2, p95Ms: 4, msPerMessage: 3 },
      {
        hop: 'kafka: chat.messages.received.v1 → enrichment',
        perMessage: 0.5,
        p50Ms: 4,
        p95Ms: 4,
        msPerMessage: 2,
      },
      {
        hop: 'enrichment: process chat.messages.received.v1',
        perMessage: 0.5,
        p50Ms: 3,
        p95Ms: 3,
        msPerMessage: 1.5,
      },
    ]);
  });
});
