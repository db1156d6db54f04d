import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../lib/backend/setup';
import { ShapeError } from '../../lib/errors';
import { graspLoss } from '../../lib/train/losses';

before(async () => {
  await selectBackend({ quiet: true });
});

// [B=1,H=1,W=2,C=4]: two pixels, values chosen so some errors are < 1 and some > 1 (smooth-L1's two branches).
const PRED = [0.5, 0.2, -0.3, 0.9, 1.0, 0.0, 2.5, -1.0];
const TARGET = [1.0, 0.0, 0.0, 0.4, 0.0, 0.1, 0.0, 0.5];

function handLoss(f: (d: number) => number): { parts: number[]; total: number } {
  const parts = [0, 1, 2, 3].map((c) => (f(PRED[c] - TARGET[c]) + f(PRED[4 + c] - TARGET[4 + c])) / 2);
  return { parts, total: parts.reduce((a, b) => a + b, 0) };
}

function run(kind?: 'mse' | 'smoothL1') {
  return tf.tidy(() => {
    const r = graspLoss(tf.tensor4d(PRED, [1, 1, 2, 4]), tf.tensor4d(TARGET, [1, 1, 2, 4]), kind);
    return { total: r.loss.dataSync()[0], parts: [r.parts.pos, r.parts.cos, r.parts.sin, r.parts.width].map((t) => t.dataSync()[0]) };
  });
}

test('mse graspLoss is the sum over the four maps of the per-map mean squared error', () => {
  const want = handLoss((d) => d * d);
  const got = run();
  got.parts.forEach((p, i) => assert.ok(Math.abs(p - want.parts[i]) < 1e-6, `part ${i}: ${p} vs ${want.parts[i]}`));
  assert.ok(Math.abs(got.total - want.total) < 1e-6);
  assert.deepEqual(run('mse'), got);
});

test('smoothL1 graspLoss uses 0.5·d² below 1 and |d|−0.5 above', () => {
  const want = handLoss((d) => (Math.abs(d) < 1 ? 0.5 * d * d : Math.abs(d) - 0.5));
  const got = run('smoothL1');
  got.parts.forEach((p, i) => assert.ok(Math.abs(p - want.parts[i]) < 1e-6, `part ${i}: ${p} vs ${want.parts[i]}`));
  assert.ok(Math.abs(got.total - want.total) < 1e-6);
  assert.notEqual(got.total, run('mse').total);
});

test('graspLoss rejects mismatched shapes with a ShapeError naming both shapes', () => {
  const a = tf.zeros([1, 4, 4, 4]) as tf.Tensor4D;
  const b = tf.zeros([1, 4, 4, 3]) as tf.Tensor4D;
  assert.throws(() => graspLoss(a, b), (e: Error) => e instanceof ShapeError && /\[1,4,4,4\].*\[1,4,4,3\]/.test(e.message));
  tf.dispose([a, b]);
});

test('graspLoss leaves only its results behind', () => {
  const p = tf.randomNormal([2, 8, 8, 4]) as tf.Tensor4D;
  const t = tf.randomNormal([2, 8, 8, 4]) as tf.Tensor4D;
  const n0 = tf.memory().numTensors;
  const r = graspLoss(p, t, 'smoothL1');
  assert.equal(tf.memory().numTensors, n0 + 5);
  tf.dispose([r.loss, ...Object.values(r.parts), p, t]);
});
