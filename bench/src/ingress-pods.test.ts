import { describe, expect, it } from 'vitest';
import { deliveriesDuring, deliveryCounters, ingressPodsReport, podOfDevice } from './ingress-pods.js';
import type { ProcessUsage } from './process-sampler.js';
import { ingressPodsTable } from './report-table.js';

describe('spreading devices over ingress pods', () => {
  it("puts a customer's devices on different pods, and every pod gets as many", () => {
    for (const [pods, devices] of [
      [1, 2],
      [2, 2],
      [3, 2],
      [4, 2],
      [4, 3],
    ] as const) {
      const perPod = Array.from({ length: pods }, () => 0);
      for (let customer = 0; customer < 50; customer += 1) {
        const of = Array.from({ length: devices }, (_, device) =>
          podOfDevice(customer, device, devices, pods),
        );
        expect(new Set(of).size).toBe(Math.min(devices, pods));
        for (const pod of of) perPod[pod] = (perPod[pod] ?? 0) + 1;
      }
      expect(perPod.reduce((sum, count) => sum + count, 0)).toBe(50 * devices);
      expect(Math.max(...perPod) - Math.min(...perPod)).toBeLessThanOrEqual(1);
    }
  });
});

const metrics = `# HELP parley_consumer_handling_seconds Time from a record's start (decoding) to its outcome, retries included.
# TYPE parley_consumer_handling_seconds histogram
parley_consumer_handling_seconds_bucket{le="0.001",consumer="pod-events",topic="chat.deliveries.v1",outcome="handled",service="ingress",version="1"} 390
parley_consumer_handling_seconds_sum{consumer="pod-events",topic="chat.deliveries.v1",outcome="handled",service="ingress",version="1"} 0.125
parley_consumer_handling_seconds_count{consumer="pod-events",topic="chat.deliveries.v1",outcome="handled",service="ingress",version="1"} 400
parley_consumer_handling_seconds_sum{consumer="pod-events",topic="chat.deliveries.v1",outcome="dead_lettered",service="ingress",version="1"} 9
parley_consumer_handling_seconds_count{consumer="pod-events",topic="chat.deliveries.v1",outcome="dead_lettered",service="ingress",version="1"} 1
parley_consumer_handling_seconds_sum{consumer="pod-events",topic="chat.sessions.ended.v1",outcome="handled",service="ingress",version="1"} 3
parley_consumer_handling_seconds_count{consumer="pod-events",topic="chat.sessions.ended.v1",outcome="handled",service="ingress",version="1"} 7
parley_consumer_records_total{consumer="pod-events",topic="chat.deliveries.v1",outcome="handled",service="ingress",version="1"} 400
`;

describe("a pod's deliveries from its /metrics", () => {
  it('reads the handled deliveries of the pod-events consumer and their handling time only', () => {
    expect(deliveryCounters(metrics)).toEqual({ handled: 400, seconds: 0.125 });
  });

  it('is zero before the first delivery (no series yet)', () => {
    expect(deliveryCounters('nodejs_heap_size_used_bytes 1\n')).toEqual({ handled: 0, seconds: 0 });
  });

  it('takes the difference per pod, and none for a pod that did not answer', () => {
    const during = deliveriesDuring(
      [
        { name: 'ingress', counters: { handled: 100, seconds: 0.05 } },
        { name: 'ingress-2', counters: { handled: 90, seconds: 0.04 } },
        { name: 'ingress-3', counters: undefined },
      ],
      [
        { name: 'ingress', counters: { handled: 500, seconds: 0.25 } },
        { name: 'ingress-2', counters: undefined },
        { name: 'ingress-3', counters: { handled: 1, seconds: 1 } },
      ],
    );
    expect(during[0]).toEqual({ name: 'ingress', handled: 400, seconds: expect.closeTo(0.2, 9) });
    expect(during.slice(1)).toEqual([
      { name: 'ingress-2', handled: null, seconds: null },
      { name: 'ingress-3', handled: null, seconds: null },
    ]);
  });
});

const usage = (name: string, cpuPercent: number, cpuSeconds: number): ProcessUsage => ({
  name,
  pid: 1,
  cpuPercent,
  cpuSeconds,
  rssMaxMb: 100,
  rssMeanMb: 100,
});

describe('the ingress pods of (a)', () => {
  // 400 messages over 20 s: each pod at 10% busy (2 s), 2% idle.
  const report = ingressPodsReport({
    pods: [
      { name: 'ingress', sockets: 50 },
      { name: 'ingress-2', sockets: 50 },
    ],
    usage: [usage('ingress', 10, 2), usage('ingress-2', 10, 2), usage('auth', 50, 10)],
    idleUsage: [usage('ingress', 2, 0.4), usage('ingress-2', 2, 0.4)],
    deliveries: [
      { name: 'ingress', handled: 400, seconds: 0.2 },
      { name: 'ingress-2', handled: 400, seconds: 0.1 },
    ],
    accepted: 400,
  });

  it('gives per pod its CPU per message, what idling would have cost taken off, and its deliveries', () => {
    expect(report.pods[0]).toEqual({
      name: 'ingress',
      sockets: 50,
      cpuPercent: 10,
      idleCpuPercent: 2,
      cpuMsPerMessage: 5,
      // 2 s busy, 0.4 s of it idle work over the same 20 s.
      busyCpuMsPerMessage: 4,
      deliveriesPerMessage: 1,
      handlingMsPerDelivery: 0.5,
    });
    expect(report.pods[1]?.handlingMsPerDelivery).toBe(0.25);
  });

  it('sums the pods: every pod handles every delivery', () => {
    expect(report.cluster).toEqual({
      cpuMsPerMessage: 10,
      busyCpuMsPerMessage: 8,
      deliveryHandlingMsPerMessage: expect.closeTo(0.75, 9),
    });
  });

  it('has no figure where a pod was not measured, and no sum then', () => {
    const partial = ingressPodsReport({
      pods: [
        { name: 'ingress', sockets: 1 },
        { name: 'ingress-2', sockets: 1 },
      ],
      usage: [usage('ingress', 10, 2)],
      idleUsage: [],
      deliveries: [{ name: 'ingress', handled: 0, seconds: 0 }],
      accepted: 400,
    });
    expect(partial.pods[0]).toMatchObject({ busyCpuMsPerMessage: null, handlingMsPerDelivery: null });
    expect(partial.pods[1]).toMatchObject({ cpuMsPerMessage: null, deliveriesPerMessage: null });
    expect(partial.cluster).toEqual({
      cpuMsPerMessage: null,
      busyCpuMsPerMessage: null,
      deliveryHandlingMsPerMessage: null,
    });
  });

  it('prints one row per pod and the sums', () => {
    const text = ingressPodsTable(report);
    expect(text).toMatch(
      /pod\s+streams\s+CPU %\s+idle %\s+ms\/msg\s+busy ms\/msg\s+deliveries\/msg\s+ms\/delivery/,
    );
    expect(text).toMatch(/ingress\s+50\s+10\.0\s+2\.0\s+5\.00\s+4\.00\s+1\.00\s+0\.500/);
    expect(text).toMatch(/ingress-2\s+50\s+10\.0\s+2\.0\s+5\.00\s+4\.00\s+1\.00\s+0\.250/);
    expect(text).toContain(
      "all pods: 10.00 ms CPU per message (busy 8.00), deliveries' handling 0.750 ms per message",
    );
  });
});
