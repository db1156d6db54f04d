import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binomialCdf, normalQuantile, studentTQuantile } from '../../lib/eval/distributions';
import { mcnemarExact } from '../../lib/eval/mcnemar';
import { pairedBootstrap, quantileSorted } from '../../lib/eval/paired_bootstrap';
import { comparePaired } from '../../lib/eval/paired_comparison';
import { seedSummary } from '../../lib/eval/seed_stats';
import { flatFrom, lateSlope, linearSlope } from '../../lib/eval/curve_slope';
import { verdict } from '../../lib/eval/verdict';
import { wilsonInterval } from '../../lib/eval/wilson';
import { ConfigError, ShapeError } from '../../lib/errors';

// Reference values computed independently with SciPy 1.10.1 and statsmodels 0.13.5 (Debian's python3-scipy and
// python3-statsmodels) by
//     /usr/bin/python3 scripts/stats_reference.py
// (proportion_confint(method='wilson'), mcnemar(exact=True), stats.t.interval, stats.bootstrap(method='percentile'),
// and a numpy bootstrap resampling within each seed for the pooled case), copied here.
const REF = {
  normal_0975: 1.959963984540054,
  t_0975_df2: 4.302652729911275,
  t_0975_df4: 2.7764451051977987,
  binom_cdf_7_30_half: 0.0026114396750926976,
  binom_cdf_480_1000_half: 0.10872414660207046,
  wilson: [
    { correct: 0, total: 10, lo: 0.0, hi: 0.27753279986288926 },
    { correct: 3, total: 10, lo: 0.10779126740630104, hi: 0.6032218525388546 },
    { correct: 10, total: 10, lo: 0.7224672001371106, hi: 1.0 },
    { correct: 37, total: 40, lo: 0.8013576647568946, hi: 0.9741639742254119 },
    { correct: 412, total: 1000, lo: 0.38188731127995773, hi: 0.4427861982134999 },
    { correct: 1, total: 1, lo: 0.2065493143772374, hi: 1.0 },
    { correct: 500, total: 1000, lo: 0.4690696003681042, hi: 0.5309303996318958 },
  ],
  // [both right, baseline only, treatment only, both wrong] tables → exact p
  mcnemar: [
    { cells: [10, 3, 9, 8], p: 0.14599609375 },
    { cells: [50, 10, 10, 30], p: 1.0 },
    { cells: [20, 0, 7, 3], p: 0.015625 },
    { cells: [400, 40, 62, 498], p: 0.03706676743856045 },
    { cells: [1000, 120, 180, 1700], p: 0.0006342200069283597 },
    { cells: [100, 5, 200, 0], p: 1.1455395645628988e-52 },
    { cells: [5, 0, 0, 5], p: 1.0 },
  ],
  t_interval: [
    { values: [41.2, 47.9, 44.0], mean: 44.36666666666667, std: 3.3650160970392577, lo: 36.00750327905017, hi: 52.725830054283165 },
    { values: [1.0, 2.0], mean: 1.5, std: 0.7071067811865476, lo: -4.853102368216048, hi: 7.853102368216048 },
    { values: [3.5, -1.2, 0.4, 2.2, 1.1], mean: 1.2, std: 1.7818529681205462, lo: -1.0124626806078056, hi: 3.4124626806078053 },
  ],
  // scipy.stats.bootstrap, 200,000 resamples (its own Monte-Carlo error is ~0.1 point)
  bootstrap_single: { n: 500, baseline: [1, 55], treatment: [2, 62], delta: 0.074, lo: 0.006, hi: 0.142 },
  // numpy, three seeds of 300 images, resampled within each seed, pooled; 200,000 resamples
  bootstrap_stratified: { n: 300, delta: -0.021111111111111112, lo: -0.07111111111111111, hi: 0.028888888888888888 },
};

/** Image i is correct iff (i·7919 + salt·104729) mod 1000 < 10·percent: the fixed pattern the Python script uses. */
function verdicts(n: number, salt: number, percent: number): boolean[] {
  return Array.from({ length: n }, (_, i) => (i * 7919 + salt * 104729) % 1000 < 10 * percent);
}

/** Paired verdicts with the given contingency cells [both right, baseline only, treatment only, both wrong]. */
function table([a, b, c, d]: number[]): { baseline: boolean[]; treatment: boolean[] } {
  const baseline = [...Array(a + b).fill(true), ...Array(c + d).fill(false)];
  const treatment = [...Array(a).fill(true), ...Array(b).fill(false), ...Array(c).fill(true), ...Array(d).fill(false)];
  return { baseline, treatment };
}

const close = (actual: number, expected: number, tol: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected} (tolerance ${tol})`);

test('quantiles and the binomial CDF match SciPy', () => {
  close(normalQuantile(0.975), REF.normal_0975, 1e-9, 'z(0.975)');
  close(studentTQuantile(0.975, 2), REF.t_0975_df2, 1e-6, 't(0.975, 2)');
  close(studentTQuantile(0.975, 4), REF.t_0975_df4, 1e-6, 't(0.975, 4)');
  close(binomialCdf(7, 30, 0.5), REF.binom_cdf_7_30_half, 1e-9, 'Bin(30).cdf(7)');
  close(binomialCdf(480, 1000, 0.5), REF.binom_cdf_480_1000_half, 1e-7, 'Bin(1000).cdf(480)');
  assert.equal(binomialCdf(-1, 5, 0.5), 0);
  assert.equal(binomialCdf(5, 5, 0.5), 1);
  assert.throws(() => normalQuantile(1), ConfigError);
});

test('Wilson intervals match statsmodels proportion_confint(method="wilson")', () => {
  for (const r of REF.wilson) {
    const w = wilsonInterval(r.correct, r.total);
    close(w.lo, r.lo, 1e-9, `${r.correct}/${r.total} lo`);
    close(w.hi, r.hi, 1e-9, `${r.correct}/${r.total} hi`);
    assert.equal(w.estimate, r.correct / r.total);
  }
  assert.throws(() => wilsonInterval(11, 10), ConfigError);
  assert.throws(() => wilsonInterval(0, 0), ConfigError);
});

test('exact McNemar p-values match statsmodels mcnemar(exact=True), pooled over seeds by adding discordant counts', () => {
  for (const r of REF.mcnemar) {
    const m = mcnemarExact([table(r.cells)]);
    assert.equal(m.baselineOnly, r.cells[1]);
    assert.equal(m.treatmentOnly, r.cells[2]);
    // relative tolerance: the incomplete beta is accurate to ~1e-7 relative, also for tiny p
    assert.ok(Math.abs(m.p - r.p) <= 1e-6 * r.p, `${r.cells}: ${m.p} vs ${r.p}`);
  }
  // two seeds [10,3,9,8] + [400,40,62,498] pool to 43 vs 71 discordant; the same as one table with those cells
  const pooled = mcnemarExact([table(REF.mcnemar[0].cells), table(REF.mcnemar[3].cells)]);
  const single = mcnemarExact([table([410, 43, 71, 506])]);
  assert.deepEqual(pooled, single);
  assert.throws(() => mcnemarExact([{ baseline: [true], treatment: [] }]), ShapeError);
});

test('seed summaries: mean, sample std and the t-interval match scipy.stats.t.interval', () => {
  for (const r of REF.t_interval) {
    const s = seedSummary(r.values);
    close(s.mean, r.mean, 1e-12, 'mean');
    close(s.std, r.std, 1e-12, 'std');
    close(s.ci![0], r.lo, 1e-5, `lo of ${r.values}`);
    close(s.ci![1], r.hi, 1e-5, `hi of ${r.values}`);
  }
  assert.deepEqual(seedSummary([42]), { n: 1, mean: 42, std: 0, ci: null });
});

test('the paired bootstrap interval matches SciPy/numpy within Monte-Carlo error, and is deterministic for its seed', () => {
  const single = [{ baseline: verdicts(500, 1, 55), treatment: verdicts(500, 2, 62) }];
  const a = pairedBootstrap(single, { resamples: 20_000, seed: 7 });
  close(a.delta, REF.bootstrap_single.delta, 1e-12, 'delta');
  // percentile Monte-Carlo error at 20,000 resamples is ~0.05 point; on 500 images the interval is ±7 points
  close(a.lo, REF.bootstrap_single.lo, 0.003, 'lo');
  close(a.hi, REF.bootstrap_single.hi, 0.003, 'hi');
  assert.deepEqual(pairedBootstrap(single, { resamples: 20_000, seed: 7 }), a, 'same seed, same interval');
  assert.notDeepEqual(pairedBootstrap(single, { resamples: 20_000, seed: 8 }), a, 'the seed is used');

  const groups = [0, 1, 2].map((s) => ({ baseline: verdicts(300, 10 + s, 50), treatment: verdicts(300, 20 + s, 45 + 3 * s) }));
  const b = pairedBootstrap(groups, { resamples: 20_000, seed: 1 });
  close(b.delta, REF.bootstrap_stratified.delta, 1e-12, 'pooled delta');
  close(b.lo, REF.bootstrap_stratified.lo, 0.003, 'pooled lo');
  close(b.hi, REF.bootstrap_stratified.hi, 0.003, 'pooled hi');
  assert.equal(b.pairs, 900);
  // resampling within seeds is narrower than treating the 300 images of one seed alone
  const one = pairedBootstrap([groups[0]], { resamples: 20_000, seed: 1 });
  assert.ok(b.hi - b.lo < one.hi - one.lo);
});

test('quantileSorted interpolates linearly like numpy.percentile', () => {
  // numpy.percentile([1, 2, 3, 4], [0, 25, 50, 97.5, 100]) = [1, 1.75, 2.5, 3.925, 4]
  const v = [1, 2, 3, 4];
  assert.deepEqual([0, 0.25, 0.5, 0.975, 1].map((q) => Number(quantileSorted(v, q).toFixed(6))), [1, 1.75, 2.5, 3.925, 4]);
});

test('comparePaired reports per-seed accuracies, the pooled difference, its interval, McNemar p and the seed spread', () => {
  const groups = [0, 1, 2].map((s) => ({ baseline: verdicts(300, 10 + s, 50), treatment: verdicts(300, 20 + s, 45 + 3 * s) }));
  const c = comparePaired(groups, { resamples: 2000, seed: 3 });
  assert.equal(c.seeds, 3);
  assert.equal(c.pairs, 900);
  assert.deepEqual(c.baseline.accuracyBySeed, groups.map((g) => (100 * g.baseline.filter(Boolean).length) / 300));
  close(c.deltaPoints, c.treatment.mean - c.baseline.mean, 1e-9, 'equal-size seeds: pooled Δ = Δ of the means');
  close(c.deltaPoints, 100 * REF.bootstrap_stratified.delta, 1e-9, 'Δ');
  assert.ok(c.ci95[0] < c.deltaPoints && c.deltaPoints < c.ci95[1]);
  assert.equal(c.seedSpread.n, 3);
  assert.equal(c.pMcnemar, mcnemarExact(groups).p);
});

test('verdict: supported / contradicted / no effect ≥ X / undecided', () => {
  assert.equal(verdict([0.5, 3], { direction: 1 }), 'supported', 'a small but clear effect is an effect');
  assert.equal(verdict([1, 9], { direction: 1 }), 'supported');
  assert.equal(verdict([1, 9], { direction: -1 }), 'contradicted');
  assert.equal(verdict([-9, -1], { direction: 1 }), 'contradicted');
  assert.equal(verdict([-4.9, 4.9], { direction: 1 }), 'no effect ≥ 5');
  assert.equal(verdict([0, 3], { direction: 1 }), 'no effect ≥ 5', 'touching 0 does not exclude it');
  assert.equal(verdict([-2, 6], { direction: 1 }), 'undecided');
  assert.equal(verdict([-2, 2.5], { direction: 1, marginPoints: 2 }), 'undecided');
  assert.throws(() => verdict([3, 1], { direction: 1 }), ConfigError);
});

// Least-squares slopes with their t-intervals: scipy.stats.linregress (slope, intercept, stderr) and
// stats.t.ppf(0.975, n − 2), SciPy 1.17.1 in a pip venv, by the `slope_cases()` of scripts/stats_reference.py.
const SLOPE_REF = [
  {"x": [1, 2, 3, 4, 5], "y": [2.0, 4.1, 5.9, 8.2, 9.9], "slope": 1.99, "intercept": 0.05000000000000071, "lo": 1.8396034552078016, "hi": 2.1403965447921984},
  {"x": [4.0, 4.8, 5.6, 6.4, 7.2, 8.0], "y": [55.5, 61.0, 57.0, 64.5, 60.5, 66.0], "slope": 2.0892857142857144, "intercept": 48.214285714285715, "lo": -0.34667173044843436, "hi": 4.525243159019864},
  {"x": [0, 1, 2], "y": [3.0, 1.0, 2.5], "slope": -0.25, "intercept": 2.4166666666666665, "lo": -13.087878768415676, "hi": 12.587878768415676},
  {"x": [10, 20, 30, 40], "y": [7.0, 7.5, 6.5, 7.0], "slope": -0.01, "intercept": 7.25, "lo": -0.10127304766889962, "hi": 0.08127304766889963},
];

test('learning-curve slopes: least squares and the t-interval of the slope match scipy.stats.linregress', () => {
  for (const r of SLOPE_REF) {
    const f = linearSlope(r.x, r.y);
    close(f.slope, r.slope, 1e-9, `slope of ${r.y}`);
    close(f.intercept, r.intercept, 1e-9, `intercept of ${r.y}`);
    close(f.ci![0], r.lo, 1e-6, `lo of ${r.y}`);
    close(f.ci![1], r.hi, 1e-6, `hi of ${r.y}`);
  }
  // an exact line has a zero-width interval; two points have none
  assert.deepEqual(linearSlope([1, 2, 3], [5, 7, 9]).ci, [2, 2]);
  assert.equal(linearSlope([1, 2], [0, 1]).ci, null);
  assert.throws(() => linearSlope([1, 1, 1], [1, 2, 3]), ConfigError);
  assert.throws(() => linearSlope([1, 2, 3], [1, 2]), ConfigError);
  assert.throws(() => linearSlope([1, 2, NaN], [1, 2, 3]), ConfigError);
});

test('the late slope of a learning curve fits its second half, per 1,000 images, and names the trend', () => {
  const images = [320, 640, 960, 1280, 1600, 1920, 2240, 2560, 2880, 3200];
  // steep start, then flat with noise: the second half (5 points) is flat
  const plateau = [0, 20, 40, 55, 60, 61, 59, 62, 60, 61];
  const flat = lateSlope(images, plateau)!;
  assert.equal(flat.points, 5);
  close(flat.perThousandImages, linearSlope(images.slice(5).map((v) => v / 1000), plateau.slice(5)).slope, 1e-12, 'second half');
  assert.equal(flat.trend, 'flat');
  const rising = lateSlope(images, [0, 5, 10, 15, 20, 26, 30, 36, 40, 46])!;
  assert.equal(rising.trend, 'rising');
  close(rising.perThousandImages, 15.625, 1e-9, '5 points per 320 images');
  assert.equal(lateSlope(images, [70, 70, 70, 70, 70, 60, 55, 50, 45, 40])!.trend, 'falling');
  assert.equal(lateSlope(images.slice(0, 3), [1, 2, 3]), undefined, 'too short to say');
});

test('flatFrom finds where a learning curve stops rising: no later tail has a slope interval above 0', () => {
  const images = Array.from({ length: 30 }, (_, i) => 320 * (i + 1));
  // saturating curve 70·(1 − e^(−images/1500)) with a fixed ±2-point wiggle: steep until ~4,500 images, then flat
  const wiggle = (i: number) => [2, -1, 0, -2, 1][i % 5];
  const acc = images.map((v, i) => 70 * (1 - Math.exp(-v / 1500)) + wiggle(i));
  const at = flatFrom(images, acc)!;
  assert.ok(at >= 2000 && at <= 6000, `flat from ${at} images`);
  // the definition: every tail of at least half the curve from there on is not rising, the tail one evaluation earlier is
  const k = images.indexOf(at);
  for (let i = k; i <= images.length - 15; i++) {
    const ci = linearSlope(images.slice(i).map((v) => v / 1000), acc.slice(i)).ci!;
    assert.ok(ci[0] <= 0, `tail from ${images[i]} not rising`);
  }
  assert.ok(linearSlope(images.slice(k - 1).map((v) => v / 1000), acc.slice(k - 1)).ci![0] > 0, 'the tail one earlier rises');
  assert.equal(lateSlope(images, acc)!.trend, 'flat', 'consistent with the late slope');
  // a curve rising to its end never flattens (its late slope rises too); a flat one is flat from its first evaluation
  const rising = images.map((v, i) => v / 100 + wiggle(i));
  assert.equal(flatFrom(images, rising), undefined);
  assert.equal(lateSlope(images, rising)!.trend, 'rising');
  assert.equal(flatFrom(images, images.map((_, i) => 50 + wiggle(i))), images[0]);
  // a curve that flattens only in its last quarter: not flat over its later half, flat with a shorter window
  const late = images.map((v, i) => Math.min(v, 7680) / 100 + wiggle(i));
  assert.equal(flatFrom(images, late), undefined);
  assert.ok(flatFrom(images, late, 6)! >= 7000, 'a 6-point window sees the late plateau');
  assert.equal(flatFrom(images.slice(0, 4), [1, 2, 3, 4]), undefined, 'too short to say');
  assert.throws(() => flatFrom(images, acc, 0), ConfigError);
});
