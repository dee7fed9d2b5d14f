// Several ingress processes (`--ingress-pods`): which pod a device connects to, each pod's
// deliveries from its `/metrics`, and what deliveries cost per pod (bench/README.md, "Ingress
// pods"; the model in docs/scaling.md).
import type { ProcessUsage } from './process-sampler.js';
import { ratio } from './stats.js';

/**
 * The pod (0-based) device `device` of customer `customer` (of `devices` each) connects to among
 * `pods`: the devices in turn, so a customer's devices sit on different pods while there are as
 * many pods as devices (as a load balancer would spread them), and the pods hold as many each, ±1.
 *
 * @example
 * podOfDevice(0, 1, 2, 2) // 1: the customer's second device is on the other pod
 */
export function podOfDevice(customer: number, device: number, devices: number, pods: number): number {
  return (customer * devices + device) % pods;
}

/** What one pod's pod-events consumer did with deliveries so far (cumulative, from `/metrics`). */
export interface DeliveryCounters {
  /** `chat.deliveries.v1` records handled. */
  readonly handled: number;
  /** Their handling time summed (decode, contract check, push to the pod's sockets), seconds. */
  readonly seconds: number;
}

const labelPattern = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * Ingress's deliveries from its `/metrics` text: `parley_consumer_handling_seconds` `_count` and
 * `_sum` of consumer `pod-events`, topic `chat.deliveries.v1`, outcome `handled`. Zero when the
 * series is absent (nothing handled yet).
 *
 * @example
 * deliveryCounters('parley_consumer_handling_seconds_count{consumer="pod-events",topic="chat.deliveries.v1",outcome="handled"} 3\n').handled // 3
 */
export function deliveryCounters(metricsText: string): DeliveryCounters {
  let handled = 0;
  let seconds = 0;
  for (const line of metricsText.split('\n')) {
    const match = /^parley_consumer_handling_seconds_(count|sum)\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(labelPattern)].map((m) => [m[1], m[2]]));
    if (
      labels.consumer !== 'pod-events' ||
      labels.topic !== 'chat.deliveries.v1' ||
      labels.outcome !== 'handled'
    )
      continue;
    const value = Number(match[3]);
    if (!Number.isFinite(value)) continue;
    if (match[1] === 'count') handled += value;
    else seconds += value;
  }
  return { handled, seconds };
}

/** One pod's deliveries during a measurement (after − before); null when its metrics did not answer. */
export interface PodDeliveries {
  readonly name: string;
  readonly handled: number | null;
  readonly seconds: number | null;
}

/** Per-pod deliveries of a measurement from the counters read before and after it. */
export function deliveriesDuring(
  before: readonly { name: string; counters: DeliveryCounters | undefined }[],
  after: readonly { name: string; counters: DeliveryCounters | undefined }[],
): PodDeliveries[] {
  return after.map(({ name, counters }) => {
    const start = before.find((entry) => entry.name === name)?.counters;
    if (!start || !counters) return { name, handled: null, seconds: null };
    return { name, handled: counters.handled - start.handled, seconds: counters.seconds - start.seconds };
  });
}

/** One ingress pod during (a). */
export interface IngressPodRow {
  readonly name: string;
  /** Device streams the load generator holds on it. */
  readonly sockets: number;
  /** CPU % of a core during Parley's (a), and while idle (during the baseline's (a), no messages). */
  readonly cpuPercent: number | null;
  readonly idleCpuPercent: number | null;
  /** CPU ms per accepted message (of the whole system) during (a); `busy` minus the idle rate. */
  readonly cpuMsPerMessage: number | null;
  readonly busyCpuMsPerMessage: number | null;
  /** Deliveries its pod-events consumer handled during (a), per accepted message (1.00: all of them). */
  readonly deliveriesPerMessage: number | null;
  /** Handling time per delivery (decode, contract check, push), ms. */
  readonly handlingMsPerDelivery: number | null;
}

/** The ingress pods of (a): one row each, and the cluster's sums. */
export interface IngressPodsReport {
  readonly pods: readonly IngressPodRow[];
  /** Summed over the pods, per accepted message, ms. */
  readonly cluster: {
    readonly cpuMsPerMessage: number | null;
    readonly busyCpuMsPerMessage: number | null;
    /** Deliveries' handling time of every pod per accepted message: pods × per delivery. */
    readonly deliveryHandlingMsPerMessage: number | null;
  };
}

const sumOrNull = (values: readonly (number | null)[]) =>
  values.length > 0 && values.every((value) => value !== null)
    ? values.reduce<number>((sum, value) => sum + (value ?? 0), 0)
    : null;

/**
 * The ingress pods' figures of a measurement: each pod's CPU from the process sampler (`usage`
 * during Parley's run, `idleUsage` during the baseline's, when Parley handled no messages), its
 * deliveries and their handling time from its `/metrics`, per accepted message.
 */
export function ingressPodsReport(input: {
  pods: readonly { name: string; sockets: number }[];
  usage: readonly ProcessUsage[];
  idleUsage: readonly ProcessUsage[];
  deliveries: readonly PodDeliveries[];
  accepted: number;
}): IngressPodsReport {
  const { accepted } = input;
  const rows = input.pods.map(({ name, sockets }): IngressPodRow => {
    const busy = input.usage.find((entry) => entry.name === name);
    const idle = input.idleUsage.find((entry) => entry.name === name);
    const delivered = input.deliveries.find((entry) => entry.name === name);
    const cpuMs = busy?.cpuSeconds === null || busy?.cpuSeconds === undefined ? null : busy.cpuSeconds * 1000;
    const idlePercent = idle?.cpuPercent ?? null;
    // What the pod would have used idle over the same time (CPU % is CPU time over wall time).
    const busyPercent = busy?.cpuPercent ?? null;
    const idleMs =
      idlePercent === null || cpuMs === null || !busyPercent ? null : (cpuMs * idlePercent) / busyPercent;
    return {
      name,
      sockets,
      cpuPercent: busy?.cpuPercent ?? null,
      idleCpuPercent: idlePercent,
      cpuMsPerMessage: cpuMs === null ? null : ratio(cpuMs, accepted),
      busyCpuMsPerMessage: cpuMs === null || idleMs === null ? null : ratio(cpuMs - idleMs, accepted),
      deliveriesPerMessage:
        delivered?.handled === null || delivered?.handled === undefined
          ? null
          : ratio(delivered.handled, accepted),
      handlingMsPerDelivery:
        delivered?.handled && delivered.seconds !== null
          ? ratio(delivered.seconds * 1000, delivered.handled)
          : null,
    };
  });
  const handlingMs = input.pods.map(({ name }) => {
    const seconds = input.deliveries.find((entry) => entry.name === name)?.seconds;
    return seconds === null || seconds === undefined ? null : seconds * 1000;
  });
  const totalHandlingMs = sumOrNull(handlingMs);
  return {
    pods: rows,
    cluster: {
      cpuMsPerMessage: sumOrNull(rows.map((row) => row.cpuMsPerMessage)),
      busyCpuMsPerMessage: sumOrNull(rows.map((row) => row.busyCpuMsPerMessage)),
      deliveryHandlingMsPerMessage: totalHandlingMs === null ? null : ratio(totalHandlingMs, accepted),
    },
  };
}
