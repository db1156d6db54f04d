import { performance } from 'perf_hooks';

export interface LatencyOptions {
  /** untimed calls first (JIT, wasm/XNNPACK set-up, first-call shape compilation); default 3 */
  warmup?: number;
  /** timed calls; default 20 */
  runs?: number;
}

/** Latency statistics in milliseconds. */
export interface LatencyStats {
  median: number;
  /** 10th / 90th percentile (linear interpolation, like numpy's default) */
  p10: number;
  p90: number;
  mean: number;
  /** number of timed calls */
  runs: number;
  /** each timed call, in call order */
  times: number[];
}

/**
 * Times `fn` (awaited if it returns a promise): `warmup` untimed calls, then `runs` timed ones.
 * With tfjs, make `fn` wait for its result (e.g. `await y.data()`) and dispose what it creates, or the timing only
 * covers queuing the work and memory grows with each run.
 * @example
 *   const stats = await measureLatency(() => postprocess(maps), { warmup: 2, runs: 30 });
 */
export async function measureLatency(fn: () => unknown, opts: LatencyOptions = {}): Promise<LatencyStats> {
  const warmup = Math.max(0, Math.floor(opts.warmup ?? 3));
  const runs = Math.max(1, Math.floor(opts.runs ?? 20));
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  const sorted = [...times].sort((a, b) => a - b);
  return {
    median: percentile(sorted, 50),
    p10: percentile(sorted, 10),
    p90: percentile(sorted, 90),
    mean: times.reduce((s, t) => s + t, 0) / times.length,
    runs,
    times,
  };
}

/** `q`-th percentile (0–100) of ascending `sorted`, linearly interpolated between the nearest ranks. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = ((sorted.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
