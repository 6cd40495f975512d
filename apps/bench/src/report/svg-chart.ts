/**
 * Log-log line charts as inline SVG, written by hand so the HTML report needs
 * no script, no library and no network.
 */

/** The shape drawn at each point of a series (and in its legend), so series never differ by colour alone. */
export type Marker = 'circle' | 'square' | 'triangle' | 'triangle-down' | 'diamond' | 'cross' | 'x';

export interface Series {
  name: string;
  color: string;
  /** Default: circle. */
  marker?: Marker;
  dashed?: boolean;
  points: Array<{ x: number; y: number; tip: string }>;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  xTick: (x: number) => string;
  yTick: (y: number) => string;
  width?: number;
  height?: number;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The SVG of `marker` centred on (x, y), about 8 px across, with `inner` (a <title>) inside. */
export function markerSvg(marker: Marker, x: number, y: number, color: string, inner = ''): string {
  const r = 4;
  const at = (dx: number, dy: number): string => `${(x + dx).toFixed(1)} ${(y + dy).toFixed(1)}`;
  const filled = (d: string): string => `<path d="${d}" fill="${color}" stroke="${color}">${inner}</path>`;
  const stroked = (d: string): string => `<path d="${d}" fill="none" stroke="${color}" stroke-width="2">${inner}</path>`;
  switch (marker) {
    case 'circle':
      return `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${r}" fill="${color}">${inner}</circle>`;
    case 'square':
      return filled(`M${at(-r, -r)} L${at(r, -r)} L${at(r, r)} L${at(-r, r)} Z`);
    case 'triangle':
      return filled(`M${at(0, -r - 1)} L${at(r + 1, r)} L${at(-r - 1, r)} Z`);
    case 'triangle-down':
      return filled(`M${at(0, r + 1)} L${at(r + 1, -r)} L${at(-r - 1, -r)} Z`);
    case 'diamond':
      return filled(`M${at(0, -r - 1)} L${at(r + 1, 0)} L${at(0, r + 1)} L${at(-r - 1, 0)} Z`);
    case 'cross':
      return stroked(`M${at(-r, 0)} L${at(r, 0)} M${at(0, -r)} L${at(0, r)}`);
    case 'x':
      return stroked(`M${at(-r, -r)} L${at(r, r)} M${at(-r, r)} L${at(r, -r)}`);
  }
}

/** A log-log chart: x and y both on log scales, one line per series. */
export function logLogChart(series: Series[], options: ChartOptions): string {
  const width = options.width ?? 820;
  const height = options.height ?? 400;
  const margin = { left: 78, right: 240, top: 36, bottom: 52 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const all = series.flatMap((s) => s.points).filter((p) => p.x > 0 && p.y > 0 && Number.isFinite(p.y));
  if (all.length === 0) return `<p class="empty">${escapeXml(options.title)}: no data in this run.</p>`;
  const xs = [...new Set(all.map((p) => p.x))].sort((a, b) => a - b);
  const xMin = Math.log10(xs[0]!);
  const xMax = Math.log10(xs[xs.length - 1]!);
  const yLo = Math.floor(Math.log10(Math.min(...all.map((p) => p.y))));
  const yHi = Math.ceil(Math.log10(Math.max(...all.map((p) => p.y))));
  const yMin = yLo;
  const yMax = yHi === yLo ? yLo + 1 : yHi;
  const px = (x: number): number => margin.left + (xMax === xMin ? plotW / 2 : ((Math.log10(x) - xMin) / (xMax - xMin)) * plotW);
  const py = (y: number): number => margin.top + plotH - ((Math.log10(y) - yMin) / (yMax - yMin)) * plotH;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(options.title)}">`,
  );
  parts.push(`<text x="${margin.left}" y="20" class="title">${escapeXml(options.title)}</text>`);
  // Grid: decades (and 2×, 5× in light lines) on y; every measured size on x.
  for (let d = yMin; d <= yMax; d++) {
    const y = py(10 ** d);
    parts.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${margin.left - 8}" y="${(y + 4).toFixed(1)}" class="tick" text-anchor="end">${escapeXml(options.yTick(10 ** d))}</text>`);
    if (d < yMax) {
      for (const m of [2, 5]) {
        const ym = py(m * 10 ** d);
        parts.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${ym.toFixed(1)}" y2="${ym.toFixed(1)}" class="grid minor"/>`);
      }
    }
  }
  for (const x of xs) {
    const X = px(x);
    parts.push(`<line x1="${X.toFixed(1)}" x2="${X.toFixed(1)}" y1="${margin.top}" y2="${margin.top + plotH}" class="grid minor"/>`);
    parts.push(`<text x="${X.toFixed(1)}" y="${margin.top + plotH + 18}" class="tick" text-anchor="middle">${escapeXml(options.xTick(x))}</text>`);
  }
  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" class="frame"/>`);
  parts.push(`<text x="${margin.left + plotW / 2}" y="${height - 12}" class="axis" text-anchor="middle">${escapeXml(options.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" class="axis" text-anchor="middle">${escapeXml(options.yLabel)}</text>`);

  series.forEach((s, i) => {
    const points = s.points.filter((p) => p.x > 0 && p.y > 0 && Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
    if (points.length === 0) return;
    const d = points.map((p, j) => `${j ? 'L' : 'M'}${px(p.x).toFixed(1)} ${py(p.y).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    for (const p of points) parts.push(markerSvg(s.marker ?? 'circle', px(p.x), py(p.y), s.color, `<title>${escapeXml(`${s.name}: ${p.tip}`)}</title>`));
    const ly = margin.top + 8 + i * 20;
    const lx = margin.left + plotW + 14;
    parts.push(`<line x1="${lx}" x2="${lx + 22}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    parts.push(markerSvg(s.marker ?? 'circle', lx + 11, ly, s.color));
    parts.push(`<text x="${lx + 28}" y="${ly + 4}" class="legend">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
