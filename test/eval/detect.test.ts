import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectGrasps, detectGraspsInMaps, maxFilter, peakLocalMax } from '../../lib/eval/detect';
import { postprocess } from '../../lib/eval/postprocess';
import type { GraspMaps, Image2D } from '../../lib/types';

const blank = (n: number): Image2D => ({ height: n, width: n, data: new Float32Array(n * n) });
const withPeaks = (n: number, peaks: [number, number, number][]): Image2D => {
  const img = blank(n);
  for (const [y, x, v] of peaks) img.data[y * n + x] = v;
  return img;
};
const lcg = (seed: number) => () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;

test('a single peak is found where it is', () => {
  assert.deepEqual(peakLocalMax(withPeaks(100, [[40, 61, 0.9]])), [[40, 61]]);
});

test('peaks closer than min_distance to the border are excluded (exclude_border = min_distance)', () => {
  assert.deepEqual(peakLocalMax(withPeaks(100, [[19, 50, 0.9]])), []);
  assert.deepEqual(peakLocalMax(withPeaks(100, [[50, 80, 0.9]])), []); // col 80 = 100 − 20
  assert.deepEqual(peakLocalMax(withPeaks(100, [[20, 79, 0.9]])), [[20, 79]]);
  assert.deepEqual(peakLocalMax(withPeaks(100, [[19, 50, 0.9]]), { excludeBorder: 5 }), [[19, 50]]);
});

test('two peaks closer than min_distance give one (the higher); farther apart give two, highest first', () => {
  assert.deepEqual(peakLocalMax(withPeaks(100, [[50, 40, 0.5], [50, 55, 0.8]])), [[50, 55]]);
  // equal values closer than min_distance: still one (skimage's ensure_spacing)
  assert.equal(peakLocalMax(withPeaks(100, [[50, 40, 0.5], [60, 45, 0.5]])).length, 1);
  assert.deepEqual(peakLocalMax(withPeaks(100, [[30, 30, 0.5], [30, 60, 0.8], [70, 45, 0.6]])), [[30, 60], [70, 45], [30, 30]]);
  assert.deepEqual(peakLocalMax(withPeaks(100, [[30, 30, 0.5], [30, 60, 0.8], [70, 45, 0.6]]), { numPeaks: 2 }), [[30, 60], [70, 45]]);
  // distance exactly min_distance is allowed (Chebyshev)
  assert.equal(peakLocalMax(withPeaks(100, [[50, 30, 0.5], [50, 50, 0.5]]), { minDistance: 20 }).length, 2);
});

test('threshold_abs is strict and respected', () => {
  assert.deepEqual(peakLocalMax(withPeaks(100, [[50, 50, 0.2]])), []);
  assert.deepEqual(peakLocalMax(withPeaks(100, [[50, 50, 0.21]])), [[50, 50]]);
  assert.deepEqual(peakLocalMax(withPeaks(100, [[50, 50, 0.21]]), { thresholdAbs: 0.5 }), []);
});

test('a flat plateau is one peak at its centre; a constant image has none', () => {
  const img = blank(100);
  for (let y = 40; y <= 50; y++) for (let x = 30; x <= 60; x++) img.data[y * 100 + x] = 1;
  assert.deepEqual(peakLocalMax(img), [[45, 45]]);
  const flat = blank(60);
  flat.data.fill(0.9);
  assert.deepEqual(peakLocalMax(flat, { minDistance: 5 }), []);
});

test('the window-max test agrees with a brute-force scan on a random smooth map', () => {
  const n = 80;
  const rnd = lcg(7);
  const img = postprocess({
    pos: { height: n, width: n, data: Float32Array.from({ length: n * n }, rnd) },
    cos: blank(n), sin: blank(n), width: blank(n),
  }).quality;
  const d = 6;
  const expected: [number, number][] = [];
  for (let y = d; y < n - d; y++) {
    for (let x = d; x < n - d; x++) {
      const v = img.data[y * n + x];
      let isMax = v > 0.2;
      for (let yy = y - d; yy <= y + d && isMax; yy++) for (let xx = x - d; xx <= x + d; xx++) if (img.data[yy * n + xx] > v) isMax = false;
      if (isMax) expected.push([y, x]);
    }
  }
  expected.sort((a, b) => img.data[b[0] * n + b[1]] - img.data[a[0] * n + a[1]]);
  // greedy spacing, as skimage
  const spaced = expected.filter((p, i) => expected.slice(0, i).every((q) => Math.max(Math.abs(p[0] - q[0]), Math.abs(p[1] - q[1])) >= d));
  assert.ok(spaced.length > 3);
  assert.deepEqual(peakLocalMax(img, { minDistance: d }), spaced);
  // maxFilter (used for large plateaus) against brute force
  const mf = maxFilter(img, 3);
  for (const [y, x] of [[0, 0], [5, 77], [40, 40], [79, 79]]) {
    let m = -Infinity;
    for (let yy = Math.max(0, y - 3); yy <= Math.min(n - 1, y + 3); yy++)
      for (let xx = Math.max(0, x - 3); xx <= Math.min(n - 1, x + 3); xx++) m = Math.max(m, img.data[yy * n + xx]);
    assert.equal(mf[y * n + x], m);
  }
});

test('detectGrasps reads angle and width at the peak; width = length / 2', () => {
  const n = 100;
  const quality = withPeaks(n, [[50, 40, 0.9], [30, 70, 0.6]]);
  const angle = withPeaks(n, [[50, 40, 0.3], [30, 70, -1.1]]);
  const width = withPeaks(n, [[50, 40, 48], [30, 70, 20]]);
  const gs = detectGrasps({ quality, angle, width }, { maxGrasps: 3 });
  assert.equal(gs.length, 2);
  assert.deepEqual(gs[0].center, [50, 40]);
  assert.ok(Math.abs(gs[0].angle - 0.3) < 1e-6 && gs[0].length === 48 && gs[0].width === 24);
  assert.ok(Math.abs(gs[0].quality! - 0.9) < 1e-6);
  assert.deepEqual(gs[1].center, [30, 70]);
  assert.equal(detectGrasps({ quality, angle, width }).length, 1); // default maxGrasps 1
});

test('detectGraspsInMaps returns exactly what detectGrasps(postprocess(maps)) does', () => {
  const n = 90;
  const rnd = lcg(3);
  const m = (): Image2D => ({ height: n, width: n, data: Float32Array.from({ length: n * n }, () => rnd() * 2 - 0.5) });
  const maps: GraspMaps = { pos: m(), cos: m(), sin: m(), width: m() };
  const slow = detectGrasps(postprocess(maps), { maxGrasps: 4, minDistance: 10 });
  const fast = detectGraspsInMaps(maps, { maxGrasps: 4, minDistance: 10 });
  assert.ok(slow.length >= 2);
  assert.deepEqual(fast, slow);
});
