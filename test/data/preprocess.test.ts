import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Image2D, Point, RawSample } from '../../lib/types';
import {
  createImage,
  imageStats,
  normaliseDepth,
  reflectIndex,
  resizeImage,
  rotateImage,
  zoomImage,
} from '../../lib/data/image';
import { inpaintDepth } from '../../lib/data/inpaint';
import { preprocess, preprocessSteps } from '../../lib/data/preprocess';
import { graspFromRect, rectCenter, rectFromGrasp } from '../../lib/data/grasp_rect';
import { Rng } from '../../lib/data/random';

/** A flat depth image with a bright 5×5 marker (depth − 0.3 m) centred at `p`. */
function withMarker(h: number, w: number, p: Point): Image2D {
  const img = createImage(h, w, 1.0);
  for (let r = -2; r <= 2; r++) for (let c = -2; c <= 2; c++) img.data[(p[0] + r) * w + p[1] + c] = 0.7;
  return img;
}

/** Intensity-weighted centroid of pixels below `thr` (the marker). */
function markerCentroid(img: Image2D, thr: number): Point {
  let sr = 0;
  let sc = 0;
  let sw = 0;
  for (let r = 0; r < img.height; r++) {
    for (let c = 0; c < img.width; c++) {
      const v = img.data[r * img.width + c];
      if (v < thr) {
        const wgt = thr - v;
        sr += wgt * r;
        sc += wgt * c;
        sw += wgt;
      }
    }
  }
  return [sr / sw, sc / sw];
}

test('symmetric boundary repeats the edge pixel', () => {
  assert.deepEqual([-3, -2, -1, 0, 4, 5, 6, 7].map((i) => reflectIndex(i, 5)), [2, 1, 0, 0, 4, 4, 3, 2]);
});

test('resize keeps constants and averages when shrinking; zoom 1 is the identity', () => {
  const c = resizeImage(createImage(40, 60, 0.5), 17, 23);
  assert.ok(c.data.every((v) => Math.abs(v - 0.5) < 1e-6));
  // a checkerboard shrunk 4× becomes its mean (anti-aliasing), not a sampled pattern
  const chk = createImage(64, 64);
  for (let i = 0; i < chk.data.length; i++) chk.data[i] = ((i % 64) + Math.floor(i / 64)) % 2;
  const small = resizeImage(chk, 16, 16);
  for (let r = 2; r < 14; r++) for (let cc = 2; cc < 14; cc++) assert.ok(Math.abs(small.data[r * 16 + cc] - 0.5) < 0.05);
  const img = withMarker(30, 30, [10, 12]);
  assert.deepEqual(zoomImage(img, 1).data, img.data);
});

test('a quarter rotation is exact and counter-clockwise', () => {
  const img = withMarker(21, 21, [10, 16]); // right of the centre (10,10)
  const rot = rotateImage(img, Math.PI / 2);
  const [r, c] = markerCentroid(rot, 0.9);
  assert.ok(Math.abs(r - 4) < 1e-4 && Math.abs(c - 10) < 1e-4, `marker at ${r},${c}, expected 4,10 (above the centre)`);
});

test('normalise: clip(d − mean, −1, 1)', () => {
  const img = createImage(2, 2);
  img.data.set([0, 1, 2, 5]);
  const { image, mean } = normaliseDepth(img);
  assert.equal(mean, 2);
  assert.deepEqual([...image.data], [-1, -1, 0, 1]);
});

test('inpainting fills 0/NaN holes smoothly from the surroundings', () => {
  // a tilted plane: harmonic inpainting reproduces linear functions
  const h = 60;
  const w = 80;
  const plane = createImage(h, w);
  for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) plane.data[r * w + c] = 0.6 + 0.002 * r + 0.001 * c;
  const holed = { ...plane, data: plane.data.slice() };
  const rng = new Rng(2);
  for (let r = 20; r < 35; r++) for (let c = 30; c < 55; c++) holed.data[r * w + c] = 0; // a blob
  for (let k = 0; k < 200; k++) holed.data[rng.int(h * w)] = NaN; // salt
  holed.data[0] = 0; // a corner
  const { image, filled } = inpaintDepth(holed);
  assert.ok(filled >= 15 * 25);
  assert.equal(imageStats(image).missing, 0);
  let maxErr = 0;
  for (let i = 0; i < h * w; i++) maxErr = Math.max(maxErr, Math.abs(image.data[i] - plane.data[i]));
  assert.ok(maxErr < 2e-3, `max error ${maxErr} m`);
  // valid pixels untouched, input untouched
  assert.equal(image.data[5 * w + 5], plane.data[5 * w + 5]);
  assert.equal(holed.data[25 * w + 40], 0);
  assert.equal(inpaintDepth(plane).filled, 0);
});

const rawWithMarker = (p: Point, h = 480, w = 640): RawSample => ({
  id: 't/1',
  objectId: 't',
  depth: withMarker(h, w, p),
  grasps: [rectFromGrasp({ center: p, angle: 0.4, length: 50, width: 24 })],
});

test('rotation and zoom keep rectangles on the image content (a marker stays under the rectangle centre)', () => {
  for (const crop of ['grasps', 'whole'] as const) {
    const raw = crop === 'grasps' ? rawWithMarker([200, 380]) : rawWithMarker([400, 300], 1024, 1024);
    for (let seed = 0; seed < 6; seed++) {
      const rot = seed % 2 === 0 ? 'any' : 'quarter';
      const s = preprocess(raw, { outputSize: 300, rotate: rot, zoom: true, crop }, new Rng(seed));
      const center = rectCenter(s.grasps[0]);
      const [r, c] = markerCentroid(s.depth, -0.05);
      const tol = crop === 'grasps' ? 0.6 : 0.8;
      assert.ok(Math.hypot(r - center[0], c - center[1]) < tol, `${crop} seed ${seed}: marker ${r.toFixed(2)},${c.toFixed(2)} vs rect centre ${center[0].toFixed(2)},${center[1].toFixed(2)}`);
    }
  }
});

test('zoom scales rectangles by 1/factor; rotation adds to the angle', () => {
  const raw = rawWithMarker([240, 320]);
  const trace = preprocessSteps(raw, { outputSize: 300, rotate: 'any', zoom: true }, new Rng(9));
  const g = graspFromRect(trace.sample.grasps[0]);
  // the window of a zoom f keeps H − 2·floor(floor(H(1−f))/2) rows, so the scale is 300 / that
  const kept = 300 - 2 * Math.floor(Math.floor(300 * (1 - trace.zoom)) / 2);
  assert.ok(Math.abs(g.length - (50 * 300) / kept) < 1e-6);
  const expected = Math.atan2(Math.sin(0.4 + trace.rotation), Math.cos(0.4 + trace.rotation));
  const d = Math.abs(((g.angle - expected + Math.PI / 2) % Math.PI + Math.PI) % Math.PI - Math.PI / 2);
  assert.ok(d < 1e-9);
  assert.ok(trace.zoom >= 0.5 && trace.zoom < 1);
});

test('Cornell crop: 300×300 centred on the grasps, clamped to the image; depth normalised to [−1, 1]', () => {
  const near = preprocessSteps(rawWithMarker([20, 630]), { outputSize: 300, rotate: 'none', zoom: false }, new Rng(1));
  assert.deepEqual(near.window, { top: 0, left: 340, height: 300, width: 300 });
  const raw = rawWithMarker([240, 320]);
  const mid = preprocessSteps(raw, { outputSize: 300, rotate: 'none', zoom: false }, new Rng(1));
  assert.deepEqual(mid.window, { top: 90, left: 170, height: 300, width: 300 });
  const s = mid.sample;
  assert.equal(s.depth.height, 300);
  assert.ok(s.depth.data.every((v) => v >= -1 && v <= 1));
  // unaugmented: the rectangle is just shifted by the window
  s.grasps[0].forEach((p, k) => {
    assert.ok(Math.abs(p[0] - (raw.grasps[0][k][0] - 90)) < 1e-9);
    assert.ok(Math.abs(p[1] - (raw.grasps[0][k][1] - 170)) < 1e-9);
  });
});

test('holes are inpainted before cropping; the same rng gives the same sample', () => {
  const raw = rawWithMarker([240, 320]);
  for (let r = 100; r < 140; r++) for (let c = 300; c < 340; c++) raw.depth.data[r * 640 + c] = 0;
  const opts = { outputSize: 300, rotate: 'any', zoom: true } as const;
  const a = preprocessSteps(raw, opts, new Rng(4));
  assert.equal(a.filled, 1600);
  assert.ok(a.sample.depth.data.every(Number.isFinite));
  assert.deepEqual(preprocess(raw, opts, new Rng(4)), a.sample);
  assert.notDeepEqual(preprocess(raw, opts, new Rng(5)).grasps, a.sample.grasps);
});
