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

  it('puts x on a labelled log scale with 1/2/5 ticks, markers and unbroken lines when asked', () => {
    const ramp = renderLatencyChart({
      title: 'ramp',
      series: [
        {
          label: 'p99',
          color: '#333',
          markers: true,
          points: [
            { x: 10, y: 20 },
            { x: 20, y: 30 },
            { x: 160, y: 900 },
          ],
        },
      ],
      xAxis: { label: 'offered rate, msg/s', log: true, breakOver: Number.POSITIVE_INFINITY },
    });
    expect(ramp).toContain('>offered rate, msg/s (log scale)</text>');
    expect(ramp).not.toContain('seconds since');
    for (const tick of [10, 20, 50, 100, 200]) expect(ramp).toContain(`text-anchor="middle">${tick}</text>`);
    expect(ramp.match(/<circle /g)).toHaveLength(3);
    const path = /<path d="([^"]+)"/.exec(ramp)?.[1] ?? '';
    expect(path.match(/M/g)).toHaveLength(1);
    // Equal ratios are equal distances: 10 → 20 as wide as 80 → 160 would be.
    const xs = [...path.matchAll(/[ML]([\d.]+) /g)].map((match) => Number(match[1]));
    expect((xs[2] as number) - (xs[1] as number)).toBeCloseTo(3 * ((xs[1] as number) - (xs[0] as number)), 0);
  });
});
