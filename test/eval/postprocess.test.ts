import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShapeError } from '../../lib/errors';
import { gaussianBlur, gaussianBlurAt, gaussianKernel1d, postprocess } from '../../lib/eval/postprocess';
import type { GraspMaps, Image2D } from '../../lib/types';

const image = (h: number, w: number, f: (y: number, x: number) => number): Image2D => {
  const data = new Float32Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = f(y, x);
  return { height: h, width: w, data };
};
const sum = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0);

test('kernel: radius floor(4σ + 0.5), sums to 1, symmetric, variance ≈ σ²', () => {
  for (const [sigma, radius] of [[2, 8], [1, 4], [0.5, 2], [3.3, 13]]) {
    const k = gaussianKernel1d(sigma);
    assert.equal(k.length, 2 * radius + 1, `σ=${sigma}`);
    assert.ok(Math.abs(sum(k) - 1) < 1e-12);
    for (let i = 0; i < k.length; i++) assert.equal(k[i], k[k.length - 1 - i]);
    const variance = sum(Array.from(k, (v, i) => v * (i - radius) ** 2));
    // truncation at 4σ removes < 0.1% of the variance; sampling σ ≥ 1 changes it by far less than 1%
    if (sigma >= 1) assert.ok(Math.abs(variance - sigma * sigma) / (sigma * sigma) < 0.01, `σ=${sigma}: ${variance}`);
  }
  assert.deepEqual(Array.from(gaussianKernel1d(0)), [1]);
});

test('blurring an impulse gives the analytic 2-D Gaussian (outer product of the kernel), summing to 1', () => {
  const n = 41;
  const c = 20;
  const out = gaussianBlur(image(n, n, (y, x) => (y === c && x === c ? 1 : 0)), 2);
  const k = gaussianKernel1d(2);
  let maxErr = 0;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const dy = y - c;
      const dx = x - c;
      const expected = Math.abs(dy) <= 8 && Math.abs(dx) <= 8 ? k[dy + 8] * k[dx + 8] : 0;
      maxErr = Math.max(maxErr, Math.abs(out.data[y * n + x] - expected));
    }
  }
  assert.ok(maxErr < 1e-7, `max error ${maxErr}`);
  assert.ok(Math.abs(sum(out.data) - 1) < 1e-5);
  // second moment along rows ≈ σ² and the centre is the continuous peak 1/(2πσ²) to within the discretisation
  const varRows = sum(Array.from(out.data, (v, i) => v * (Math.floor(i / n) - c) ** 2));
  assert.ok(Math.abs(varRows - 4) < 0.04, `${varRows}`);
  assert.ok(Math.abs(out.data[c * n + c] - 1 / (2 * Math.PI * 4)) < 0.002);
});

test("border mode is skimage's 'nearest' (edge repeated), not scipy's 'reflect'", () => {
  // 1-pixel-high image with an impulse at the left edge: with 'nearest' the taps left of the edge all read it.
  const w = 30;
  const out = gaussianBlur(image(1, w, (_, x) => (x === 0 ? 1 : 0)), 2);
  const k = gaussianKernel1d(2);
  const nearest = sum(k.slice(0, 9)); // taps at offsets −8..0 all land on pixel 0
  const reflect = k[8] + k[7]; // 'reflect' (d c b a | a b c d) would repeat pixel 0 once
  assert.ok(Math.abs(out.data[0] - nearest) < 1e-6, `${out.data[0]} vs ${nearest}`);
  assert.ok(Math.abs(out.data[0] - reflect) > 0.1);
  // constants stay constant, also at the edges
  const flat = gaussianBlur(image(12, 17, () => 0.7), 2);
  for (const v of flat.data) assert.ok(Math.abs(v - 0.7) < 1e-6);
});

test('gaussianBlurAt equals the full blur bit for bit, edges included', () => {
  let s = 12345;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const img = image(37, 29, () => rnd());
  for (const sigma of [2, 1]) {
    const full = gaussianBlur(img, sigma);
    for (const [y, x] of [[0, 0], [3, 28], [18, 14], [36, 5], [10, 1]]) {
      assert.equal(gaussianBlurAt((i) => img.data[i], 37, 29, sigma, y, x), full.data[y * 29 + x]);
    }
  }
});

const constantMaps = (n: number, pos: number, cos: number, sin: number, width: number): GraspMaps => ({
  pos: image(n, n, () => pos),
  cos: image(n, n, () => cos),
  sin: image(n, n, () => sin),
  width: image(n, n, () => width),
});

test('postprocess recovers the angle encoded as cos 2θ / sin 2θ and scales width by 150', () => {
  for (const theta of [0, 0.3, -0.7, 1.2, -1.5, 1.55]) {
    const pp = postprocess(constantMaps(24, 0.5, Math.cos(2 * theta), Math.sin(2 * theta), 0.4));
    for (const v of pp.angle.data) assert.ok(Math.abs(v - theta) < 1e-5, `θ=${theta}: ${v}`);
    for (const v of pp.width.data) assert.ok(Math.abs(v - 60) < 1e-4);
    for (const v of pp.quality.data) assert.ok(Math.abs(v - 0.5) < 1e-6);
  }
  // the angle only depends on the direction of (cos, sin), not its length (networks do not output unit vectors)
  const pp = postprocess(constantMaps(8, 0, 0.1 * Math.cos(1), 0.1 * Math.sin(1), 0));
  assert.ok(Math.abs(pp.angle.data[0] - 0.5) < 1e-6);
});

test('postprocess blurs with σ 2 / 2 / 1 by default and honours overrides', () => {
  const n = 41;
  const impulse = image(n, n, (y, x) => (y === 20 && x === 20 ? 1 : 0));
  const pp = postprocess({ pos: impulse, cos: image(n, n, () => 1), sin: image(n, n, () => 0), width: impulse });
  assert.ok(Math.abs(pp.quality.data[20 * n + 20] - gaussianKernel1d(2)[8] ** 2) < 1e-7);
  assert.ok(Math.abs(pp.width.data[20 * n + 20] - 150 * gaussianKernel1d(1)[4] ** 2) < 1e-4);
  const raw = postprocess({ pos: impulse, cos: impulse, sin: impulse, width: impulse }, { sigma: { quality: 0, angle: 0, width: 0 }, widthScale: 100 });
  assert.equal(raw.quality.data[20 * n + 20], 1);
  assert.equal(raw.width.data[20 * n + 20], 100);
  assert.notEqual(raw.quality.data, impulse.data); // a copy, the input is not aliased
});

test('postprocess rejects maps of different sizes with a ShapeError naming the map', () => {
  const maps = constantMaps(10, 0, 1, 0, 0);
  assert.throws(() => postprocess({ ...maps, sin: image(10, 9, () => 0) }), (e: unknown) => e instanceof ShapeError && /'sin'/.test(e.message));
});
