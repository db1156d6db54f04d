import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { GraspRectPoints, Image2D, Point, RawSample } from '../../lib/types';
import { parseCornellGrasps } from '../../lib/data/cornell';
import { pyRound } from '../../lib/py_math';
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
import { graspFromRect, mapRect, rectCenter, rectFromGrasp } from '../../lib/data/grasp_rect';
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

/** A marker at `p` under a rectangle centred there, with integer corners as the Cornell loader gives them. */
const rawWithMarker = (p: Point, h = 480, w = 640): RawSample => ({
  id: 't/1',
  objectId: 't',
  depth: withMarker(h, w, p),
  grasps: [mapRect(rectFromGrasp({ center: p, angle: 0.4, length: 50, width: 24 }), (q) => [pyRound(q[0]), pyRound(q[1])])],
});

// ggcnn's rectangle transforms follow its image transforms only approximately: corners are truncated toward zero after
// the rotation and after the zoom (up to 1 px each, the first one magnified by the zoom's 1/f ≤ 2), the zoom scales by
// 1/f where the image keeps an integer window, and Jacquard's rectangles are scaled without the half-pixel offset
// (0.35 px). The exact values are checked against ggcnn's own code in ggcnn_geometry.test.ts; here the two must
// still agree within those 3 px.
test('rotation and zoom keep rectangles on the image content (a marker stays within 3 px of the rectangle centre)', () => {
  for (const crop of ['grasps', 'whole'] as const) {
    const raw = crop === 'grasps' ? rawWithMarker([200, 380]) : rawWithMarker([400, 300], 1024, 1024);
    for (let seed = 0; seed < 6; seed++) {
      const rot = seed % 2 === 0 ? 'any' : 'quarter';
      const s = preprocess(raw, { outputSize: 300, rotate: rot, zoom: true, crop }, new Rng(seed));
      const center = rectCenter(s.grasps[0]);
      const [r, c] = markerCentroid(s.depth, -0.05);
      const tol = 3;
      assert.ok(Math.hypot(r - center[0], c - center[1]) < tol, `${crop} seed ${seed}: marker ${r.toFixed(2)},${c.toFixed(2)} vs rect centre ${center[0].toFixed(2)},${center[1].toFixed(2)}`);
    }
  }
});

test('zoom scales rectangles by 1/factor; rotation adds to the angle (up to the truncation of the corners)', () => {
  const raw = rawWithMarker([240, 320]);
  const g0 = graspFromRect(raw.grasps[0]);
  for (let seed = 9; seed < 14; seed++) {
    const trace = preprocessSteps(raw, { outputSize: 300, rotate: 'any', zoom: true }, new Rng(seed));
    assert.ok(trace.zoom >= 0.5 && trace.zoom < 1);
    const g = graspFromRect(trace.sample.grasps[0]);
    // each corner moves by < 1 px (rotation, magnified ≤ 2× by the zoom) + < 1 px (zoom): the length by < 6 px
    assert.ok(Math.abs(g.length - g0.length / trace.zoom) < 6, `seed ${seed}: length ${g.length} vs ${g0.length / trace.zoom}`);
    const expected = Math.atan2(Math.sin(g0.angle + trace.rotation), Math.cos(g0.angle + trace.rotation));
    const d = Math.abs(((g.angle - expected + Math.PI / 2) % Math.PI + Math.PI) % Math.PI - Math.PI / 2);
    assert.ok(d < Math.atan(6 / g.length), `seed ${seed}: angle off by ${d}`);
    assert.ok(trace.sample.grasps[0].every(([r, c]) => Number.isInteger(r) && Number.isInteger(c)), 'integer corners, as ggcnn');
  }
});

test('Cornell crop: 300×300 centred on the truncated mean of the rounded corners, clamped to the image; depth normalised to [−1, 1]', () => {
  const near = preprocessSteps(rawWithMarker([20, 630]), { outputSize: 300, rotate: 'none', zoom: false }, new Rng(1));
  assert.deepEqual(near.window, { top: 0, left: 340, height: 300, width: 300 });
  // corners at row 240.6, cols 300.2/340.2/339.7/299.7 in the file: ggcnn rounds them first (row 241, cols 300/340),
  // so the crop centre is (241, 320); the floor of the float mean (240.6, 319.95) would be one row and column off
  const fromFile = { ...rawWithMarker([240, 320]), grasps: parseCornellGrasps('300.2 240.6\n340.2 240.6\n339.7 240.6\n299.7 240.6\n', 'c.txt') };
  assert.deepEqual(preprocessSteps(fromFile, { outputSize: 300, rotate: 'none', zoom: false }, new Rng(1)).window, { top: 91, left: 170, height: 300, width: 300 });
  const raw = { ...rawWithMarker([240, 320]), grasps: [[[215, 300], [215, 340], [265, 340], [265, 300]]] as GraspRectPoints[] };
  const mid = preprocessSteps(raw, { outputSize: 300, rotate: 'none', zoom: false }, new Rng(1));
  assert.deepEqual(mid.window, { top: 90, left: 170, height: 300, width: 300 });
  assert.deepEqual(mid.sample.crop, { top: 90, left: 170, height: 300, width: 300, scale: 1, rotation: 0, zoom: 1 });
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
