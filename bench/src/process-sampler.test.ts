import { describe, expect, it } from 'vitest';
import { createProcessSampler, parseProcStat, parseProcStatus } from './process-sampler.js';

// A /proc/<pid>/stat line whose command contains spaces and a parenthesis; utime 250, stime 50.
const stat = (utime: number, stime: number) =>
  `4242 (node (my app)) S 1 4242 4242 0 -1 4194560 5000 0 0 0 ${utime} ${stime} 0 0 20 0 11 0 100 1000000 5000`;

describe('/proc parsing', () => {
  it('reads user + system CPU seconds', () => {
    expect(parseProcStat(stat(250, 50))).toBe(3);
    expect(parseProcStat(stat(250, 50), 1000)).toBe(0.3);
  });

  it('reads the resident set size', () => {
    expect(parseProcStatus('Name:\tnode\nVmRSS:\t  204800 kB\nThreads:\t11\n')).toBe(204800 * 1024);
    expect(parseProcStatus('Name:\tkthreadd\n')).toBe(0);
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
});
