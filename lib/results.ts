import * as fs from 'fs';
import * as path from 'path';
import { resultsDir } from './config/paths';

/**
 * Small, committed metrics files: `results/metrics/<name>.json` (and `.csv` for tables) so readers of the repository
 * see the latest numbers without running anything. Large artefacts (runs, HTML) are git-ignored.
 */
export function metricsPath(name: string, ext: 'json' | 'csv'): string {
  return path.join(resultsDir(), 'metrics', `${name}.${ext}`);
}

/** Writes `data` (plus provenance) as pretty JSON; returns the file path. */
export function writeMetrics(name: string, data: Record<string, unknown>): string {
  const file = metricsPath(name, 'json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const record = {
    ...data,
    provenance: {
      profile: process.env.GRASPLAB_PROFILE ?? 'cpu',
      dataset: process.env.GRASPLAB_DATASET ?? 'synthetic',
      written: new Date().toISOString(),
      node: process.version,
      command: 'npm run reproduce',
    },
  };
  fs.writeFileSync(file, JSON.stringify(record, null, 2) + '\n');
  return file;
}

/** Writes rows as CSV (RFC 4180 quoting); returns the file path. */
export function writeCsv(name: string, rows: Record<string, unknown>[]): string {
  const file = metricsPath(name, 'csv');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const q = (v: unknown) => {
    const s = v === null || v === undefined ? '' : typeof v === 'number' ? String(Math.round(v * 1e6) / 1e6) : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  fs.writeFileSync(file, [cols.join(','), ...rows.map((r) => cols.map((c) => q(r[c])).join(','))].join('\n') + '\n');
  return file;
}

/** Reads a metrics JSON written earlier (e.g. notebook 03 reads 02's GG-CNN numbers), or undefined. */
export function readMetrics<T = Record<string, unknown>>(name: string): T | undefined {
  const file = metricsPath(name, 'json');
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as T) : undefined;
}
