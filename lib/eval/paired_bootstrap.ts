import { ConfigError } from '../errors';
import { Rng } from '../data/random';
import { checkPairedGroups, type PairedVerdicts } from './paired';

export interface BootstrapOptions {
  /** bootstrap replicates (default 10,000) */
  resamples?: number;
  /** seed of the resampling: the interval is a deterministic function of the data and this seed (default 1) */
  seed?: number;
  /** default 0.95 */
  confidence?: number;
}

/** Paired accuracy difference treatment − baseline, as fractions (multiply by 100 for points). */
export interface PairedDifference {
  /** observed difference, pooled over all pairs of all groups */
  delta: number;
  /** percentile bootstrap interval */
  lo: number;
  hi: number;
  pairs: number;
  resamples: number;
  seed: number;
}

/**
 * Accuracy difference of two models scored on the same images with a percentile bootstrap interval over images.
 * With several groups (one per training seed) images are resampled within each group and the groups pooled: each
 * replicate draws every group's images with replacement (as many as it has) and takes the mean difference over all
 * drawn pairs. The interval therefore reflects which images happened to be in the test set, not how the training
 * seed moves a model (report the seed spread beside it). Quantiles interpolate linearly (numpy's default).
 *
 * @example pairedBootstrap([{ baseline: [true, false, …], treatment: [true, true, …] }]) // → { delta, lo, hi, … }
 */
export function pairedBootstrap(groups: readonly PairedVerdicts[], opts: BootstrapOptions = {}): PairedDifference {
  const pairs = checkPairedGroups(groups, 'pairedBootstrap');
  const resamples = opts.resamples ?? 10_000;
  const seed = opts.seed ?? 1;
  const confidence = opts.confidence ?? 0.95;
  if (!(Number.isInteger(resamples) && resamples >= 100)) throw new ConfigError(`pairedBootstrap: resamples must be an integer ≥ 100, got ${resamples}`);
  if (!(confidence > 0 && confidence < 1)) throw new ConfigError(`pairedBootstrap: confidence must be in (0, 1), got ${confidence}`);
  // per-image differences in {-1, 0, 1}
  const diffs = groups.map((g) => Int8Array.from(g.baseline, (b, i) => Number(g.treatment[i]) - Number(b)));
  const observed = diffs.reduce((s, d) => s + d.reduce((a, v) => a + v, 0), 0) / pairs;
  const rng = new Rng(seed);
  const reps = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (const d of diffs) {
      const n = d.length;
      for (let k = 0; k < n; k++) sum += d[rng.int(n)];
    }
    reps[r] = sum / pairs;
  }
  reps.sort();
  const alpha = 1 - confidence;
  return { delta: observed, lo: quantileSorted(reps, alpha / 2), hi: quantileSorted(reps, 1 - alpha / 2), pairs, resamples, seed };
}

/** Linear-interpolation quantile of sorted values (numpy's default `linear` method). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new ConfigError('quantileSorted: no values');
  const pos = q * (n - 1);
  const i = Math.floor(pos);
  const f = pos - i;
  return i + 1 < n ? sorted[i] + f * (sorted[i + 1] - sorted[i]) : sorted[n - 1];
}
