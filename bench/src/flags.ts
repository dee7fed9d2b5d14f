import { parseArgs } from 'node:util';
import { BenchError } from './bench-error.js';

export type Scenario = 'a' | 'b' | 'c' | 'd' | 'e';
const allScenarios: readonly Scenario[] = ['a', 'b', 'c', 'd', 'e'];

/** What one `npm run bench` does; every field has a flag. Times in seconds unless named `Ms`. */
export interface BenchOptions {
  /** Offered messages per second in (a), (d) and the baseline's steady run. */
  readonly rate: number;
  readonly customers: number;
  /** Devices (sessions, sockets) per customer; a message sent on one is awaited on another. */
  readonly devices: number;
  readonly duration: number;
  readonly warmup: number;
  /** Offered rates of the ramp (b), ascending. */
  readonly ramp: readonly number[];
  readonly stepDuration: number;
  /** Devices in the reconnect storm (c); more than the signed-in ones are signed in for it. */
  readonly stormDevices: number;
  /** Idle streams opened at ingress in (e) to measure its memory per connection. */
  readonly idleStreams: number;
  readonly scenarios: ReadonlySet<Scenario>;
  /** Latency added to the slow brand's customer-data endpoint in (d). */
  readonly slowMs: number;
  /** A ramp step is sustainable when its send → delivered p99 is at most this and nothing failed. */
  readonly p99LimitMs: number;
  /** How long to wait after a run's last send for its messages to arrive. */
  readonly drain: number;
  /** Output directory; `bench-results/<timestamp>` under the repository when not given. */
  readonly out: string | undefined;
  readonly cpuProf: boolean;
  /** The services export OpenTelemetry spans to the bench, which reports where a message's time goes per hop. */
  readonly spans: boolean;
  /** Functions listed per CPU profile. */
  readonly top: number;
  /** Ingress processes; the devices are spread over them, a customer's on different pods. */
  readonly ingressPods: number;
  /** More ingress processes that hold no streams: what reading every delivery costs a pod by itself. */
  readonly idleIngressPods: number;
}

export const defaultOptions: BenchOptions = {
  rate: 10,
  customers: 50,
  devices: 2,
  duration: 20,
  warmup: 5,
  ramp: [5, 10, 20, 40, 80, 160],
  stepDuration: 8,
  stormDevices: 1000,
  idleStreams: 2000,
  scenarios: new Set(allScenarios),
  slowMs: 500,
  p99LimitMs: 250,
  drain: 10,
  out: undefined,
  cpuProf: false,
  spans: false,
  top: 10,
  ingressPods: 1,
  idleIngressPods: 0,
};

export const usage = `npm run bench -- [flags]

  --rate <msg/s>         offered rate of (a), (d) and the baseline          (${defaultOptions.rate})
  --customers <n>        signed-in customers (the slow brand gets half as many) (${defaultOptions.customers})
  --devices <n>          devices per customer, at least 2                    (${defaultOptions.devices})
  --duration <s>         length of (a), (d) and the baseline's steady run    (${defaultOptions.duration})
  --warmup <s>           unmeasured load before the first scenario           (${defaultOptions.warmup})
  --ramp <r1,r2,...>     offered rates of the ramp (b), ascending            (${defaultOptions.ramp.join(',')})
  --step-duration <s>    length of each ramp step                            (${defaultOptions.stepDuration})
  --storm-devices <n>    devices in the reconnect storm (c)                  (${defaultOptions.stormDevices})
  --idle-streams <n>     idle streams opened for ingress's memory (e)        (${defaultOptions.idleStreams})
  --scenarios <list>     any of a,b,c,d,e                                    (a,b,c,d,e)
  --slow-ms <ms>         customer-data delay of the slow brand in (d)        (${defaultOptions.slowMs})
  --p99-limit <ms>       p99 (send → delivered) a sustainable step stays under (${defaultOptions.p99LimitMs})
  --drain <s>            wait for late messages after each run               (${defaultOptions.drain})
  --out <dir>            output directory             (bench-results/<timestamp>)
  --cpu-prof             run the services with --cpu-prof; summarize the hottest one
  --spans                the services export spans to the bench: time per hop per message
  --top <n>              functions listed from a CPU profile                 (${defaultOptions.top})
  --ingress-pods <n>     ingress processes, devices spread over them, 1 to 8 (${defaultOptions.ingressPods})
  --idle-ingress-pods <n> more ingress processes holding no streams, 0 to 8 (${defaultOptions.idleIngressPods})
  --help                 this text
`;

function number(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    throw new BenchError(
      'invalid_flag',
      `--${flag} must be a whole number from ${min} to ${max}, got "${raw}"`,
    );
  }
  return value;
}

function rampSteps(raw: string | undefined): readonly number[] {
  if (raw === undefined) return defaultOptions.ramp;
  const steps = raw.split(',').map((step) => Number(step.trim()));
  if (
    steps.length === 0 ||
    steps.some((step) => !Number.isInteger(step) || step < 1 || step > 5000) ||
    steps.some((step, index) => index > 0 && step <= (steps[index - 1] as number))
  ) {
    throw new BenchError(
      'invalid_flag',
      `--ramp must be ascending whole rates from 1 to 5000 separated by commas, got "${raw}"`,
    );
  }
  return steps;
}

function scenarioSet(raw: string | undefined): ReadonlySet<Scenario> {
  if (raw === undefined) return defaultOptions.scenarios;
  const names = raw
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !allScenarios.includes(name as Scenario));
  if (names.length === 0 || unknown.length > 0) {
    throw new BenchError('invalid_flag', `--scenarios must list some of a,b,c,d,e, got "${raw}"`);
  }
  return new Set(names as Scenario[]);
}

/**
 * The options of one run from its command-line flags (after `--`); `help` when `--help` was given.
 * Throws `BenchError` `invalid_flag` naming the flag.
 *
 * @example
 * parseBenchFlags(['--rate', '100', '--scenarios', 'a,c']).options?.rate // 100
 */
export function parseBenchFlags(
  argv: readonly string[],
): { help: true } | { help: false; options: BenchOptions } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        rate: { type: 'string' },
        customers: { type: 'string' },
        devices: { type: 'string' },
        duration: { type: 'string' },
        warmup: { type: 'string' },
        ramp: { type: 'string' },
        'step-duration': { type: 'string' },
        'storm-devices': { type: 'string' },
        'idle-streams': { type: 'string' },
        scenarios: { type: 'string' },
        'slow-ms': { type: 'string' },
        'p99-limit': { type: 'string' },
        drain: { type: 'string' },
        out: { type: 'string' },
        'cpu-prof': { type: 'boolean' },
        spans: { type: 'boolean' },
        top: { type: 'string' },
        'ingress-pods': { type: 'string' },
        'idle-ingress-pods': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new BenchError('invalid_flag', `${(error as Error).message} (see --help)`, { cause: error });
  }
  if (values.help) return { help: true };
  const text = (name: string) => values[name] as string | undefined;
  const d = defaultOptions;
  return {
    help: false,
    options: {
      rate: number('rate', text('rate'), d.rate, 1, 5000),
      customers: number('customers', text('customers'), d.customers, 1, 5000),
      devices: number('devices', text('devices'), d.devices, 2, 10),
      duration: number('duration', text('duration'), d.duration, 1, 3600),
      warmup: number('warmup', text('warmup'), d.warmup, 0, 600),
      ramp: rampSteps(text('ramp')),
      stepDuration: number('step-duration', text('step-duration'), d.stepDuration, 1, 600),
      stormDevices: number('storm-devices', text('storm-devices'), d.stormDevices, 1, 10_000),
      idleStreams: number('idle-streams', text('idle-streams'), d.idleStreams, 1, 20_000),
      scenarios: scenarioSet(text('scenarios')),
      slowMs: number('slow-ms', text('slow-ms'), d.slowMs, 0, 10_000),
      p99LimitMs: number('p99-limit', text('p99-limit'), d.p99LimitMs, 1, 60_000),
      drain: number('drain', text('drain'), d.drain, 1, 600),
      out: text('out'),
      cpuProf: values['cpu-prof'] === true,
      spans: values.spans === true,
      top: number('top', text('top'), d.top, 1, 200),
      ingressPods: number('ingress-pods', text('ingress-pods'), d.ingressPods, 1, 8),
      idleIngressPods: number('idle-ingress-pods', text('idle-ingress-pods'), d.idleIngressPods, 0, 8),
    },
  };
}
