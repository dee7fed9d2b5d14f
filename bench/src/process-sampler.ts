import { readFileSync } from 'node:fs';

/** CPU seconds (user + system) of a process from `/proc/<pid>/stat`, given the kernel's clock ticks. */
export function parseProcStat(text: string, ticksPerSecond = 100): number {
  // Fields after the command name, which is in parentheses and may contain spaces: state is
  // field 3, utime field 14, stime field 15.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('unreadable /proc stat line');
  return (utime + stime) / ticksPerSecond;
}

/** Resident set size in bytes from `/proc/<pid>/status` (`VmRSS: 123 kB`); 0 when absent. */
export function parseProcStatus(text: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  return match ? Number(match[1]) * 1024 : 0;
}

export interface ProcessUsage {
  readonly name: string;
  readonly pid: number;
  /** CPU time over wall time, in % of one core (200 = both cores of this machine). */
  readonly cpuPercent: number | null;
  readonly cpuSeconds: number | null;
  readonly rssMaxMb: number | null;
  readonly rssMeanMb: number | null;
}

interface Reading {
  readonly at: number;
  readonly cpu: Map<string, number>;
  readonly rss: Map<string, number>;
}

/**
 * Samples the CPU time and RSS of named processes from /proc (Linux) every `intervalMs`.
 * `measure(label)` starts a segment; its `end()` returns per-process CPU % over exactly that
 * segment (readings taken at both ends) and the RSS seen during it. A process that is gone, or a
 * system without /proc, reads as null.
 */
export function createProcessSampler(options: {
  processes: () => readonly { name: string; pid: number }[];
  intervalMs?: number;
  ticksPerSecond?: number;
  readFile?: (path: string) => string;
}) {
  const {
    processes,
    intervalMs = 1000,
    ticksPerSecond = 100,
    readFile = (path) => readFileSync(path, 'utf8'),
  } = options;
  const open = new Set<Reading[]>();

  function read(): Reading {
    const cpu = new Map<string, number>();
    const rss = new Map<string, number>();
    for (const { name, pid } of processes()) {
      try {
        cpu.set(name, parseProcStat(readFile(`/proc/${pid}/stat`), ticksPerSecond));
        rss.set(name, parseProcStatus(readFile(`/proc/${pid}/status`)));
      } catch {
        // gone, or not Linux: no reading for it
      }
    }
    return { at: performance.now(), cpu, rss };
  }
  const timer = setInterval(() => {
    const reading = read();
    for (const readings of open) readings.push(reading);
  }, intervalMs);
  timer.unref();

  return {
    measure(): { end(): ProcessUsage[] } {
      const readings = [read()];
      open.add(readings);
      return {
        end() {
          open.delete(readings);
          readings.push(read());
          return summarizeReadings(processes(), readings);
        },
      };
    },
    stop() {
      clearInterval(timer);
    },
  };
}

function summarizeReadings(
  processes: readonly { name: string; pid: number }[],
  readings: readonly Reading[],
) {
  const first = readings[0] as Reading;
  const last = readings[readings.length - 1] as Reading;
  const seconds = (last.at - first.at) / 1000;
  return processes.map(({ name, pid }): ProcessUsage => {
    const start = first.cpu.get(name);
    const end = last.cpu.get(name);
    const cpuSeconds = start !== undefined && end !== undefined ? end - start : null;
    const rss = readings.flatMap((reading) => {
      const value = reading.rss.get(name);
      return value === undefined ? [] : [value / 1024 / 1024];
    });
    return {
      name,
      pid,
      cpuSeconds,
      cpuPercent: cpuSeconds !== null && seconds > 0 ? (cpuSeconds / seconds) * 100 : null,
      rssMaxMb: rss.length ? Math.max(...rss) : null,
      rssMeanMb: rss.length ? rss.reduce((sum, value) => sum + value, 0) / rss.length : null,
    };
  });
}
