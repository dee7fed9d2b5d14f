import { describe, expect, it } from 'vitest';
import { linearStep, logTicks, renderLatencyChart } from './svg-chart.js';

describe('axis ticks', () => {
  it('puts log ticks at 1, 2, 5 × 10^k inside the range', () => {
    expect(logTicks(1, 1000)).toEqual([1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]);
    expect(logTicks(10, 100)).toEqual([10, 20, 50, 100]);
  });

  it('picks a 1/2/5 step for the time axis', () => {
    expect(linearStep(10)).toBe(1);
    expect(linearStep(100)).toBe(10);
    expect(linearStep(170)).toBe(20);
  });
});

describe('renderLatencyChart', () => {
  const svg = renderLatencyChart({
    title: 'latency <per second>',
    series: [
      {
        label: 'p50',
        color: '#111111',
        points: [
          { x: 0.5, y: 10 },
          { x: 1.5, y: 20 },
          { x: 5.5, y: 40 },
        ],
      },
      { label: 'p99 & more', color: '#222222', dashed: true, points: [{ x: 0.5, y: 100 }] },
    ],
    bands: [{ from: 0, to: 2, label: 'a', fill: '#eeeeee' }],
    limit: { y: 250, label: 'p99 limit 250 ms' },
  });

  it('is one well-formed SVG document with escaped text', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('<title>latency &lt;per second&gt;</title>');
    expect(svg).toContain('p99 &amp; more');
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
  });

  it('draws a path per series, breaking it over gaps of more than a second', () => {
    const paths = [...svg.matchAll(/<path d="([^"]+)"[^>]*>/g)].map((match) => match[0]);
    expect(paths).toHaveLength(2);
    const first = paths[0] ?? '';
    expect(first.match(/M/g)).toHaveLength(2); // 0.5 → 1.5 joined, 5.5 starts anew
    expect(first.match(/L/g)).toHaveLength(1);
    expect(paths[1]).toContain('stroke-dasharray');
  });

  it('shows the bands, the limit line and a legend', () => {
    expect(svg).toContain('fill="#eeeeee"');
    expect(svg).toContain('>p99 limit 250 ms</text>');
    expect(svg).toContain('>p50</text>');
  });

  it('draws an empty chart without failing', () => {
    const empty = renderLatencyChart({
      title: 'nothing',
      series: [{ label: 'p50', color: '#000', points: [] }],
    });
    expect(empty).not.toMatch(/NaN|Infinity/);
    expect(empty).not.toContain('<path');
  });
});
