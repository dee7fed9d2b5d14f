import { describe, expect, it } from 'vitest';
import {
  createProcessSampler,
  parseProcMemory,
  parseProcStat,
  parseProcStatFields,
  parseProcStatus,
} from './process-sampler.js';

// A /proc/<pid>/stat line whose command contains spaces and a parenthesis.
const stat = (utime: number, stime: number, { ppid = 1, cutime = 0, cstime = 0 } = {}) =>
  `4242 (node (my app)) S ${ppid} 4242 4242 0 -1 4194560 5000 0 0 0 ${utime} ${stime} ${cutime} ${cstime} 20 0 11 0 100 1000000 5000`;

describe('/proc parsing', () => {
  it('reads user + system CPU seconds', () => {
    expect(parseProcStat(stat(250, 50))).toBe(3);
    expect(parseProcStat(stat(250, 50), 1000)).toBe(0.3);
  });

  it('reads the parent and the time of waited-for children', () => {
    expect(parseProcStatFields(stat(250, 50, { ppid: 7, cutime: 30, cstime: 4 }))).toEqual({
      ppid: 7,
      utime: 250,
      stime: 50,
      cutime: 30,
      cstime: 4,
    });
  });

  it('reads the resident set size', () => {
    expect(parseProcStatus('Name:\tnode\nVmRSS:\t  204800 kB\nThreads:\t11\n')).toBe(204800 * 1024);
    expect(parseProcStatus('Name:\tkthreadd\n')).toBe(0);
    expect(parseProcMemory('VmRSS:\t  3072 kB\nRssAnon:\t1024 kB\nRssShmem:\t  2048 kB\n')).toEqual({
      rss: 3072 * 1024,
      shmem: 2048 * 1024,
    });
  });
});

describe('createProcessSampler', () => {
  it('gives CPU % of a core and RSS over a measured segment', async () => {
    let ticks = 0;
    const sampler = createProcessSampler({
      processes: () => [
        { name: 'ingress', pid: 1 },
        { name: 'gone', pid: 2 },
      ],
      intervalMs: 5,
      readFile: (path) => {
        if (path.startsWith('/proc/2/')) throw new Error('ENOENT');
        if (path.endsWith('/stat')) {
          ticks += 1; // every reading: 10 ms of CPU
          return stat(ticks, 0);
        }
        return 'VmRSS:\t1024 kB\n';
      },
    });
    const segment = sampler.measure();
    await new Promise((resolve) => setTimeout(resolve, 40));
    const [ingress, gone] = segment.end();
    sampler.stop();
    expect(ingress).toMatchObject({ name: 'ingress', pid: 1, rssMaxMb: 1, rssMeanMb: 1 });
    expect(ingress?.cpuSeconds).toBeCloseTo((ticks - 1) / 100);
    expect(ingress?.cpuPercent).toBeGreaterThan(0);
    expect(gone).toEqual({
      name: 'gone',
      pid: 2,
      cpuSeconds: null,
      cpuPercent: null,
      rssMaxMb: null,
      rssMeanMb: null,
    });
  });

  it('counts a server with its workers, running and exited, and its shared memory once', () => {
    // Server 10 with workers 11 and 12; 13 belongs to someone else. Worker 12 exits between the
    // readings and the server reaps it: its 5 ticks move into the server's cutime.
    let exited = false;
    const stats = () =>
      new Map([
        [10, stat(100, 0, { cutime: exited ? 5 : 0 })],
        [11, stat(20, 0, { ppid: 10 })],
        ...(exited ? [] : ([[12, stat(5, 0, { ppid: 10 })]] as const)),
        [13, stat(1000, 0, { ppid: 1 })],
      ]);
    const sampler = createProcessSampler({
      processes: () => [{ name: 'postgres', pid: 10, tree: true }],
      intervalMs: 60_000,
      listPids: () => [...stats().keys()],
      readFile: (path) => {
        const pid = Number(path.split('/')[2]);
        if (path.endsWith('/stat')) {
          const line = stats().get(pid);
          if (!line) throw new Error('ENOENT');
          return line;
        }
        return 'VmRSS:\t3072 kB\nRssShmem:\t2048 kB\n';
      },
    });
    const segment = sampler.measure();
    exited = true;
    const [postgres] = segment.end();
    sampler.stop();
    expect(postgres?.cpuSeconds).toBe(0);
    // Two processes at the end: 2 × 1 MB private + 2 MB shared.
    expect(postgres?.rssMaxMb).toBe(5);
  });
});
