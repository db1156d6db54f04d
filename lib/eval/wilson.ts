import { ConfigError } from '../errors';
import { normalQuantile } from './distributions';

/** A confidence interval of a proportion, as fractions in [0, 1]. */
export interface ProportionInterval {
  estimate: number;
  lo: number;
  hi: number;
}

/**
 * Wilson score interval of an accuracy `correct / total` (default 95 %): unlike the normal ("Wald") interval it
 * stays inside [0, 1] and keeps its coverage near 0 % and 100 % and for small `total`.
 */
export function wilsonInterval(correct: number, total: number, confidence = 0.95): ProportionInterval {
  if (!(Number.isInteger(total) && total > 0)) throw new ConfigError(`wilsonInterval: total must be a positive integer, got ${total}`);
  if (!(Number.isInteger(correct) && correct >= 0 && correct <= total)) throw new ConfigError(`wilsonInterval: correct must be an integer in [0, ${total}], got ${correct}`);
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = correct / total;
  const z2n = (z * z) / total;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / total + z2n / (4 * total));
  return { estimate: p, lo: Math.max(0, centre - half), hi: Math.min(1, centre + half) };
}
