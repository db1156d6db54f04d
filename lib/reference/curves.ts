import * as fs from 'fs';
import * as path from 'path';
import { flatFrom, lateSlope } from '../eval/curve_slope';
import type { DetailsLateSlope } from './evidence_files';

/**
 * A reference run's validation accuracy (%) against training images seen, from `<dir>/runs/<run>/run.json`
 * (undefined when the run has no run.json yet). `dir` is a results/reference folder.
 */
export function validationCurve(dir: string, run: string): { images: number[]; accuracy: number[] } | undefined {
  const file = path.join(dir, 'runs', run, 'run.json');
  if (!fs.existsSync(file)) return undefined;
  const info = JSON.parse(fs.readFileSync(file, 'utf8')) as { config?: { batchSize?: number }; history: { step: number; val?: { accuracy: number } }[] };
  const batch = info.config?.batchSize ?? 1;
  const h = info.history.filter((e) => e.val);
  return { images: h.map((e) => e.step * batch), accuracy: h.map((e) => 100 * e.val!.accuracy) };
}

/**
 * Whether a run's validation curve was still rising at its end, and from how many training images on it was not
 * (lib/eval/curve_slope: `flatFrom` over tails of at least half the curve; null while rising), rounded for the files.
 */
export function runLateSlope(dir: string, run: string): DetailsLateSlope | null {
  const c = validationCurve(dir, run);
  const s = c && lateSlope(c.images, c.accuracy);
  if (!s) return null;
  const r2 = (v: number) => Math.round(v * 100) / 100;
  return {
    per_1000_images: r2(s.perThousandImages),
    ci95: s.ci95 ? [r2(s.ci95[0]), r2(s.ci95[1])] : null,
    points: s.points,
    trend: s.trend,
    flat_from_images: flatFrom(c.images, c.accuracy) ?? null,
  };
}
