import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_ROOT } from '../config/paths';
import { showMarkdown } from '../notebook/display';
import { intervalChart, lineChart, type IntervalPoint, type Series } from '../notebook/figures';
import { showTable } from '../notebook/table';
import { readDetails, type ClaimEntry, type ClaimsFile, type DetailsFile, type DetailsSource } from './evidence_files';
import { validationCurve } from './curves';
import { parseSource } from './plan';
import { claimsTable, followUpTable } from './table';

export { validationCurve } from './curves';

/**
 * The evidence as notebooks show it: the committed results/reference/ (claims.json, details.json, every run's
 * run.json), read from the repository whatever GRASPLAB_RESULTS_DIR says (a smoke run's own results go to a temp
 * folder; the evidence is part of the checkout, like models/). `GRASPLAB_REFERENCE_DIR` points elsewhere.
 */
export function committedEvidenceDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.GRASPLAB_REFERENCE_DIR ? path.resolve(env.GRASPLAB_REFERENCE_DIR) : path.join(PROJECT_ROOT, 'results', 'reference');
}

export interface Evidence {
  dir: string;
  claims: ClaimsFile;
  details?: DetailsFile;
}

export function loadEvidence(dir = committedEvidenceDir()): Evidence | undefined {
  const file = path.join(dir, 'claims.json');
  if (!fs.existsSync(file)) return undefined;
  const details = path.join(dir, 'details.json');
  return {
    dir,
    claims: JSON.parse(fs.readFileSync(file, 'utf8')) as ClaimsFile,
    details: readDetails(details),
  };
}

const NOT_YET =
  'No reference evidence yet: `results/reference/claims.json` is written by the reference runs ' +
  '(`GRASPLAB_PROFILE=reference npx tsx scripts/reference.ts run --jobs 2`, hours on a 2-core machine; see README). ' +
  'This section shows the learning curves, the claim with its interval and verdict, and the accuracies per seed once they are committed.';

/**
 * A notebook section for one claim (`C1`…`C5`): the claim's row (Δ with its 95 % interval, McNemar p, verdict, seed
 * spread), its follow-up comparisons' rows, the validation curves of every run behind them with their late slopes, and
 * each model's test accuracy with its Wilson 95 % interval per seed. Prints a clear message when the evidence is not
 * there (yet). Returns the claim, if any.
 */
export function showClaimEvidence(id: ClaimEntry['id'], opts: { dir?: string } = {}): ClaimEntry | undefined {
  const ev = loadEvidence(opts.dir ?? committedEvidenceDir());
  if (!ev) {
    if (!showMarkdown(`*${NOT_YET}*`)) console.log(NOT_YET);
    return undefined;
  }
  const claim = ev.claims.claims.find((c) => c.id === id);
  if (!claim) {
    console.log(`results/reference/claims.json has no claim ${id}`);
    return undefined;
  }
  const det = ev.details?.claims.find((c) => c.id === id);
  const one = { ...ev.claims, claims: [claim] };
  // the markdown table of README, for this claim
  const md = claimsTable(one, path.join(ev.dir, 'details.json'));
  if (!showMarkdown(md)) console.log(md);
  if (claim.verdict === 'pending') console.log(`${id} is pending: ${(claim.pending ?? []).join(', ')} not finished yet`);
  if (det?.beside.length) {
    showTable(det.beside.map((b) => ({
      'shown beside': b.label,
      'accuracy % by seed': b.sources.map((s) => (s.accuracy === null ? '–' : s.accuracy.toFixed(1))).join(', '),
      [`Δ vs ${claim.baseline.label}`]: b.vs_baseline ? b.vs_baseline.delta_points : '',
      'Δ 95% CI': b.vs_baseline ? `[${b.vs_baseline.ci95.join(', ')}]` : '',
      'p McNemar': b.vs_baseline ? b.vs_baseline.p_mcnemar : '',
    })), { caption: `${id}: other variants (not part of the verdict)`, digits: 2 });
  }
  // follow-up comparisons of this claim (registered after it was decided): their own row, curves and intervals
  const followUps = (ev.details?.follow_ups ?? []).filter((f) => f.of === id);
  if (followUps.length) {
    const fmd = followUpTable(path.join(ev.dir, 'details.json'), id);
    if (!showMarkdown(fmd)) console.log(fmd);
  }
  const sides: { label: string; sources: DetailsSource[] }[] = [
    ...(det ? [{ label: claim.baseline.label, sources: det.baseline }, { label: claim.treatment.label, sources: det.treatment }, ...det.beside] : []),
    ...followUps.flatMap((f) => [{ label: f.baseline.label, sources: f.baseline_sources }, { label: f.treatment.label, sources: f.treatment_sources }]),
  ];
  // learning curves of the trained runs behind the claim (exports share their run's curve)
  const curves: Series[] = [];
  const slopes: Record<string, string | number>[] = [];
  const seen = new Set<string>();
  for (const side of sides) {
    for (const s of side.sources) {
      const run = parseSource(s.source).run;
      if (seen.has(run)) continue;
      seen.add(run);
      const c = validationCurve(ev.dir, run);
      if (c) curves.push({ name: `${side.label} · ${run}`, x: c.images, y: c.accuracy });
      const slope = s.late_slope;
      if (slope) {
        slopes.push({
          run,
          'points / 1,000 images': slope.per_1000_images,
          '95% CI': slope.ci95 ? `[${slope.ci95.join(', ')}]` : '',
          trend: slope.trend,
          'flat from (images)': slope.flat_from_images ? slope.flat_from_images.toLocaleString('en-US') : slope.flat_from_images === null ? 'not yet' : '',
        });
      }
    }
  }
  if (curves.length) lineChart(curves, { title: `${id}: validation accuracy of the reference runs`, xTitle: 'training images seen', yTitle: 'validation accuracy %' });
  if (slopes.length) showTable(slopes, { caption: `${id}: still learning at the end? Slope of validation accuracy over the second half of each curve (rising: the interval is above 0); flat from: the earliest point after which no tail of at least half the curve rises`, digits: 2 });
  const points: IntervalPoint[] = sides.flatMap((side) =>
    side.sources
      .filter((s) => s.accuracy !== null && s.wilson95)
      .map((s) => ({ group: side.label, label: /-s(\d+)/.exec(s.source)?.[0].slice(1) ?? s.source, value: s.accuracy!, lo: s.wilson95![0], hi: s.wilson95![1] })),
  );
  if (points.length) intervalChart(points, { title: `${id}: test accuracy per model and seed (Wilson 95 %)`, xTitle: 'seed', yTitle: `test accuracy % (${ev.claims.test_images} images)` });
  return claim;
}
