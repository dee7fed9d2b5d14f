import { describe, expect, it } from 'vitest';
import { type CpuProfile, packageOf, shortUrl, summarizeCpuProfile } from './cpu-profile.js';

const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 1 });

// 10 ms profiled, 10 samples in all: 1 ms a sample.
const profile: CpuProfile = {
  startTime: 0,
  endTime: 10_000,
  nodes: [
    { id: 1, hitCount: 0, callFrame: frame('(root)') },
    { id: 2, hitCount: 4, callFrame: frame('(idle)') },
    { id: 3, hitCount: 2, callFrame: frame('serialize', 'file:///work/main/node_modules/pino/lib/tools.js') },
    { id: 4, hitCount: 1, callFrame: frame('serialize', 'file:///work/main/node_modules/pino/lib/tools.js') },
    { id: 5, hitCount: 2, callFrame: frame('', 'file:///work/main/services/auth/dist/app.js') },
    { id: 6, hitCount: 1, callFrame: frame('(garbage collector)') },
  ],
};

describe('summarizeCpuProfile', () => {
  const summary = summarizeCpuProfile(profile, 10);

  it('sums self time by function name and script, leaving idle out of the shares', () => {
    expect(summary.profiledMs).toBe(10);
    expect(summary.busyMs).toBe(6);
    expect(summary.functions).toEqual([
      { functionName: 'serialize', url: 'node_modules/pino/lib/tools.js', selfMs: 3, percent: 50 },
      { functionName: '(anonymous)', url: 'services/auth/dist/app.js', selfMs: 2, percent: (2 / 6) * 100 },
      { functionName: '(garbage collector)', url: '', selfMs: 1, percent: (1 / 6) * 100 },
    ]);
  });

  it('sums by package too', () => {
    expect(summary.packages.map((entry) => [entry.name, entry.selfMs])).toEqual([
      ['node_modules/pino', 3],
      ['services/auth', 2],
      ['(garbage collector)', 1],
    ]);
  });

  it('lists only the top functions', () => {
    expect(summarizeCpuProfile(profile, 1).functions).toHaveLength(1);
  });
});

describe('shortUrl and packageOf', () => {
  it('shortens script URLs to the package or workspace', () => {
    expect(shortUrl('file:///work/main/node_modules/@grpc/grpc-js/build/src/call.js')).toBe(
      'node_modules/@grpc/grpc-js/build/src/call.js',
    );
    expect(shortUrl('node:internal/streams/readable')).toBe('node:internal/streams/readable');
    expect(packageOf('x', 'file:///work/main/node_modules/@grpc/grpc-js/build/src/call.js')).toBe(
      'node_modules/@grpc/grpc-js',
    );
    expect(packageOf('x', 'file:///work/main/libs/bus/dist/event-consumer.js')).toBe('libs/bus');
    expect(packageOf('x', 'node:internal/streams/readable')).toBe('node:internal');
    expect(packageOf('JSONStringify', '')).toBe('(native)');
  });
});
