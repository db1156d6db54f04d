import type { Grasp, GraspRectPoints, Image2D } from '../types';
import { plot, type PlotlyObject } from './plot';

/** Plotly heatmap trace of an image; large images are strided down to at most `maxSide` px to keep reports small. */
export function heatmapTrace(img: Image2D, opts: { maxSide?: number; colorscale?: string; zmin?: number; zmax?: number; xaxis?: string; yaxis?: string; showscale?: boolean; name?: string } = {}): PlotlyObject {
  const stride = Math.max(1, Math.ceil(Math.max(img.height, img.width) / (opts.maxSide ?? 320)));
  const rows: number[][] = [];
  for (let r = 0; r < img.height; r += stride) {
    const row: number[] = [];
    for (let c = 0; c < img.width; c += stride) {
      const v = img.data[r * img.width + c];
      row.push(Number.isFinite(v) ? Math.round(v * 1e4) / 1e4 : NaN);
    }
    rows.push(row);
  }
  const axis = (n: number) => Array.from({ length: Math.ceil(n / stride) }, (_, i) => i * stride);
  return {
    type: 'heatmap',
    z: rows,
    x: axis(img.width),
    y: axis(img.height),
    colorscale: opts.colorscale ?? 'Viridis',
    zmin: opts.zmin,
    zmax: opts.zmax,
    xaxis: opts.xaxis,
    yaxis: opts.yaxis,
    showscale: opts.showscale ?? true,
    name: opts.name,
    hovertemplate: 'row %{y}, col %{x}: %{z}<extra></extra>',
  };
}

/** Plotly shapes outlining grasp rectangles; the jaw edges (p0→p1 and p2→p3) are drawn as the plates in bold. */
export function rectShapes(rects: GraspRectPoints[], color: string, axes: { xref?: string; yref?: string } = {}): PlotlyObject[] {
  const shapes: PlotlyObject[] = [];
  for (const r of rects) {
    const path = r.map(([row, col], i) => `${i ? 'L' : 'M'}${col.toFixed(1)},${row.toFixed(1)}`).join(' ') + ' Z';
    shapes.push({ type: 'path', path, line: { color, width: 1 }, xref: axes.xref ?? 'x', yref: axes.yref ?? 'y' });
    for (const [a, b] of [[1, 2], [3, 0]] as const) {
      const plate = `M${r[a][1].toFixed(1)},${r[a][0].toFixed(1)} L${r[b][1].toFixed(1)},${r[b][0].toFixed(1)}`;
      shapes.push({ type: 'path', path: plate, line: { color, width: 3 }, xref: axes.xref ?? 'x', yref: axes.yref ?? 'y' });
    }
  }
  return shapes;
}

/** Image axes: y down, equal aspect. */
function imageAxes(suffix = '', domain?: [number, number]): PlotlyObject {
  return {
    [`xaxis${suffix}`]: { domain, constrain: 'domain', showgrid: false, zeroline: false },
    [`yaxis${suffix}`]: { autorange: 'reversed', scaleanchor: `x${suffix}`, showgrid: false, zeroline: false },
  };
}

export interface ImagePanel {
  title: string;
  image: Image2D;
  colorscale?: string;
  zmin?: number;
  zmax?: number;
  /** rectangles drawn in green (ground truth) */
  gt?: GraspRectPoints[];
  /** rectangles drawn in red (predictions) */
  pred?: GraspRectPoints[];
}

/** Shows images side by side (one row), each with optional ground-truth (green) and predicted (red) rectangles. */
export function showImages(panels: ImagePanel[], opts: { height?: number; title?: string; maxSide?: number } = {}): void {
  const n = panels.length;
  const gap = 0.04;
  const w = (1 - gap * (n - 1)) / n;
  const traces: PlotlyObject[] = [];
  let layout: PlotlyObject = { title: opts.title ? { text: opts.title } : undefined, shapes: [], annotations: [], showlegend: false };
  panels.forEach((p, i) => {
    const suffix = i === 0 ? '' : String(i + 1);
    const domain: [number, number] = [i * (w + gap), i * (w + gap) + w];
    traces.push(
      heatmapTrace(p.image, {
        maxSide: opts.maxSide,
        colorscale: p.colorscale,
        zmin: p.zmin,
        zmax: p.zmax,
        xaxis: `x${suffix}`,
        yaxis: `y${suffix}`,
        showscale: false,
        name: p.title,
      }),
    );
    layout = { ...layout, ...imageAxes(suffix, domain) };
    const axes = { xref: `x${suffix}`, yref: `y${suffix}` };
    (layout.shapes as PlotlyObject[]).push(...rectShapes(p.gt ?? [], '#00c853', axes), ...rectShapes(p.pred ?? [], '#ff1744', axes));
    (layout.annotations as PlotlyObject[]).push({ text: p.title, x: (domain[0] + domain[1]) / 2, y: 1.06, xref: 'paper', yref: 'paper', showarrow: false });
  });
  plot(traces, layout, { height: opts.height ?? Math.round(900 / Math.max(n, 2)) + 80 });
}

export interface Series {
  name: string;
  x: number[];
  y: number[];
  /** optional error bars (same length as y) */
  error?: number[];
  dash?: boolean;
}

/** A line chart of several series (learning curves, ablations). */
export function lineChart(series: Series[], opts: { title?: string; xTitle?: string; yTitle?: string; logY?: boolean; height?: number } = {}): void {
  const traces = series.map((s) => ({
    type: 'scatter',
    mode: s.x.length > 30 ? 'lines' : 'lines+markers',
    name: s.name,
    x: s.x,
    y: s.y,
    line: s.dash ? { dash: 'dash' } : undefined,
    error_y: s.error ? { type: 'data', array: s.error, visible: true } : undefined,
  }));
  plot(traces, {
    title: opts.title ? { text: opts.title } : undefined,
    xaxis: { title: { text: opts.xTitle ?? '' } },
    yaxis: { title: { text: opts.yTitle ?? '' }, type: opts.logY ? 'log' : 'linear' },
  }, { height: opts.height });
}

/** A scatter of labelled points (e.g. accuracy vs model size). */
export function scatterChart(points: { label: string; x: number; y: number; error?: number }[], opts: { title?: string; xTitle?: string; yTitle?: string; logX?: boolean } = {}): void {
  plot(
    [
      {
        type: 'scatter',
        mode: 'markers+text',
        x: points.map((p) => p.x),
        y: points.map((p) => p.y),
        text: points.map((p) => p.label),
        textposition: 'top center',
        error_y: points.some((p) => p.error !== undefined) ? { type: 'data', array: points.map((p) => p.error ?? 0), visible: true } : undefined,
        marker: { size: 10 },
      },
    ],
    {
      title: opts.title ? { text: opts.title } : undefined,
      xaxis: { title: { text: opts.xTitle ?? '' }, type: opts.logX ? 'log' : 'linear' },
      yaxis: { title: { text: opts.yTitle ?? '' } },
    },
  );
}

/** One estimate with its interval, e.g. an accuracy and its 95 % interval. */
export interface IntervalPoint {
  /** the series (legend entry), e.g. a model variant */
  group: string;
  /** the category on the x axis, e.g. a seed */
  label: string;
  value: number;
  lo: number;
  hi: number;
}

/** Estimates with asymmetric interval bars, one coloured series per group (accuracy ± 95 % per variant and seed). */
export function intervalChart(points: IntervalPoint[], opts: { title?: string; xTitle?: string; yTitle?: string; height?: number } = {}): void {
  const groups = [...new Set(points.map((p) => p.group))];
  const traces = groups.map((g) => {
    const ps = points.filter((p) => p.group === g);
    return {
      type: 'scatter',
      mode: 'markers',
      name: g,
      x: ps.map((p) => p.label),
      y: ps.map((p) => p.value),
      error_y: { type: 'data', symmetric: false, array: ps.map((p) => p.hi - p.value), arrayminus: ps.map((p) => p.value - p.lo), visible: true },
      marker: { size: 9 },
    };
  });
  plot(traces, {
    title: opts.title ? { text: opts.title } : undefined,
    xaxis: { title: { text: opts.xTitle ?? '' }, type: 'category' },
    yaxis: { title: { text: opts.yTitle ?? '' } },
    scattermode: 'group',
  }, { height: opts.height });
}

/** A histogram per named value list. */
export function histogram(values: Record<string, number[]>, opts: { title?: string; xTitle?: string; nbins?: number } = {}): void {
  const traces = Object.entries(values).map(([name, x]) => ({ type: 'histogram', name, x, nbinsx: opts.nbins ?? 30, opacity: 0.75 }));
  plot(traces, { barmode: 'overlay', title: opts.title ? { text: opts.title } : undefined, xaxis: { title: { text: opts.xTitle ?? '' } } });
}

/** Re-exported so notebooks need one import for grasps drawn as predictions. */
export type { Grasp };
