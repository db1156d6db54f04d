/**
 * The distribution functions the evidence statistics need, from `jstat` (MIT, no dependencies): one small package
 * instead of hand-written special functions; the @stdlib equivalents pull in ~240 packages for these three.
 * jstat ships no type declarations, so the few functions used are typed here.
 */
import { ConfigError } from '../errors';

interface JStatSubset {
  normal: { inv(p: number, mean: number, std: number): number };
  studentt: { inv(p: number, dof: number): number };
  /** regularised incomplete beta function I_x(a, b) */
  ibeta(x: number, a: number, b: number): number;
}

const { jStat } = require('jstat') as { jStat: JStatSubset };

function checkProbability(p: number, what: string): void {
  if (!(p > 0 && p < 1)) throw new ConfigError(`${what}: probability must be in (0, 1), got ${p}`);
}

/** Standard normal quantile Φ⁻¹(p); e.g. 1.959964 for p = 0.975. */
export function normalQuantile(p: number): number {
  checkProbability(p, 'normalQuantile');
  return jStat.normal.inv(p, 0, 1);
}

/** Student's t quantile with `dof` degrees of freedom; e.g. 4.302653 for p = 0.975, dof = 2. */
export function studentTQuantile(p: number, dof: number): number {
  checkProbability(p, 'studentTQuantile');
  if (!(dof > 0)) throw new ConfigError(`studentTQuantile: degrees of freedom must be > 0, got ${dof}`);
  return jStat.studentt.inv(p, dof);
}

/** P(X ≤ k) for X ~ Binomial(n, p), through I_{1−p}(n − k, k + 1) (exact up to the incomplete beta's ~1e-7 relative error). */
export function binomialCdf(k: number, n: number, p: number): number {
  if (!(Number.isInteger(n) && n >= 0)) throw new ConfigError(`binomialCdf: n must be a non-negative integer, got ${n}`);
  if (!(p >= 0 && p <= 1)) throw new ConfigError(`binomialCdf: p must be in [0, 1], got ${p}`);
  const kk = Math.floor(k);
  if (kk < 0) return 0;
  if (kk >= n) return 1;
  if (p === 0) return 1;
  if (p === 1) return 0;
  return jStat.ibeta(1 - p, n - kk, kk + 1);
}
