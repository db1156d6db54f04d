import * as fs from 'fs';
import { escapeHtml, showHtml } from './display';

/** A plotly trace or layout: plain JSON, passed through to `Plotly.newPlot`. */
export type PlotlyObject = Record<string, unknown>;

let plotlyInlined = false;
let plotCounter = 0;

/**
 * Inlines the plotly bundle (plotly.js-dist-min, ~4.8 MB) into the notebook once, so charts render offline in
 * JupyterLab and in the exported HTML. Called by `plot` on first use; call it in the first cell to keep the bundle at
 * the top of the report.
 */
export function plotSetup(): void {
  if (plotlyInlined) return;
  const bundle = fs.readFileSync(require.resolve('plotly.js-dist-min/plotly.min.js'), 'utf8');
  // The bundle must not see an AMD `define` (JupyterLab has none, classic notebook has require.js): hide it.
  if (showHtml(`<script type="text/javascript">(function(){var define=undefined;${bundle}\n}).call(window);</script>`)) {
    plotlyInlined = true;
  }
}

/**
 * HTML for one plotly chart: a div plus a `Plotly.newPlot` call. Traces are JSON-encoded; typed arrays become plain
 * arrays.
 */
export function plotHtml(traces: PlotlyObject[], layout: PlotlyObject = {}, opts: { height?: number } = {}): string {
  const id = `grasplab-plot-${process.pid}-${++plotCounter}`;
  const height = opts.height ?? (typeof layout.height === 'number' ? layout.height : 420);
  const json = (v: unknown) => JSON.stringify(v, (_k, x) => (ArrayBuffer.isView(x) ? Array.from(x as Float32Array) : x)).replace(/</g, '\\u003c');
  return (
    `<div id="${id}" style="width:100%;height:${height}px"></div>` +
    `<script type="text/javascript">(function(){var el=document.getElementById(${JSON.stringify(id)});` +
    `if(!window.Plotly){el.textContent=${JSON.stringify('plotly is not loaded: run the notebook from its first cell')};return;}` +
    `window.Plotly.newPlot(el,${json(traces)},${json({ margin: { t: 40, l: 50, r: 20, b: 40 }, ...layout })},{responsive:true,displaylogo:false});})();</script>`
  );
}

/**
 * Displays a plotly chart in the notebook (no-op outside one). Returns nothing on purpose: tslab prints a cell's last
 * expression, and the chart's HTML would be dumped as text under it (use `plotHtml` for the string).
 */
export function plot(traces: PlotlyObject[], layout: PlotlyObject = {}, opts: { height?: number } = {}): void {
  plotSetup();
  showHtml(plotHtml(traces, layout, opts));
}

/** A titled caption under/above charts. */
export function caption(text: string): void {
  showHtml(`<p style="font-style:italic;color:#555">${escapeHtml(text)}</p>`);
}
