import { currentTraceparent, newTraceparent, parseTraceparent, runInTrace } from '@parley/ops';
import { describe, expect, it } from 'vitest';
import { cloudEventHeaders, readCloudEventHeaders } from './cloud-events.js';

describe('CloudEvents binary-mode headers', () => {
  it('round-trips the attributes through Kafka headers', () => {
    const headers = cloudEventHeaders({
      source: 'parley/ingress',
      type: 'parley.chat.message.received.v1',
      id: 'e1',
    });
    expect(headers).toMatchObject({ ce_specversion: '1.0', ce_id: 'e1', 'content-type': 'application/json' });
    const read = readCloudEventHeaders(
      Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])),
    );
    expect(read).toEqual({
      id: 'e1',
      source: 'parley/ingress',
      type: 'parley.chat.message.received.v1',
      time: headers.ce_time,
      traceparent: headers.traceparent,
    });
  });

  it('keeps a valid traceparent and replaces a malformed one', () => {
    const traceparent = newTraceparent();
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(cloudEventHeaders({ source: 's', type: 't', traceparent }).traceparent).toBe(traceparent);
    expect(cloudEventHeaders({ source: 's', type: 't', traceparent: 'garbage' }).traceparent).not.toBe(
      'garbage',
    );
  });

  it('sends on the current hop’s trace when none is given, else starts a new one', () => {
    const incoming = newTraceparent();
    runInTrace(incoming, () => {
      const headers = cloudEventHeaders({ source: 's', type: 't' });
      expect(headers.traceparent).toBe(currentTraceparent());
      expect(parseTraceparent(headers.traceparent)?.traceId).toBe(parseTraceparent(incoming)?.traceId);
    });
    const outside = cloudEventHeaders({ source: 's', type: 't' }).traceparent;
    expect(parseTraceparent(outside)?.traceId).not.toBe(parseTraceparent(incoming)?.traceId);
  });

  it('names the first problem of a record that is not a readable CloudEvent', () => {
    expect(readCloudEventHeaders(undefined)).toEqual({ problem: 'ce_specversion must be 1.0' });
    expect(readCloudEventHeaders({ ce_specversion: '1.0', 'content-type': 'text/plain' })).toEqual({
      problem: 'content-type must be application/json',
    });
    expect(
      readCloudEventHeaders({
        ce_specversion: '1.0',
        'content-type': 'application/json',
        ce_id: 'x',
        ce_source: 's',
      }),
    ).toEqual({
      problem: 'ce_type is missing',
    });
  });
});
