import { ConfigError } from '../errors';
import { studentTQuantile } from './distributions';

/** A least-squares line y = intercept + slope·x with the Student-t interval of its slope. */
export interface LinearSlope {
  n: number;
  slope: number;
  intercept: number;
  /** slope ± t(1−α/2, n−2)·SE(slope); null for fewer than three points (no residual degrees of freedom) */
  ci: [number, number] | null;
}

/**
 * Ordinary least squares of y on x and the t-interval of the slope (what `scipy.stats.linregress` gives as slope and
 * stderr). Hand-written: five lines of sums, and jstat's regression helpers do not return the slope's standard error.
 */
export function linearSlope(x: readonly number[], y: readonly number[], confidence = 0.95): LinearSlope {
  const n = x.length;
  if (n !== y.length) throw new ConfigError(`linearSlope: ${n} x values but ${y.length} y values`);
  if (n < 2) throw new ConfigError(`linearSlope: need at least two points, got ${n}`);
  if (![...x, ...y].every(Number.isFinite)) throw new ConfigError('linearSlope: values must be finite numbers');
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  const sxx = x.reduce((s, v) => s + (v - mx) ** 2, 0);
  if (sxx === 0) throw new ConfigError('linearSlope: all x values are equal');
  const sxy = x.reduce((s, v, i) => s + (v - mx) * (y[i] - my), 0);
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  if (n < 3) return { n, slope, intercept, ci: null };
  const sse = x.reduce((s, v, i) => s + (y[i] - intercept - slope * v) ** 2, 0);
  const se = Math.sqrt(sse / (n - 2) / sxx);
  const half = studentTQuantile(1 - (1 - confidence) / 2, n - 2) * se;
  return { n, slope, intercept, ci: [slope - half, slope + half] };
}

/** Is a learning curve still going up at its end? */
export interface LateSlope {
  /** validation accuracy points gained per 1,000 training images over the second half of the curve */
  perThousandImages: number;
  ci95: [number, number] | null;
  /** epochs (curve points) in the fit */
  points: number;
  /** `rising` / `falling` when the interval excludes 0 on that side, else `flat` */
  trend: 'rising' | 'flat' | 'falling';
}

/**
 * The slope of a validation curve over its second half (the later ⌈n/2⌉ points), in accuracy points per 1,000
 * training images: a run whose late slope is still clearly positive has not reached the flat part of its curve.
 * `images` and `accuracyPercent` are one entry per evaluation, in order. Undefined for fewer than four points.
 */
export function lateSlope(images: readonly number[], accuracyPercent: readonly number[]): LateSlope | undefined {
  const n = images.length;
  if (n < 4) return undefined;
  const from = Math.floor(n / 2);
  const fit = linearSlope(images.slice(from).map((v) => v / 1000), accuracyPercent.slice(from));
  const ci = fit.ci;
  const trend = ci && ci[0] > 0 ? 'rising' : ci && ci[1] < 0 ? 'falling' : 'flat';
  return { perThousandImages: fit.slope, ci95: ci, points: fit.n, trend };
}
