import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchError } from './bench-error.js';
import { startBenchSystem } from './bench-system.js';
import type { Cleanup } from './cleanup.js';
import { type CpuProfile, type ProfileSummary, summarizeCpuProfile } from './cpu-profile.js';
import type { BenchOptions } from './flags.js';
import type { BaselineCommand, BaselineReply, LoadCommand, LoadReply } from './load-protocol.js';
import { mapConcurrent } from './pacing.js';
import { brandAccessToken } from './parley-setup.js';
import { createProcessSampler } from './process-sampler.js';
import { type BenchReport, buildReport } from './report.js';
import { rampChart, timelineChart, timelineOf } from './report-chart.js';
import { runScenarios } from './scenarios.js';
import { forkWorker } from './worker-link.js';

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

/** `2025-01-31T12-00-00`: sortable, and valid in file names everywhere. */
export const timestampDir = (date: Date) => date.toISOString().slice(0, 19).replace(/:/g, '-');

function clockTicksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/**
 * Formats a written file as the repository's formatter would, so `biome check .` (part of
 * `npm test`) stays clean while results sit in the work tree. Best effort.
 */
function formatLikeTheRepository(file: string) {
  const biome = join(repositoryRoot, 'node_modules/@biomejs/biome/bin/biome');
  if (existsSync(biome))
    spawnSync(process.execPath, [biome, 'format', '--write', file], { cwd: repositoryRoot, stdio: 'ignore' });
}

function summarizeProfiles(dir: string, top: number): BenchReport['profiles'] {
  const byService: Record<string, ProfileSummary> = {};
  // One profile per process: `ingress-2.cpuprofile` is the second ingress pod's (--ingress-pods).
  const files = existsSync(dir) ? readdirSync(dir).filter((file) => file.endsWith('.cpuprofile')) : [];
  for (const file of files) {
    const name = file.slice(0, -'.cpuprofile'.length);
    byService[name] = summarizeCpuProfile(
      JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile,
      top,
    );
  }
  const hottest = Object.entries(byService).sort(([, a], [, b]) => b.busyMs - a.busyMs)[0]?.[0];
  return hottest ? { hottest, byService } : undefined;
}

/**
 * One benchmark run: starts the system, the load generator and the baseline (forked processes),
 * runs the scenarios, and writes `report.json` and `latency.svg` into the output directory.
 * Everything started is registered with `cleanup`, which the caller runs (also on Ctrl-C).
 */
export async function runBench(
  options: BenchOptions,
  context: { say: (line: string) => void; cleanup: Cleanup },
): Promise<{ report: BenchReport; out: string }> {
  const { say, cleanup } = context;
  const startedAt = new Date();
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadAverage: loadavg(),
  };
  const out = resolve(options.out ?? join(repositoryRoot, 'bench-results', timestampDir(startedAt)));
  mkdirSync(out, { recursive: true });
  say(`results go to ${out}`);

  let serviceFailed: (error: BenchError) => void = () => {};
  const failure = new Promise<never>((_, reject) => {
    serviceFailed = reject;
  });

  async function work() {
    const system = await startBenchSystem(options, { out, cleanup, say, onServiceExit: serviceFailed });
    const warnings: string[] = [];
    const load = forkWorker<LoadCommand, LoadReply>(
      new URL('./load-generator.js', import.meta.url),
      'the load generator',
      'load_generator_failed',
    );
    cleanup.defer('the load generator', () => load.stop({ type: 'stop' }));
    const baseline = forkWorker<BaselineCommand, BaselineReply>(
      new URL('./baseline.js', import.meta.url),
      'the baseline',
      'baseline_failed',
    );
    cleanup.defer('the baseline', () => baseline.stop({ type: 'stop' }));

    // The pods after --ingress-pods (--idle-ingress-pods) hold no streams.
    const streamPods = system.ingressPods.slice(0, options.ingressPods);
    say(
      `opening ${system.customers.length * options.devices} device streams${streamPods.length > 1 ? ` over ${streamPods.length} ingress pods` : ''} and the bot consumer`,
    );
    const connected = await load.request(
      {
        type: 'connect',
        streamUrls: streamPods.map((pod) => `${pod.url.replace(/^http/, 'ws')}/v1/stream`),
        customers: system.customers,
        kafka: {
          brokers: system.brokers,
          enrichedTopic: `${system.topicPrefix}chat.messages.enriched.v1`,
          groupId: `bench-bot-${system.runId}`,
          sasl: system.kafkaSasl,
        },
      },
      'connected',
    );
    const { server } = system.brands.fast;
    const accessTokens = await mapConcurrent(
      Array.from({ length: options.customers }, (_, index) => `fast-${index + 1}`),
      8,
      (sub) => brandAccessToken(server, sub),
    );
    await baseline.request(
      {
        type: 'start',
        setup: {
          brand: {
            introspection: server.endpoints.introspection,
            userinfo: server.endpoints.userinfo,
            clientId: server.client.clientId,
            clientSecret: server.client.clientSecret,
          },
          accessTokens,
          kafka: {
            brokers: system.brokers,
            topic: `${system.topicPrefix}bench.baseline`,
            groupId: `bench-baseline-${system.runId}`,
            sasl: system.kafkaSasl,
          },
          postgres: { url: system.postgres.adminUrl, schema: system.postgres.baselineSchema },
        },
      },
      'ready',
    );

    const sampler = createProcessSampler({
      processes: () => [
        ...system.processes(),
        { name: 'load generator', pid: load.pid },
        { name: 'baseline', pid: baseline.pid },
        { name: 'bench + brands', pid: process.pid },
      ],
      ticksPerSecond: clockTicksPerSecond(),
    });
    cleanup.defer('the process sampler', async () => sampler.stop());

    const results = await runScenarios({
      options,
      system,
      load,
      baseline,
      measure: () => sampler.measure(),
      say,
    });

    const report = buildReport({
      options,
      results,
      startedAt,
      finishedAt: new Date(),
      machine,
      infrastructure: system.infraDescription,
      store: { counted: system.store.counted, notes: system.store.notes },
      warnings,
      ingressPods: system.ingressPods.map((pod, index) => ({
        name: pod.name,
        sockets: connected.perPod[index] ?? 0,
      })),
    });
    if (system.spans) {
      // The services export every second (OTEL_BSP_SCHEDULE_DELAY): wait for the last batch.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      report.spans = system.spans.summary();
    }
    const timeline = results.a || results.b || results.d ? timelineOf(results) : undefined;
    report.charts = [];
    if (timeline) {
      writeFileSync(join(out, 'latency.svg'), timelineChart(timeline, options.p99LimitMs));
      report.charts.push('latency.svg');
    }
    if (report.b) {
      writeFileSync(join(out, 'ramp.svg'), rampChart(report.b));
      report.charts.push('ramp.svg');
    }
    if (options.cpuProf) {
      say('stopping the services to write their CPU profiles');
      await load.stop({ type: 'stop' });
      await system.stopServices();
      report.profiles = summarizeProfiles(join(out, 'profiles'), options.top);
    }
    writeFileSync(join(out, 'report.json'), `${JSON.stringify({ ...report, timeline }, null, 2)}\n`);
    formatLikeTheRepository(join(out, 'report.json'));
    return { report, out };
  }

  return Promise.race([work(), failure]);
}
