import { ShapeError } from '../errors';
import { comparePaired, type PairedComparison } from './paired_comparison';
import type { SimRealRun } from './real';

/**
 * Summaries of sim-to-real runs (scripts/simreal-train.ts) for the generator ablation. On 21 real images one
 * checkpoint's score swings by ±2–3 images from one evaluation to the next, so besides the last step's verdicts
 * (paired against the default preset's run on the same images) each run is summarised by the mean over its last
 * checkpoints: a less noisy number chosen without looking at the real scores.
 */

/** Mean real-image accuracy (%) over the last `n` evaluated checkpoints of a run, with their min and max. */
export interface LateWindow {
  steps: [number, number];
  checkpoints: number;
  realMean: number;
  realMin: number;
  realMax: number;
  syntheticMean: number;
}

export function lateWindow(run: SimRealRun, n = 5): LateWindow {
  if (!(Number.isInteger(n) && n >= 1)) throw new ShapeError(`lateWindow: n must be a positive integer, got ${n}`);
  const scored = run.curve.filter((c) => c.realAccuracy !== undefined);
  if (scored.length === 0) throw new ShapeError(`lateWindow: the run "${run.command}" has no real-image scores in its curve`);
  const tail = scored.slice(-n);
  const real = tail.map((c) => 100 * c.realAccuracy!);
  const synth = tail.map((c) => 100 * (c.accuracy ?? NaN));
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  return {
    steps: [tail[0].step, tail[tail.length - 1].step],
    checkpoints: tail.length,
    realMean: mean(real),
    realMin: Math.min(...real),
    realMax: Math.max(...real),
    syntheticMean: mean(synth),
  };
}

/** What makes two runs comparable apart from the preset: network, start, data profile, budget and seed. */
export function runKey(run: SimRealRun, withSeed = true): string {
  return [run.model ?? 'ggcnn', run.network?.headBias ?? 'zeros', run.profile ?? 'cpu', run.steps, run.batchSize, withSeed ? run.seed : ''].join('|');
}

export interface AblationRow {
  preset: string;
  seed: number;
  run: SimRealRun;
  /** the default preset's run of the same key (the run itself for the default's rows) */
  base: SimRealRun;
  late: LateWindow;
  /** last step's per-image verdicts against the default preset's run of the same key (absent for the default itself) */
  vsDefault?: PairedComparison;
}

/**
 * One row per run that has a default-preset run with the same network, start, profile, budget and seed; each
 * ablation is paired with that run on the real images' last-step verdicts (same image ids, same order).
 */
export function ablationRows(runs: readonly SimRealRun[], defaultPreset = 'cornell', window = 5): AblationRow[] {
  const defaults = new Map(runs.filter((r) => r.preset === defaultPreset).map((r) => [runKey(r), r]));
  const rows: AblationRow[] = [];
  for (const run of runs) {
    const base = defaults.get(runKey(run));
    if (!base) continue;
    const row: AblationRow = { preset: run.preset, seed: run.seed, run, base, late: lateWindow(run, window) };
    if (run !== base) row.vsDefault = comparePaired([pairVerdicts(base, run)], { seed: 1 });
    rows.push(row);
  }
  return rows;
}

/** The last step's real verdicts of two runs, matched by image id. */
function pairVerdicts(base: SimRealRun, treat: SimRealRun): { baseline: boolean[]; treatment: boolean[] } {
  const b = base.final.perImage;
  const t = treat.final.perImage;
  if (!b || !t) throw new ShapeError(`ablation: per-image verdicts missing in "${!b ? base.command : treat.command}"`);
  const byId = new Map(t.map((v) => [v.id, v.success]));
  const missing = b.filter((v) => !byId.has(v.id)).map((v) => v.id);
  if (missing.length || b.length !== t.length) {
    throw new ShapeError(`ablation: "${treat.command}" was scored on other real images than "${base.command}" (missing: ${missing.slice(0, 3).join(', ') || 'none'}; ${t.length} vs ${b.length} images)`);
  }
  return { baseline: b.map((v) => v.success), treatment: b.map((v) => byId.get(v.id)!) };
}

/** One preset against the default over every seed both were run with. */
export interface PooledAblationRow {
  preset: string;
  seeds: number[];
  /** late-window real mean (%) per seed, same order as `seeds` */
  lateBySeed: number[];
  lateMean: number;
  /** last-step verdicts paired per seed with the default's run of that seed, pooled (absent for the default itself) */
  vsDefault?: PairedComparison;
}

/**
 * The ablation over seeds: for each preset and run key without the seed (network, start, profile, budget), every seed
 * that also has a default-preset run, paired per seed and pooled (images resampled within each seed). The default's
 * own row lists its seeds and late means where some ablation shares its key. Runs without a same-seed default run are
 * left out.
 */
export function pooledAblation(runs: readonly SimRealRun[], defaultPreset = 'cornell', window = 5): PooledAblationRow[] {
  const groups = new Map<string, { preset: string; key: string; rows: AblationRow[] }>();
  for (const r of ablationRows(runs, defaultPreset, window)) {
    const key = runKey(r.run, false);
    const id = `${r.preset}|${key}`;
    if (!groups.has(id)) groups.set(id, { preset: r.preset, key, rows: [] });
    groups.get(id)!.rows.push(r);
  }
  // the default's rows only where some ablation shares their key (other profiles or budgets are not an ablation)
  const ablated = new Set([...groups.values()].filter((g) => g.preset !== defaultPreset).map((g) => g.key));
  const out: PooledAblationRow[] = [];
  for (const { preset, key, rows } of groups.values()) {
    if (preset === defaultPreset && !ablated.has(key)) continue;
    rows.sort((a, b) => a.seed - b.seed);
    const late = rows.map((r) => r.late.realMean);
    const row: PooledAblationRow = { preset, seeds: rows.map((r) => r.seed), lateBySeed: late, lateMean: late.reduce((s, x) => s + x, 0) / late.length };
    if (preset !== defaultPreset) row.vsDefault = comparePaired(rows.map((r) => pairVerdicts(r.base, r.run)), { seed: 1 });
    out.push(row);
  }
  return out;
}
