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

/**
 * Where a learning curve stops rising: the training images at the earliest evaluation from which no tail of the curve
 * (every later start whose tail keeps at least `minPoints` evaluations, up to the end) has a slope whose t-interval lies
 * above 0. By default `minPoints` is the late slope's window (the later half), so a curve whose late slope is rising
 * has no flat point, and a flat one is flat from the middle of its curve or earlier. Undefined when the curve is too
 * short (fewer than 3 points in the window) or still rising. Descriptive, not a test: shorter tails have wider
 * intervals, so a smaller `minPoints` declares "flat" earlier from noise alone.
 */
export function flatFrom(images: readonly number[], accuracyPercent: readonly number[], minPoints = Math.ceil(images.length / 2)): number | undefined {
  const n = images.length;
  if (n !== accuracyPercent.length) throw new ConfigError(`flatFrom: ${n} image counts but ${accuracyPercent.length} accuracies`);
  if (!Number.isInteger(minPoints) || minPoints < 1) throw new ConfigError(`flatFrom: minPoints must be a positive integer, got ${minPoints}`);
  if (minPoints < 3 || n < minPoints) return undefined;
  let from: number | undefined;
  // walk start points from the end back: the answer is the earliest start of an unbroken run of non-rising tails
  for (let i = n - minPoints; i >= 0; i--) {
    const ci = linearSlope(images.slice(i).map((v) => v / 1000), accuracyPercent.slice(i)).ci;
    if (ci && ci[0] > 0) break;
    from = i;
  }
  return from === undefined ? undefined : images[from];
}
