import { ConfigError } from '../errors';
import { studentTQuantile } from './distributions';

/** Mean ± sample standard deviation of a value over training seeds, with a t-interval of the mean. */
export interface SeedSummary {
  n: number;
  mean: number;
  /** sample standard deviation (n − 1); 0 for one seed */
  std: number;
  /** t-interval of the mean (default 95 %); null for fewer than two seeds */
  ci: [number, number] | null;
}

/**
 * How a number (an accuracy, a difference) varies with the training seed: mean, sample std and the Student-t
 * interval mean ± t(1−α/2, n−1)·std/√n. With 3 seeds t = 4.30, so the interval is wide: it answers "would another
 * seed change the conclusion", which the image bootstrap does not.
 */
export function seedSummary(values: readonly number[], confidence = 0.95): SeedSummary {
  const n = values.length;
  if (n === 0) throw new ConfigError('seedSummary: no values');
  if (!values.every(Number.isFinite)) throw new ConfigError(`seedSummary: values must be finite numbers, got ${values.join(', ')}`);
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n < 2) return { n, mean, std: 0, ci: null };
  const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  const half = studentTQuantile(1 - (1 - confidence) / 2, n - 1) * (std / Math.sqrt(n));
  return { n, mean, std, ci: [mean - half, mean + half] };
}
