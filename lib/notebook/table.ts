import type * as Danfo from 'danfojs/dist/danfojs-browser/src/index';
import { escapeHtml, showHtml } from './display';

/**
 * danfojs, typed. danfojs declares its types only under package.json "exports", which tslab's Node10 resolution does
 * not read, so the types are imported by path and the value by `require` (same tfjs instance via the npm override).
 */
export const dfd: typeof Danfo = require('danfojs');

export type Row = Record<string, string | number | boolean | null>;

/** Rows → danfojs DataFrame. */
export function toDataFrame(rows: Row[]): Danfo.DataFrame {
  return new dfd.DataFrame(rows);
}

/** Formats a cell: numbers to `digits` significant decimals, integers with thousands separators. */
function cell(v: unknown, digits: number): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v)) return v.toLocaleString('en-US');
    return v.toFixed(digits);
  }
  return v === null || v === undefined ? '' : String(v);
}

/** HTML table of a DataFrame (danfojs' own `print` is text-only). */
export function dataFrameHtml(df: Danfo.DataFrame, opts: { digits?: number; caption?: string; index?: boolean } = {}): string {
  const digits = opts.digits ?? 3;
  const cols = df.columns as string[];
  const values = df.values as unknown[][];
  const index = df.index as (string | number)[];
  const head = (opts.index ? '<th></th>' : '') + cols.map((c) => `<th>${escapeHtml(String(c))}</th>`).join('');
  const body = values
    .map((row, i) => `<tr>${opts.index ? `<th>${escapeHtml(String(index[i]))}</th>` : ''}${(row as unknown[]).map((v) => `<td>${escapeHtml(cell(v, digits))}</td>`).join('')}</tr>`)
    .join('');
  const cap = opts.caption ? `<caption style="caption-side:top;text-align:left;font-weight:bold">${escapeHtml(opts.caption)}</caption>` : '';
  return `<table class="grasplab-table" style="border-collapse:collapse;font-family:monospace;font-size:12px">${cap}<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`
    .replace(/<t([hd])>/g, '<t$1 style="border:1px solid #ccc;padding:2px 8px;text-align:right">');
}

/**
 * Shows rows (or a DataFrame) as a table in the notebook. Returns nothing on purpose: tslab prints the value of a
 * cell's last expression, and a DataFrame's dump would bury the table.
 */
export function showTable(data: Row[] | Danfo.DataFrame, opts: { digits?: number; caption?: string; index?: boolean } = {}): void {
  const df = Array.isArray(data) ? toDataFrame(data) : data;
  showHtml(dataFrameHtml(df, opts));
}
