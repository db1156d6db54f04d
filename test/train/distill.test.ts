import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../lib/backend/setup';
import { ConfigError, ShapeError } from '../../lib/errors';
import { adaptiveMaxPool, affinity, distillLoss, pairDistillLoss, pixelDistillLoss, qualityWeights } from '../../lib/train/distill';

before(async () => {
  await selectBackend({ quiet: true });
});

const num = (t: tf.Tensor) => t.dataSync()[0];

test('pixel-wise KD is zero for identical maps and equals Σ_c mean (S−T)² otherwise', () => {
  tf.tidy(() => {
    const t = tf.randomNormal([2, 6, 6, 4], 0, 1, 'float32', 3) as tf.Tensor4D;
    const s = tf.randomNormal([2, 6, 6, 4], 0, 1, 'float32', 4) as tf.Tensor4D;
    assert.equal(num(pixelDistillLoss(t, t)), 0);
    const want = num(tf.sum(tf.mean(tf.square(tf.sub(s, t)), [0, 1, 2])));
    const got = num(pixelDistillLoss(s, t));
    assert.ok(got > 0);
    assert.ok(Math.abs(got - want) < 1e-5 * want, `${got} vs ${want}`);
  });
});

test('quality weights: clipped teacher pos normalised to mean 1 per image, uniform without positive quality', () => {
  tf.tidy(() => {
    // image 0: pos = [2, 0, -1, 0] → relu [2,0,0,0] → mean 0.5 → weights [4,0,0,0]; image 1: pos ≤ 0 → all 1.
    const pos = [2, 0, -1, 0, -1, -2, 0, -3];
    const maps = tf.stack(pos.map((p) => tf.tensor1d([p, 0, 0, 0]))).reshape([2, 2, 2, 4]) as tf.Tensor4D;
    assert.deepEqual(Array.from(qualityWeights(maps).dataSync()), [4, 0, 0, 0, 1, 1, 1, 1]);
    // weighted loss on a student that differs from the teacher by 1 in every channel: mean w · 1 · 4 channels = 4
    const s = tf.add(maps, 1) as tf.Tensor4D;
    assert.ok(Math.abs(num(pixelDistillLoss(s, maps, { qualityWeighted: true })) - 4) < 1e-6);
    // a student error only where the teacher sees no grasp costs nothing when weighted
    const sOff = tf.add(maps, tf.tensor4d([0, 0, 1, 1, 0, 0, 0, 0], [2, 2, 2, 1])) as tf.Tensor4D;
    assert.equal(num(pixelDistillLoss(sOff, maps, { qualityWeighted: true })), 0);
    assert.ok(num(pixelDistillLoss(sOff, maps)) > 0);
  });
});

test('affinity is the cosine similarity of pooled positions', () => {
  tf.tidy(() => {
    // 2x2 map, poolScale 0.5 → kernel 1 → N = 4 positions; vectors (1,0), (0,2), (3,3), (−1,0)
    const f = tf.tensor4d([1, 0, 0, 2, 3, 3, -1, 0], [1, 2, 2, 2]);
    const a = affinity(f, { poolScale: 0.5 }).arraySync()[0];
    const r = Math.SQRT1_2;
    const want = [
      [1, 0, r, -1],
      [0, 1, r, 0],
      [r, r, 1, -r],
      [-1, 0, -r, 1],
    ];
    a.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - want[i][j]) < 1e-5, `A[${i}][${j}] = ${v}`)));
    // an 8x8 map with scale 0.5 pools to 2x2 (kernel 4): N = 4
    assert.deepEqual(affinity(tf.randomNormal([3, 8, 8, 5]) as tf.Tensor4D).shape, [3, 4, 4]);
    assert.deepEqual(affinity(tf.randomNormal([1, 8, 8, 5]) as tf.Tensor4D, { poolScale: 0.25 }).shape, [1, 16, 16]);
  });
});

test('pair-wise KD: zero for equal features, positive otherwise, invariant to feature scaling, any channel counts', () => {
  tf.tidy(() => {
    const t = tf.randomNormal([2, 8, 8, 6], 0, 1, 'float32', 1) as tf.Tensor4D;
    const s = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const o = { poolScale: 0.25 };
    assert.ok(num(pairDistillLoss(t, t, o)) < 1e-10);
    const base = num(pairDistillLoss(s, t, o));
    assert.ok(base > 0);
    assert.ok(Math.abs(num(pairDistillLoss(tf.mul(s, 7.5) as tf.Tensor4D, t, o)) - base) < 1e-5 * base);
    assert.ok(Math.abs(num(pairDistillLoss(s, tf.mul(t, 0.01) as tf.Tensor4D, o)) - base) < 1e-5 * base);
    assert.ok(num(pairDistillLoss(tf.mul(t, 3) as tf.Tensor4D, t, o)) < 1e-10);
    // hand formula: Σ(A_T − A_S)² / N² / B
    const at = affinity(t, o);
    const as = affinity(s, o);
    const want = num(tf.sum(tf.square(tf.sub(at, as)))) / (16 * 16) / 2;
    assert.ok(Math.abs(base - want) < 1e-6 * want);
    // a student map of another size is pooled adaptively onto the teacher's grid
    const big = tf.randomNormal([2, 13, 13, 3], 0, 1, 'float32', 12) as tf.Tensor4D;
    assert.ok(num(pairDistillLoss(big, t, o)) > 0);
    const tiled = tf.image.resizeNearestNeighbor(t, [16, 16]) as tf.Tensor4D; // same content at twice the size
    assert.ok(num(pairDistillLoss(tiled, t, o)) < 1e-10);
    assert.throws(() => pairDistillLoss(s, tf.zeros([3, 8, 8, 6]) as tf.Tensor4D, o), ShapeError);
  });
});

test('adaptiveMaxPool uses PyTorch adaptive windows (overlapping when the size does not divide)', () => {
  tf.tidy(() => {
    // 1x5 row 0..4 onto 1x3: windows [0,2) [1,4) [3,5) → max 1, 3, 4 (PyTorch AdaptiveMaxPool2d)
    const x = tf.tensor4d([0, 1, 2, 3, 4], [1, 1, 5, 1]);
    assert.deepEqual(Array.from(adaptiveMaxPool(x, 1, 3).dataSync()), [1, 3, 4]);
    const y = tf.randomNormal([2, 8, 8, 3]) as tf.Tensor4D;
    const a = adaptiveMaxPool(y, 2, 2).dataSync();
    const b = tf.maxPool(y, 4, 4, 'valid').dataSync();
    assert.equal(Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]))), 0);
  });
});

test('pair-wise KD gives finite student gradients with and without the detached norm', () => {
  const t = tf.randomNormal([1, 8, 8, 4], 0, 1, 'float32', 5) as tf.Tensor4D;
  const s = tf.variable(tf.randomNormal([1, 8, 8, 4], 0, 1, 'float32', 6));
  for (const detachNorm of [true, false]) {
    const { value, grads } = tf.variableGrads(() => pairDistillLoss(s as unknown as tf.Tensor4D, t, { poolScale: 0.25, detachNorm }), [s]);
    // and through the adaptive path (student larger than the teacher)
    const big = tf.tidy(() => tf.variableGrads(() => pairDistillLoss(tf.image.resizeBilinear(s as unknown as tf.Tensor4D, [11, 11]), t, { poolScale: 0.25, detachNorm }), [s]));
    assert.ok(big.grads[s.name].dataSync().every(Number.isFinite));
    tf.dispose([big.value, big.grads[s.name]]);
    const g = grads[s.name].dataSync();
    assert.ok(g.every(Number.isFinite));
    assert.ok(g.some((v) => v !== 0));
    assert.ok(value.dataSync()[0] > 0);
    tf.dispose([value, grads[s.name]]);
  }
  tf.dispose([t, s]);
});

test('distillLoss = λ_pi·pixel + λ_pa·pair, zero for identical student and teacher', () => {
  tf.tidy(() => {
    const tm = tf.randomNormal([2, 8, 8, 4], 0, 1, 'float32', 7) as tf.Tensor4D;
    const sm = tf.randomNormal([2, 8, 8, 4], 0, 1, 'float32', 8) as tf.Tensor4D;
    const tfeat = tf.randomNormal([2, 8, 8, 6], 0, 1, 'float32', 9) as tf.Tensor4D;
    const sfeat = tf.randomNormal([2, 8, 8, 2], 0, 1, 'float32', 10) as tf.Tensor4D;
    const opts = { pixel: 2, pair: 0.5, poolScale: 0.25 };
    const same = distillLoss({ maps: tm, features: tfeat }, { maps: tm, features: tfeat }, opts);
    assert.ok(num(same.loss) < 1e-10);
    const r = distillLoss({ maps: sm, features: sfeat }, { maps: tm, features: tfeat }, opts);
    const want = 2 * num(r.parts.pixel) + 0.5 * num(r.parts.pair);
    assert.ok(num(r.parts.pixel) > 0 && num(r.parts.pair) > 0);
    assert.ok(Math.abs(num(r.loss) - want) < 1e-5 * want);
    // λ_pa = 0 needs no features
    assert.equal(num(distillLoss({ maps: sm }, { maps: tm }, { pixel: 1, pair: 0 }).parts.pair), 0);
    assert.throws(() => distillLoss({ maps: sm }, { maps: tm }, { pixel: 1, pair: 1 }), ConfigError);
    assert.throws(() => distillLoss({ maps: sm }, { maps: tm }, { pixel: -1, pair: 0 }), ConfigError);
  });
});
