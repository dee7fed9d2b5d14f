import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchSystem } from './bench-system.js';
import type { BenchOptions } from './flags.js';
import { createMemoryProbe, type PerConnection, perConnection } from './ingress-memory.js';
import { deliveriesDuring, type PodDeliveries } from './ingress-pods.js';
import type {
  BaselineCommand,
  BaselineReply,
  BrandLabel,
  LoadCommand,
  LoadReply,
  RunRequest,
  RunResult,
  StormResult,
} from './load-protocol.js';
import type { ProcessUsage } from './process-sampler.js';
import { runStats, stepPasses } from './stats.js';
import { type StoreActivity, storeActivity } from './store-metrics.js';
import type { WorkerLink } from './worker-link.js';

/** Requests a brand served during a measurement. */
export interface BrandCalls {
  readonly introspection: number;
  readonly userinfo: number;
}

/** A measurement with the CPU/RSS of every process, the brand calls and the store's statements meanwhile. */
export interface Measured<T> {
  readonly value: T;
  readonly usage: readonly ProcessUsage[];
  readonly calls: Partial<Record<BrandLabel, BrandCalls>>;
  /** Statements (or transactions) the store counted, by service; undefined when it did not answer. */
  readonly store: StoreActivity | undefined;
  /** Records the services had not consumed yet when it started (0: a quiet pipeline). */
  readonly backlogAtStart: number;
  /** Deliveries each ingress pod's pod-events consumer handled meanwhile, with their handling time. */
  readonly deliveries: readonly PodDeliveries[];
}

export interface ScenarioResults {
  /** Brand round trips, one call at a time, before any load (ms). */
  idleBrandRtt?: { introspection: readonly number[]; userinfo: readonly number[] };
  a?: { parley: Measured<RunResult>; baseline: Measured<RunResult> };
  b?: { parley: Measured<RunResult>[]; baseline: Measured<RunResult>[] };
  c?: Measured<StormResult>;
  d?: Measured<RunResult>;
  e?: IdleMemory;
}

/** Ingress's memory before and after idle streams were opened (scenario e). */
export interface IdleMemory {
  readonly requested: number;
  readonly memory: PerConnection;
  /** Whether each sample followed a forced full GC (through ingress's inspector). */
  readonly forcedGc: boolean;
  readonly errors: Readonly<Record<string, number>>;
}

export interface ScenarioContext {
  readonly options: BenchOptions;
  readonly system: BenchSystem;
  readonly load: WorkerLink<LoadCommand, LoadReply>;
  readonly baseline: WorkerLink<BaselineCommand, BaselineReply>;
  readonly measure: () => { end(): ProcessUsage[] };
  readonly say: (line: string) => void;
}

/**
 * The baseline ramps over the same steps and, when it passes them all, doubles at most twice
 * more, so its limit is measured rather than only bounded.
 */
export function baselineRamp(steps: readonly number[]): number[] {
  const last = steps[steps.length - 1] ?? 1;
  return [...steps, last * 2, last * 4];
}

const ms = (value: number | null) => (value === null ? '-' : `${Math.round(value)} ms`);

function describe(run: RunResult): string {
  const stats = runStats(run);
  return `accepted ${stats.acceptedPerSecond.toFixed(1)}/s, delivered p50 ${ms(stats.delivered.p50)} p99 ${ms(stats.delivered.p99)}, errors ${stats.errorCount}`;
}

/** Runs the selected scenarios in order, each Parley measurement next to its baseline. */
export async function runScenarios(context: ScenarioContext): Promise<ScenarioResults> {
  const { options, system, load, baseline, say } = context;
  const results: ScenarioResults = {};
  let nextId = 0;
  const drainMs = options.drain * 1000;

  function brandCalls(): Partial<Record<BrandLabel, BrandCalls>> {
    const calls: Partial<Record<BrandLabel, BrandCalls>> = {};
    for (const brand of [system.brands.fast, system.brands.slow]) {
      if (!brand) continue;
      calls[brand.label] = {
        introspection: brand.server.calls.get('/token/introspection') ?? 0,
        userinfo: brand.server.calls.get('/me') ?? 0,
      };
    }
    return calls;
  }

  async function measured<T>(work: () => Promise<T>): Promise<Measured<T>> {
    // What an earlier measurement left in the pipeline is not this one's.
    const backlogAtStart = await system.waitUntilDrained(drainMs);
    if (backlogAtStart > 0)
      say(`    (starting with ${backlogAtStart} records of backlog after waiting ${options.drain} s)`);
    const before = brandCalls();
    const storeBefore = await system.store.read();
    const deliveriesBefore = await system.readDeliveries();
    const segment = context.measure();
    const value = await work();
    const usage = segment.end();
    const after = brandCalls();
    const storeAfter = await system.store.read();
    const deliveries = deliveriesDuring(deliveriesBefore, await system.readDeliveries());
    const calls: Partial<Record<BrandLabel, BrandCalls>> = {};
    for (const label of Object.keys(after) as BrandLabel[]) {
      calls[label] = {
        introspection: (after[label]?.introspection ?? 0) - (before[label]?.introspection ?? 0),
        userinfo: (after[label]?.userinfo ?? 0) - (before[label]?.userinfo ?? 0),
      };
    }
    const store =
      storeBefore && storeAfter ? storeActivity(storeBefore, storeAfter, system.store.labels) : undefined;
    return { value, usage, calls, store, backlogAtStart, deliveries };
  }

  const request = (
    label: string,
    rate: number,
    seconds: number,
    brands: BrandLabel[] = ['fast'],
  ): RunRequest => ({
    label,
    rate,
    durationMs: seconds * 1000,
    drainMs,
    brands,
  });
  const parley = (run: RunRequest) =>
    measured(async () => (await load.request({ type: 'run', id: ++nextId, ...run }, 'ran')).result);
  const physical = (run: RunRequest) =>
    measured(async () => (await baseline.request({ type: 'run', id: ++nextId, ...run }, 'ran')).result);

  say('brand round trips, idle (50 × introspection + userinfo, after 10 unmeasured)');
  await baseline.request({ type: 'probe', id: ++nextId, count: 10 }, 'probed');
  const probe = await baseline.request({ type: 'probe', id: ++nextId, count: 50 }, 'probed');
  results.idleBrandRtt = { introspection: probe.introspection, userinfo: probe.userinfo };

  if (options.warmup > 0) {
    say(`warm-up: ${options.rate} msg/s for ${options.warmup} s (not measured)`);
    await load.request(
      { type: 'run', id: ++nextId, ...request('warm-up', options.rate, options.warmup) },
      'ran',
    );
  }

  if (options.scenarios.has('a')) {
    say(`(a) steady: ${options.rate} msg/s for ${options.duration} s`);
    const parleyRun = await parley(request('a', options.rate, options.duration));
    say(`    Parley:   ${describe(parleyRun.value)}`);
    const baselineRun = await physical(request('a baseline', options.rate, options.duration));
    say(`    baseline: ${describe(baselineRun.value)}`);
    results.a = { parley: parleyRun, baseline: baselineRun };
  }

  if (options.scenarios.has('b')) {
    const ramp = async (runner: typeof parley, who: string, rates: readonly number[]) => {
      const steps: Measured<RunResult>[] = [];
      for (const rate of rates) {
        const step = await runner(request(`b ${who} ${rate}/s`, rate, options.stepDuration));
        steps.push(step);
        const passes = stepPasses(runStats(step.value), options.p99LimitMs);
        say(`    ${who} ${rate} msg/s: ${describe(step.value)}${passes ? '' : '  <- over the limit'}`);
        if (!passes) break;
      }
      return steps;
    };
    say(
      `(b) ramp: ${options.ramp.join(', ')} msg/s, ${options.stepDuration} s each, until p99 > ${options.p99LimitMs} ms or errors`,
    );
    const parleySteps = await ramp(parley, 'Parley', options.ramp);
    const baselineSteps = await ramp(physical, 'baseline', baselineRamp(options.ramp));
    results.b = { parley: parleySteps, baseline: baselineSteps };
  }

  if (options.scenarios.has('c')) {
    const more = Math.max(0, options.stormDevices - system.customers.length * options.devices);
    if (more > 0) {
      const started = performance.now();
      say(`(c) signing in ${more} more devices of the fast brand's customers for the storm`);
      const tokens = await system.signInMoreDevices(more);
      await load.request({ type: 'add-devices', tokens }, 'devices-added');
      say(`    signed in and connected in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    say(`(c) reconnect storm: ${options.stormDevices} devices at once`);
    results.c = await measured(
      async () =>
        (
          await load.request(
            { type: 'storm', id: ++nextId, timeoutMs: 60_000, count: options.stormDevices },
            'stormed',
          )
        ).result,
    );
    // Their streams would re-check their sessions every minute during the next scenarios.
    if (more > 0) await load.request({ type: 'close-added-devices' }, 'added-devices-closed');
    const storm = results.c.value;
    say(`    ${storm.syncMs.length}/${storm.devices} resumed, all in ${ms(storm.allSyncedMs)}`);
  }

  const slow = system.brands.slow;
  if (options.scenarios.has('d') && slow) {
    say(`(d) slow brand: customer data +${options.slowMs} ms at one brand, ${options.rate} msg/s over both`);
    slow.server.delays.set('/me', options.slowMs);
    try {
      results.d = await parley(request('d', options.rate, options.duration, ['fast', 'slow']));
    } finally {
      slow.server.delays.delete('/me');
    }
    const fast = runStats(results.d.value, 'fast');
    const slowStats = runStats(results.d.value, 'slow');
    say(
      `    fast brand delivered p50 ${ms(fast.delivered.p50)} p99 ${ms(fast.delivered.p99)}; slow brand p50 ${ms(slowStats.delivered.p50)} p99 ${ms(slowStats.delivered.p99)}`,
    );
  }
  if (options.scenarios.has('e')) results.e = await idleMemory(context, () => ++nextId);
  return results;
}

/** (e): ingress's RSS and V8 heap before and after `--idle-streams` idle streams, per stream. */
async function idleMemory(context: ScenarioContext, nextId: () => number): Promise<IdleMemory> {
  const { options, system, load, say } = context;
  const ingress = system.processes().find((entry) => entry.name === 'ingress');
  if (!ingress) throw new Error('ingress is not running');
  const probe = createMemoryProbe({
    pid: ingress.pid,
    metricsUrl: `${system.ingressOps.url}/metrics`,
    ...(system.ingressOps.inspectPort ? { inspectPort: system.ingressOps.inspectPort } : {}),
  });
  const gc = probe.forcedGc ? 'after a forced GC each' : 'without forced GC';
  try {
    say(`(e) idle streams: ingress's memory before and after ${options.idleStreams} idle streams`);
    await system.waitUntilDrained(options.drain * 1000);
    await sleep(2000);
    const before = await probe.samples(5, 1000);
    const opened = await load.request(
      { type: 'open-idle', id: nextId(), count: options.idleStreams, timeoutMs: 60_000 },
      'idle-opened',
    );
    await sleep(3000); // settle: the streams' first session checks and buffers
    const after = await probe.samples(5, 1000);
    await load.request({ type: 'close-idle', id: nextId() }, 'idle-closed');
    const memory = perConnection(before, after, opened.opened);
    const kb = (bytes: number | null) => (bytes === null ? '-' : `${(bytes / 1024).toFixed(1)} KB`);
    say(
      `    ${opened.opened}/${options.idleStreams} open; per stream RSS ${kb(memory.rssBytes)}, heap ${kb(memory.heapUsedBytes)} (medians of 5 samples, ${gc})`,
    );
    return { requested: options.idleStreams, memory, forcedGc: probe.forcedGc, errors: opened.errors };
  } finally {
    await probe.close();
  }
}
