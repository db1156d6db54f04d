import { ConfigError } from '../errors';

/**
 * The smallest effect that matters, in accuracy points: an interval inside ±5 points rules out an effect of that
 * size. Five points because the report's own headline effect (PSPNet 88 % vs GG-CNN 83 %) is five points, and
 * the evidence runs are sized so every interval is at most ±5 points wide, so this outcome is reachable.
 */
export const NO_EFFECT_MARGIN_POINTS = 5;

export type Verdict = 'supported' | 'contradicted' | `no effect ≥ ${number}` | 'undecided';

export interface VerdictOptions {
  /** the direction the claim predicts for treatment − baseline: +1 (treatment better) or −1 */
  direction: 1 | -1;
  /** default NO_EFFECT_MARGIN_POINTS */
  marginPoints?: number;
}

/**
 * Decides a claim from the 95 % interval `[lo, hi]` of treatment − baseline (points):
 * - `supported`: the interval excludes 0 on the side the claim predicts;
 * - `contradicted`: it excludes 0 on the other side;
 * - `no effect ≥ X`: it contains 0 and lies inside ±X (no effect as large as X either way);
 * - `undecided`: otherwise (contains 0 and reaches beyond ±X: the data cannot tell).
 * The first two come first: a small but clear effect (e.g. [0.5, 3]) is an effect.
 */
export function verdict(ci: readonly [number, number], opts: VerdictOptions): Verdict {
  const [lo, hi] = ci;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi)) throw new ConfigError(`verdict: interval must be finite with lo ≤ hi, got [${lo}, ${hi}]`);
  if (opts.direction !== 1 && opts.direction !== -1) throw new ConfigError(`verdict: direction must be 1 or -1, got ${String(opts.direction)}`);
  const x = opts.marginPoints ?? NO_EFFECT_MARGIN_POINTS;
  if (!(x > 0)) throw new ConfigError(`verdict: marginPoints must be > 0, got ${x}`);
  const above = lo > 0;
  const below = hi < 0;
  if (above || below) return (above ? 1 : -1) === opts.direction ? 'supported' : 'contradicted';
  if (lo > -x && hi < x) return `no effect ≥ ${x}`;
  return 'undecided';
}
