/** Summary of repeated timings (ms): median and spread. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  /** (max − min) / median: how far apart the repeats were */
  spread: number;
  n: number;
  samples: number[];
}

export function summarize(samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return { median: NaN, min: NaN, max: NaN, spread: NaN, n: 0, samples: [] };
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return { median, min: s[0], max: s[n - 1], spread: median > 0 ? (s[n - 1] - s[0]) / median : 0, n, samples: samples.map(round1) };
}

export function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

/** "123 ms (±4%)" style cell. */
export function formatSummary(s: Summary | undefined, unit = ''): string {
  if (!s || s.n === 0) return '—';
  const v = s.median >= 100 ? s.median.toFixed(0) : s.median.toFixed(1);
  return s.n > 1 ? `${v}${unit} ±${(s.spread * 50).toFixed(0)}%` : `${v}${unit}`;
}
