import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../lib/backend/setup';
import { ShapeError } from '../../lib/errors';
import { drawTargets } from '../../lib/data/targets';
import { evaluateMaps, evaluateModel, mapsFromTensor } from '../../lib/eval/metric';
import type { GraspMaps, GraspRectPoints, Image2D, Point, Sample } from '../../lib/types';

before(async () => {
  await selectBackend({ quiet: true });
});

const S = 100;
const DEG = Math.PI / 180;

interface Rect { center: Point; angle: number; length: number; width: number }

/** Ground-truth corners, by hand: axis a = (−sin θ, cos θ) in [row, col] (rows point down), normal n = (cos θ, sin θ). */
function corners({ center: [cy, cx], angle, length, width }: Rect): GraspRectPoints {
  const a: Point = [-Math.sin(angle), Math.cos(angle)];
  const nrm: Point = [Math.cos(angle), Math.sin(angle)];
  const p = (sa: number, sn: number): Point => [cy + sa * a[0] + sn * nrm[0], cx + sa * a[1] + sn * nrm[1]];
  return [p(-length / 2, -width / 2), p(length / 2, -width / 2), p(length / 2, width / 2), p(-length / 2, width / 2)];
}

/** GG-CNN targets for one rectangle: its centre third (length/3) filled with pos 1, cos 2θ, sin 2θ, width length/150. */
function drawMaps(r: Rect, encodedAngle = r.angle): GraspMaps {
  const img = (): Image2D => ({ height: S, width: S, data: new Float32Array(S * S) });
  const maps: GraspMaps = { pos: img(), cos: img(), sin: img(), width: img() };
  const [cy, cx] = r.center;
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const along = (x - cx) * Math.cos(r.angle) - (y - cy) * Math.sin(r.angle);
      const across = (x - cx) * Math.sin(r.angle) + (y - cy) * Math.cos(r.angle);
      if (Math.abs(along) <= r.length / 6 && Math.abs(across) <= r.width / 2) {
        const i = y * S + x;
        maps.pos.data[i] = 1;
        maps.cos.data[i] = Math.cos(2 * encodedAngle);
        maps.sin.data[i] = Math.sin(2 * encodedAngle);
        maps.width.data[i] = r.length / 150;
      }
    }
  }
  return maps;
}

const rect: Rect = { center: [52, 47], angle: 25 * DEG, length: 60, width: 30 };

test('evaluateMaps: maps drawn from a rectangle match it; wrong-angle and empty maps do not', () => {
  const gts = [[corners(rect)], [corners(rect)], [corners(rect)]];
  const empty = drawMaps({ ...rect, length: 0 });
  const res = evaluateMaps([drawMaps(rect), drawMaps(rect, rect.angle + 60 * DEG), empty], gts, { ids: ['good', 'rotated', 'empty'] });
  assert.deepEqual(res.perImage.map((v) => [v.id, v.success]), [['good', true], ['rotated', false], ['empty', false]]);
  assert.equal(res.correct, 1);
  assert.equal(res.total, 3);
  assert.ok(Math.abs(res.accuracy - 1 / 3) < 1e-12);
  const good = res.perImage[0];
  assert.ok(good.bestIoU > 0.8, `IoU ${good.bestIoU} ${JSON.stringify(good.grasps)}`);
  assert.equal(good.grasps.length, 1);
  // the grasp sits at the rectangle centre with its angle and opening
  const g = good.grasps[0];
  assert.ok(Math.abs(g.center[0] - rect.center[0]) <= 1 && Math.abs(g.center[1] - rect.center[1]) <= 1, `${g.center}`);
  assert.ok(Math.abs(g.angle - rect.angle) < 0.01 && Math.abs(g.length - 60) < 0.5 && Math.abs(g.width - 30) < 0.25);
  assert.equal(res.perImage[1].bestIoU, 0); // 60° off: no angle-compatible ground truth
  assert.deepEqual(res.perImage[2].grasps, []);
  // a second ground truth with the right angle elsewhere does not rescue a miss, one at the grasp does
  const other = corners({ ...rect, center: [52, 80] });
  assert.equal(evaluateMaps([drawMaps(rect)], [[other]]).perImage[0].success, false);
  assert.equal(evaluateMaps([drawMaps(rect)], [[other, corners(rect)]]).perImage[0].success, true);
  assert.throws(() => evaluateMaps([drawMaps(rect)], []), ShapeError);
});

test('evaluateMaps: topK grasps, success if any of them matches', () => {
  // two rectangles: the brighter one is not in the ground truth
  const a = drawMaps(rect);
  const b = drawMaps({ ...rect, center: [50, 78], angle: -40 * DEG });
  const maps: GraspMaps = { pos: { ...a.pos, data: a.pos.data.slice() }, cos: a.cos, sin: a.sin, width: a.width };
  for (let i = 0; i < S * S; i++) {
    if (b.pos.data[i] > 0) {
      maps.pos.data[i] = 0.9 + 0.1 * Number(b.pos.data[i] > 0);
      maps.cos.data[i] = b.cos.data[i];
      maps.sin.data[i] = b.sin.data[i];
      maps.width.data[i] = b.width.data[i];
    }
    if (a.pos.data[i] > 0) maps.pos.data[i] = 0.7;
  }
  assert.equal(evaluateMaps([maps], [[corners(rect)]], { detect: { minDistance: 10 } }).perImage[0].success, false);
  const top2 = evaluateMaps([maps], [[corners(rect)]], { topK: 2, detect: { minDistance: 10 } }).perImage[0];
  assert.equal(top2.grasps.length, 2);
  assert.equal(top2.success, true);
});

test('mapsFromTensor splits [B,H,W,4] into per-image channel maps with no leak', async () => {
  const [b, h, w] = [2, 3, 5];
  const t = tf.tidy(() => tf.range(0, b * h * w * 4).reshape([b, h, w, 4]) as tf.Tensor4D);
  const before = tf.memory().numTensors;
  const maps = await mapsFromTensor(t);
  assert.equal(tf.memory().numTensors, before);
  assert.equal(maps.length, 2);
  const at = (k: number, y: number, x: number, c: number) => ((k * h + y) * w + x) * 4 + c;
  assert.equal(maps[1].pos.data[2 * w + 3], at(1, 2, 3, 0));
  assert.equal(maps[1].sin.data[2 * w + 3], at(1, 2, 3, 2));
  assert.equal(maps[0].width.data[w + 4], at(0, 1, 4, 3));
  assert.deepEqual([maps[0].cos.height, maps[0].cos.width], [h, w]);
  t.dispose();
  const bad = tf.zeros([1, 3, 3, 2]) as tf.Tensor4D;
  await assert.rejects(mapsFromTensor(bad), ShapeError);
  bad.dispose();
});

/** 1×1 conv: pos = depth, cos = 1, sin = 0 (angle 0), width = 0.4 (60 px). */
function conv1x1(): tf.layers.Layer {
  const layer = tf.layers.conv2d({ filters: 4, kernelSize: 1, useBias: true });
  return layer;
}
function setFixedMaps(layer: tf.layers.Layer, on = true): void {
  layer.setWeights([tf.tensor4d([on ? 1 : 0, 0, 0, 0], [1, 1, 1, 4]), tf.tensor1d([0, on ? 1 : 0, 0, on ? 0.4 : 0])]);
}

function sampleAt(id: string, center: Point, gtAngle = 0): Sample {
  const r: Rect = { center, angle: 0, length: 60, width: 30 };
  return { id, depth: drawMaps(r).pos, grasps: [corners({ ...r, angle: gtAngle })] };
}

test('evaluateModel: batched predictions scored per image, in order, JSON-serialisable, without leaking tensors', async () => {
  const input = tf.input({ shape: [S, S, 1] });
  const layer = conv1x1();
  const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
  setFixedMaps(layer);
  const samples = [sampleAt('a', [50, 50]), sampleAt('b', [40, 60]), sampleAt('c', [55, 45], 60 * DEG)];
  await evaluateModel(model, samples.slice(0, 1)); // warm-up: kernels/weights initialised lazily are not leaks
  const before = tf.memory().numTensors;
  const res = await evaluateModel(model, samples, { batchSize: 2 });
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(res.perImage.map((v) => [v.id, v.success]), [['a', true], ['b', true], ['c', false]]);
  assert.equal(res.correct, 2);
  assert.equal(res.total, 3);
  assert.deepEqual(JSON.parse(JSON.stringify(res)), res);
  assert.deepEqual(await evaluateModel(model, []), { accuracy: 0, correct: 0, total: 0, perImage: [] });
  model.dispose();
});

test('evaluateModel uses the first output of a multi-output model', async () => {
  const input = tf.input({ shape: [S, S, 1] });
  const main = conv1x1();
  const aux = conv1x1();
  const outs = [main.apply(input), aux.apply(input)] as tf.SymbolicTensor[];
  const model = tf.model({ inputs: input, outputs: outs });
  const swapped = tf.model({ inputs: input, outputs: [outs[1], outs[0]] });
  setFixedMaps(main);
  setFixedMaps(aux, false); // an all-zero aux output would find nothing
  const samples = [sampleAt('a', [50, 50])];
  await evaluateModel(model, samples);
  const before = tf.memory().numTensors;
  assert.equal((await evaluateModel(model, samples)).correct, 1);
  assert.equal((await evaluateModel(swapped, samples)).correct, 0);
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});

test('evaluateModel: an output of another size or mixed sample sizes is a ShapeError, and still no leak', async () => {
  const model = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [S, S, 1], filters: 4, kernelSize: 2, strides: 2 })] });
  const samples = [sampleAt('a', [50, 50])];
  await assert.rejects(evaluateModel(model, samples), ShapeError); // warm-up
  const before = tf.memory().numTensors;
  await assert.rejects(evaluateModel(model, samples), (e: unknown) => e instanceof ShapeError && /\[1,50,50,4\]/.test(e.message));
  const small: Sample = { id: 'small', depth: { height: 10, width: 10, data: new Float32Array(100) }, grasps: [] };
  await assert.rejects(evaluateModel(model, [samples[0], small]), (e: unknown) => e instanceof ShapeError && /small/.test(e.message));
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});

test('target maps drawn by lib/data/targets score as matches against their own rectangles', () => {
  const rects = [-80, -35, 0, 20, 55, 89].map((a, i) =>
    corners({ center: [45 + i, 50 - i], angle: a * DEG, length: 30 + 8 * i, width: 12 + 3 * i }),
  );
  const res = evaluateMaps(rects.map((r) => drawTargets([r], S)), rects.map((r) => [r]));
  assert.deepEqual(res.perImage.map((v) => v.success), rects.map(() => true), JSON.stringify(res.perImage.map((v) => v.bestIoU)));
});
