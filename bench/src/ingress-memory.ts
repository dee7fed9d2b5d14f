import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { parseProcMemory } from './process-sampler.js';
import { percentile } from './stats.js';

/** Ingress's memory at one moment, bytes. */
export interface MemorySample {
  /** Resident set size from `/proc/<pid>/status`. */
  readonly rssBytes: number;
  /** V8 heap in use: `nodejs_heap_size_used_bytes` of its `/metrics` (prom-client's default metrics). */
  readonly heapUsedBytes: number | null;
}

/** Memory per idle connection: (median after − median before) ÷ connections, bytes. */
export interface PerConnection {
  readonly connections: number;
  readonly before: MemorySample;
  readonly after: MemorySample;
  readonly rssBytes: number | null;
  readonly heapUsedBytes: number | null;
}

/**
 * The value of a metric in the Prometheus text format (the first series of that name); undefined
 * when absent.
 *
 * @example
 * metricValue('nodejs_heap_size_used_bytes{service="ingress"} 1234\n', 'nodejs_heap_size_used_bytes') // 1234
 */
export function metricValue(text: string, name: string): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const value = Number(
      rest
        .slice(rest.lastIndexOf('}') + 1)
        .trim()
        .split(' ')[0],
    );
    if (Number.isFinite(value)) return value;
  }
  return undefined;
}

const median = (values: readonly number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

/** The median sample of each field. */
export function medianSample(samples: readonly MemorySample[]): MemorySample {
  const heaps = samples.flatMap((sample) => (sample.heapUsedBytes === null ? [] : [sample.heapUsedBytes]));
  return {
    rssBytes: median(samples.map((sample) => sample.rssBytes)) ?? 0,
    heapUsedBytes: median(heaps),
  };
}

/** Memory per connection from samples before and after `connections` were opened. */
export function perConnection(
  before: readonly MemorySample[],
  after: readonly MemorySample[],
  connections: number,
): PerConnection {
  const b = medianSample(before);
  const a = medianSample(after);
  const per = (x: number | null, y: number | null) =>
    x === null || y === null || connections === 0 ? null : (y - x) / connections;
  return {
    connections,
    before: b,
    after: a,
    rssBytes: per(b.rssBytes, a.rssBytes),
    heapUsedBytes: per(b.heapUsedBytes, a.heapUsedBytes),
  };
}

/** A Chrome DevTools Protocol session with a Node process's inspector, for `HeapProfiler.collectGarbage`. */
async function openInspector(port: number, timeoutMs: number): Promise<WebSocket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
        webSocketDebuggerUrl: string;
      }[];
      const url = targets[0]?.webSocketDebuggerUrl;
      if (url) {
        const socket = new WebSocket(url);
        await new Promise<void>((resolve, reject) => {
          socket.once('open', () => resolve());
          socket.once('error', reject);
        });
        return socket;
      }
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`no inspector on port ${port}`);
    await sleep(100);
  }
}

/**
 * Reads a Node process's memory: RSS from /proc, the V8 heap from its `/metrics`, each after a full
 * GC when `inspectPort` is given (the inspector is activated with SIGUSR1 at the first sample, so
 * it is off until then: the process must have been started with `--inspect-port`).
 */
export function createMemoryProbe(options: { pid: number; metricsUrl: string; inspectPort?: number }) {
  const { pid, metricsUrl, inspectPort } = options;
  let inspector: Promise<WebSocket> | undefined;
  let nextId = 0;

  async function collectGarbage(): Promise<void> {
    if (inspectPort === undefined) return;
    if (!inspector) {
      process.kill(pid, 'SIGUSR1');
      inspector = openInspector(inspectPort, 10_000);
    }
    const socket = await inspector;
    const id = ++nextId;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('HeapProfiler.collectGarbage timed out')), 30_000);
      const onMessage = (data: Buffer) => {
        if ((JSON.parse(data.toString()) as { id?: number }).id !== id) return;
        clearTimeout(timer);
        socket.off('message', onMessage);
        resolve();
      };
      socket.on('message', onMessage);
      socket.send(JSON.stringify({ id, method: 'HeapProfiler.collectGarbage' }));
    });
  }

  async function sample(): Promise<MemorySample> {
    await collectGarbage();
    const metrics = await (await fetch(metricsUrl)).text();
    return {
      rssBytes: parseProcMemory(readFileSync(`/proc/${pid}/status`, 'utf8')).rss,
      heapUsedBytes: metricValue(metrics, 'nodejs_heap_size_used_bytes') ?? null,
    };
  }

  return {
    /** Whether samples follow a forced GC. */
    forcedGc: inspectPort !== undefined,
    /** `count` samples `intervalMs` apart. */
    async samples(count: number, intervalMs: number): Promise<MemorySample[]> {
      const taken: MemorySample[] = [];
      for (let index = 0; index < count; index += 1) {
        if (index > 0) await sleep(intervalMs);
        taken.push(await sample());
      }
      return taken;
    },
    async close(): Promise<void> {
      if (inspector) (await inspector.catch(() => undefined))?.close();
    },
  };
}
