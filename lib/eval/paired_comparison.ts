import { mcnemarExact } from './mcnemar';
import { checkPairedGroups, type PairedVerdicts } from './paired';
import { pairedBootstrap, type BootstrapOptions } from './paired_bootstrap';
import { seedSummary, type SeedSummary } from './seed_stats';

/** Two models compared on the same images, over one or more seeds; accuracies and differences in percent points. */
export interface PairedComparison {
  seeds: number;
  /** images × seeds */
  pairs: number;
  baseline: { accuracyBySeed: number[]; mean: number };
  treatment: { accuracyBySeed: number[]; mean: number };
  /** treatment − baseline, pooled over all pairs */
  deltaPoints: number;
  /** 95 % paired bootstrap interval of `deltaPoints` (images resampled within each seed, seeds pooled) */
  ci95: [number, number];
  /** exact McNemar p-value on the discordant images, pooled over seeds */
  pMcnemar: number;
  discordant: { baselineOnly: number; treatmentOnly: number };
  /** how the per-seed difference varies with the seed (mean ± std, t-interval) */
  seedSpread: SeedSummary;
}

/** Accuracy in percent of a verdict list. */
export function accuracyPercent(v: readonly boolean[]): number {
  return v.length ? (100 * v.filter(Boolean).length) / v.length : 0;
}

/**
 * Everything a claim needs from paired per-image verdicts (one group per training seed, the same images in the same
 * order in both lists): accuracies per seed, the pooled difference with its bootstrap interval, McNemar's p and the
 * seed spread of the difference.
 */
export function comparePaired(groups: readonly PairedVerdicts[], opts: BootstrapOptions = {}): PairedComparison {
  const pairs = checkPairedGroups(groups, 'comparePaired');
  const base = groups.map((g) => accuracyPercent(g.baseline));
  const treat = groups.map((g) => accuracyPercent(g.treatment));
  const boot = pairedBootstrap(groups, opts);
  const mc = mcnemarExact(groups);
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  return {
    seeds: groups.length,
    pairs,
    baseline: { accuracyBySeed: base, mean: mean(base) },
    treatment: { accuracyBySeed: treat, mean: mean(treat) },
    deltaPoints: 100 * boot.delta,
    ci95: [100 * boot.lo, 100 * boot.hi],
    pMcnemar: mc.p,
    discordant: { baselineOnly: mc.baselineOnly, treatmentOnly: mc.treatmentOnly },
    seedSpread: seedSummary(treat.map((t, i) => t - base[i])),
  };
}
