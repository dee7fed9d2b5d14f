import { readdirSync, readFileSync } from 'node:fs';

/** The fields of `/proc/<pid>/stat` the sampler uses; times in clock ticks. */
export interface ProcStat {
  readonly ppid: number;
  readonly utime: number;
  readonly stime: number;
  /** User and system time of the children this process has waited for (exited workers). */
  readonly cutime: number;
  readonly cstime: number;
}

/** Parses a `/proc/<pid>/stat` line. */
export function parseProcStatFields(text: string): ProcStat {
  // Fields after the command name, which is in parentheses and may contain spaces: state is
  // field 3, ppid 4, utime 14, stime 15, cutime 16, cstime 17.
  const fields = text
    .slice(text.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  const [ppid, utime, stime, cutime, cstime] = [fields[1], fields[11], fields[12], fields[13], fields[14]];
  if (![ppid, utime, stime, cutime, cstime].every(Number.isFinite))
    throw new Error('unreadable /proc stat line');
  return { ppid, utime, stime, cutime, cstime } as ProcStat;
}

/** CPU seconds (user + system) of a process from `/proc/<pid>/stat`, given the kernel's clock ticks. */
export function parseProcStat(text: string, ticksPerSecond = 100): number {
  const { utime, stime } = parseProcStatFields(text);
  return (utime + stime) / ticksPerSecond;
}

/** Resident set size in bytes from `/proc/<pid>/status` (`VmRSS: 123 kB`); 0 when absent. */
export function parseProcStatus(text: string): number {
  return parseProcMemory(text).rss;
}

/** Resident set size and its shared-memory part (`RssShmem`), in bytes; 0 when absent. */
export function parseProcMemory(text: string): { rss: number; shmem: number } {
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), shmem: kb('RssShmem') };
}

/** A process to sample; `tree`: together with its children (a server and its workers). */
export interface SampledProcess {
  readonly name: string;
  readonly pid: number;
  readonly tree?: boolean;
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

const numericNames = (names: readonly string[]) =>
  names.flatMap((name) => (/^\d+$/.test(name) ? [Number(name)] : []));

/**
 * Samples the CPU time and RSS of named processes from /proc (Linux) every `intervalMs`.
 * `measure(label)` starts a segment; its `end()` returns per-process CPU % over exactly that
 * segment (readings taken at both ends) and the RSS seen during it. A process that is gone, or a
 * system without /proc, reads as null.
 *
 * A `tree` process counts with its children, those running (their own time) and those it has
 * waited for (its cutime/cstime), so a worker that exits within a segment is still counted once.
 * Its RSS is the children's private memory plus the shared memory once (the largest `RssShmem`),
 * not every worker's view of the same shared buffers.
 */
export function createProcessSampler(options: {
  processes: () => readonly SampledProcess[];
  intervalMs?: number;
  ticksPerSecond?: number;
  readFile?: (path: string) => string;
  listPids?: () => number[];
}) {
  const {
    processes,
    intervalMs = 1000,
    ticksPerSecond = 100,
    readFile = (path) => readFileSync(path, 'utf8'),
    listPids = () => numericNames(readdirSync('/proc')),
  } = options;
  const open = new Set<Reading[]>();

  function childrenOf(parents: ReadonlySet<number>): Map<number, { pid: number; stat: ProcStat }[]> {
    const children = new Map<number, { pid: number; stat: ProcStat }[]>();
    if (parents.size === 0) return children;
    for (const pid of listPids()) {
      try {
        const stat = parseProcStatFields(readFile(`/proc/${pid}/stat`));
        if (parents.has(stat.ppid))
          children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), { pid, stat }]);
      } catch {
        // exited meanwhile
      }
    }
    return children;
  }

  function read(): Reading {
    const cpu = new Map<string, number>();
    const rss = new Map<string, number>();
    const list = processes();
    const children = childrenOf(new Set(list.filter((entry) => entry.tree).map((entry) => entry.pid)));
    for (const { name, pid, tree } of list) {
      try {
        const own = parseProcStatFields(readFile(`/proc/${pid}/stat`));
        if (!tree) {
          cpu.set(name, (own.utime + own.stime) / ticksPerSecond);
          rss.set(name, parseProcMemory(readFile(`/proc/${pid}/status`)).rss);
          continue;
        }
        const members = [{ pid, stat: own }, ...(children.get(pid) ?? [])];
        let ticks = 0;
        let privateBytes = 0;
        let sharedBytes = 0;
        for (const member of members) {
          ticks += member.stat.utime + member.stat.stime + member.stat.cutime + member.stat.cstime;
          try {
            const memory = parseProcMemory(readFile(`/proc/${member.pid}/status`));
            privateBytes += memory.rss - memory.shmem;
            sharedBytes = Math.max(sharedBytes, memory.shmem);
          } catch {
            // a worker that exited meanwhile (its time moves into the parent's cutime once reaped)
          }
        }
        cpu.set(name, ticks / ticksPerSecond);
        rss.set(name, privateBytes + sharedBytes);
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

function summarizeReadings(processes: readonly SampledProcess[], readings: readonly Reading[]) {
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
