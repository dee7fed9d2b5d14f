/** A line of the chart: points with x in seconds and y in ms (y > 0; the y axis is logarithmic). */
export interface ChartSeries {
  readonly label: string;
  readonly color: string;
  readonly dashed?: boolean;
  /** A dot on every point (few points, such as the steps of a ramp). */
  readonly markers?: boolean;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

/** A shaded stretch of the x axis with a name (a scenario, a ramp step). */
export interface ChartBand {
  readonly from: number;
  readonly to: number;
  readonly label: string;
  /** Background colour (default: alternating light blue and grey). */
  readonly fill?: string;
}

export interface ChartOptions {
  readonly title: string;
  readonly series: readonly ChartSeries[];
  readonly bands?: readonly ChartBand[];
  /** A dashed horizontal line, e.g. the p99 limit. */
  readonly limit?: { readonly y: number; readonly label: string };
  /**
   * The x axis: its label (default: seconds since the first measured send), a log scale (x > 0),
   * and the step in x past which a line breaks (default 1.5: a second without a point).
   */
  readonly xAxis?: { readonly label?: string; readonly log?: boolean; readonly breakOver?: number };
  readonly width?: number;
  readonly height?: number;
}

const escapeXml = (text: string) =>
  text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c,
  );

const fixed = (n: number) => (Math.round(n * 10) / 10).toString();

/** 1, 2, 5, 10, 20, 50... covering [min, max] (both > 0). */
export function logTicks(min: number, max: number): number[] {
  const ticks: number[] = [];
  for (let exponent = Math.floor(Math.log10(min)); exponent <= Math.ceil(Math.log10(max)); exponent += 1) {
    for (const mantissa of [1, 2, 5]) {
      const tick = mantissa * 10 ** exponent;
      if (tick >= min && tick <= max) ticks.push(tick);
    }
  }
  return ticks;
}

/** A step of 1, 2, 5 × 10^k giving at most `maxTicks` ticks over `span`. */
export function linearStep(span: number, maxTicks = 12): number {
  const raw = Math.max(span, 1) / maxTicks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].map((m) => m * magnitude).find((step) => step >= raw) ?? 10 * magnitude) as number;
}

/**
 * A self-contained SVG line chart of latencies over time, hand-written (no chart library): log-scale
 * y axis in ms, x in seconds, shaded named bands, a legend and an optional limit line. Lines break
 * where a series has no point for more than a second.
 *
 * @example
 * renderLatencyChart({ title: 'send → delivered', series: [{ label: 'p50', color: '#1f77b4', points: [{ x: 0, y: 12 }] }] })
 */
export function renderLatencyChart(options: ChartOptions): string {
  const { title, series, bands = [], limit, xAxis = {}, width = 1000, height = 440 } = options;
  const {
    label: xLabel = 'seconds since the first measured send',
    log: xLog = false,
    breakOver = 1.5,
  } = xAxis;
  const margin = { left: 64, right: 16, top: 40, bottom: 64 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const points = series.flatMap((line) => line.points).filter((point) => point.y > 0);
  const xs = [...points.map((point) => point.x), ...bands.flatMap((band) => [band.from, band.to])];
  const xMin = xs.length ? Math.min(...xs) * (xLog ? 0.8 : 1) : xLog ? 1 : 0;
  const xMax = xs.length ? Math.max(xMin + 1, ...xs) * (xLog ? 1.25 : 1) : 10;
  const ys = [...points.map((point) => point.y), ...(limit ? [limit.y] : [])];
  const yMin = 10 ** Math.floor(Math.log10(ys.length ? Math.max(0.1, Math.min(...ys)) : 1));
  const yMax = 10 ** Math.ceil(Math.log10(ys.length ? Math.max(yMin * 10, ...ys) : 1000));
  const x = xLog
    ? (value: number) =>
        margin.left +
        ((Math.log10(value) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))) * plotWidth
    : (value: number) => margin.left + ((value - xMin) / (xMax - xMin)) * plotWidth;
  const y = (value: number) =>
    margin.top +
    plotHeight -
    ((Math.log10(Math.max(value, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) *
      plotHeight;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
  ];
  bands.forEach((band, index) => {
    const left = x(band.from);
    const bandWidth = Math.max(0, x(band.to) - left);
    parts.push(
      `<rect x="${fixed(left)}" y="${margin.top}" width="${fixed(bandWidth)}" height="${plotHeight}" fill="${band.fill ?? (index % 2 ? '#f3f3f3' : '#e8eef7')}"/>`,
      // Labels alternate between two rows so that narrow neighbours do not overwrite each other.
      `<text x="${fixed(left + 3)}" y="${margin.top + (index % 2 ? 26 : 12)}" fill="#555">${escapeXml(band.label)}</text>`,
    );
  });
  for (const tick of logTicks(yMin, yMax)) {
    parts.push(
      `<line x1="${margin.left}" x2="${width - margin.right}" y1="${fixed(y(tick))}" y2="${fixed(y(tick))}" stroke="#ddd"/>`,
      `<text x="${margin.left - 6}" y="${fixed(y(tick) + 4)}" text-anchor="end">${tick}</text>`,
    );
  }
  const step = linearStep(xMax - xMin);
  const xTicks: number[] = [];
  if (xLog) xTicks.push(...logTicks(xMin, xMax));
  else for (let tick = Math.ceil(xMin / step) * step; tick <= xMax; tick += step) xTicks.push(tick);
  for (const tick of xTicks) {
    parts.push(
      `<line x1="${fixed(x(tick))}" x2="${fixed(x(tick))}" y1="${margin.top + plotHeight}" y2="${margin.top + plotHeight + 4}" stroke="#333"/>`,
      `<text x="${fixed(x(tick))}" y="${margin.top + plotHeight + 16}" text-anchor="middle">${tick}</text>`,
    );
  }
  parts.push(
    `<rect x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#333"/>`,
    `<text x="${margin.left + plotWidth / 2}" y="${height - 30}" text-anchor="middle">${escapeXml(xLabel)}${xLog ? ' (log scale)' : ''}</text>`,
    `<text transform="translate(16 ${margin.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">latency, ms (log scale)</text>`,
  );
  if (limit) {
    parts.push(
      `<line x1="${margin.left}" x2="${width - margin.right}" y1="${fixed(y(limit.y))}" y2="${fixed(y(limit.y))}" stroke="#d62728" stroke-dasharray="6 4"/>`,
      `<text x="${width - margin.right - 4}" y="${fixed(y(limit.y) - 4)}" text-anchor="end" fill="#d62728">${escapeXml(limit.label)}</text>`,
    );
  }
  for (const line of series) {
    const sorted = line.points.filter((point) => point.y > 0).sort((a, b) => a.x - b.x);
    const path = sorted
      .map((point, index) => {
        const gap = index === 0 || point.x - (sorted[index - 1] as { x: number }).x > breakOver;
        return `${gap ? 'M' : 'L'}${fixed(x(point.x))} ${fixed(y(point.y))}`;
      })
      .join(' ');
    const dash = line.dashed ? ' stroke-dasharray="4 3"' : '';
    if (path) parts.push(`<path d="${path}" fill="none" stroke="${line.color}" stroke-width="1.5"${dash}/>`);
    if (line.markers)
      for (const point of sorted)
        parts.push(
          `<circle cx="${fixed(x(point.x))}" cy="${fixed(y(point.y))}" r="3" fill="${line.color}"/>`,
        );
  }
  series.forEach((line, index) => {
    const left = margin.left + index * 120;
    parts.push(
      `<line x1="${left}" x2="${left + 24}" y1="${height - 10}" y2="${height - 10}" stroke="${line.color}" stroke-width="2"${line.dashed ? ' stroke-dasharray="4 3"' : ''}/>`,
      `<text x="${left + 30}" y="${height - 6}">${escapeXml(line.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
