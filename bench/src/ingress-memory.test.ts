import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryProbe, medianSample, metricValue, perConnection } from './ingress-memory.js';

describe('metricValue', () => {
  const text = [
    '# HELP nodejs_heap_size_used_bytes Process heap size used from Node.js in bytes.',
    '# TYPE nodejs_heap_size_used_bytes gauge',
    'nodejs_heap_size_used_bytes_total 1',
    'nodejs_heap_size_used_bytes{service="ingress",version="0.1.0"} 23456789',
    'process_resident_memory_bytes 98765432',
  ].join('\n');

  it('reads the first series of the name, with or without labels, not a longer name', () => {
    expect(metricValue(text, 'nodejs_heap_size_used_bytes')).toBe(23456789);
    expect(metricValue(text, 'process_resident_memory_bytes')).toBe(98765432);
    expect(metricValue(text, 'nodejs_external_memory_bytes')).toBeUndefined();
  });
});

describe('memory per connection', () => {
  it('divides the difference of the medians by the connections', () => {
    const before = [
      { rssBytes: 100_000_000, heapUsedBytes: 40_000_000 },
      { rssBytes: 101_000_000, heapUsedBytes: 90_000_000 }, // an outlier the median ignores
      { rssBytes: 99_000_000, heapUsedBytes: 41_000_000 },
    ];
    const after = [
      { rssBytes: 160_000_000, heapUsedBytes: 61_000_000 },
      { rssBytes: 160_000_000, heapUsedBytes: 60_000_000 },
      { rssBytes: 170_000_000, heapUsedBytes: null },
    ];
    expect(medianSample(before)).toEqual({ rssBytes: 100_000_000, heapUsedBytes: 41_000_000 });
    expect(perConnection(before, after, 2000)).toEqual({
      connections: 2000,
      before: { rssBytes: 100_000_000, heapUsedBytes: 41_000_000 },
      after: { rssBytes: 160_000_000, heapUsedBytes: 60_000_000 },
      rssBytes: 30_000,
      heapUsedBytes: 9_500,
    });
  });

  it('has no figure without connections or without heap readings', () => {
    const none = [{ rssBytes: 1, heapUsedBytes: null }];
    expect(perConnection(none, none, 0)).toMatchObject({ rssBytes: null, heapUsedBytes: null });
    expect(perConnection(none, none, 10)).toMatchObject({ rssBytes: 0, heapUsedBytes: null });
  });
});

const freePort = async () => {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
};

// A Node process like ingress: metrics over HTTP, inspector port set but inactive. It holds a
// large array (large-object space: only a full GC frees it) through a WeakRef alone.
const target = `
const http = require('node:http');
let big = new Array(2_000_000).fill(1);
const ref = new WeakRef(big);
big = undefined;
http.createServer((req, res) => {
  res.end('nodejs_heap_size_used_bytes{service="t"} ' + process.memoryUsage().heapUsed + '\\nbench_alive ' + (ref.deref() ? 1 : 0) + '\\n');
}).listen(0, '127.0.0.1', function () { console.log(this.address().port); });
`;

describe('createMemoryProbe against a real Node process', () => {
  let child: ChildProcess;
  let metricsUrl = '';
  let inspectPort = 0;

  beforeAll(async () => {
    inspectPort = await freePort();
    child = spawn(process.execPath, [`--inspect-port=127.0.0.1:${inspectPort}`, '-e', target], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const [line] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
    metricsUrl = `http://127.0.0.1:${Number(line.toString().trim())}/metrics`;
  });
  afterAll(() => {
    child.kill();
  });

  it('reads RSS and heap, and forces a full GC through the inspector it activates', async () => {
    const alive = async () => metricValue(await (await fetch(metricsUrl)).text(), 'bench_alive');
    expect(await alive()).toBe(1);
    const probe = createMemoryProbe({ pid: child.pid as number, metricsUrl, inspectPort });
    expect(probe.forcedGc).toBe(true);
    const [sample] = await probe.samples(1, 0);
    await probe.close();
    expect(sample?.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(sample?.heapUsedBytes).toBeGreaterThan(0);
    expect(await alive()).toBe(0);
  });
});
