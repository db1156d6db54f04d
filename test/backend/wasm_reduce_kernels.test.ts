import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { selectBackend } from '../../lib/backend/setup';
import { assertWasmMatchesCpu, onBackend, seededValues, wasmMissing } from './backend_compare';

/** Sum/Mean over leading axes (GEMM with a ones vector) and the copy-free Identity/Cast on wasm. */
describe('wasm Sum/Mean/Identity/Cast replacements', () => {
  before(async () => {
    await selectBackend({ quiet: true });
  });
  const skip = wasmMissing();
  const x = () => tf.tensor4d(seededValues(4 * 9 * 7 * 5, 21), [4, 9, 7, 5]);

  it('sum and mean over leading axes, keepDims, negative axes, other patterns', { skip }, async () => {
    await assertWasmMatchesCpu('reduce', () => [
      tf.sum(x(), [0, 1, 2]),
      tf.sum(x(), [2, 0, 1], true),
      tf.sum(x(), 0),
      tf.sum(x(), [0, 1]),
      tf.mean(x(), [0, 1, 2]),
      tf.mean(x(), [-4, -3], true),
      tf.sum(x(), [1, 2]), // not a prefix: wasm's own kernel
      tf.sum(x(), 3),
      tf.sum(x()),
      tf.mean(x()),
      tf.sum(tf.reshape(x(), [4, 9, 7, 5, 1]), [0, 1, 2, 3]),
      tf.cast(tf.sum(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), 0), 'float32'),
    ], 1e-5);
  });

  it('bias / batch-norm style gradients (sums over batch and space)', { skip }, async () => {
    await assertWasmMatchesCpu('bias grad', () => {
      const b = tf.tensor1d(seededValues(5, 22));
      const r = tf.tensor4d(seededValues(4 * 9 * 7 * 5, 23), [4, 9, 7, 5]);
      return tf.grads((xx: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(tf.relu(tf.add(xx, bb)), r)))([x(), b]);
    }, 1e-5);
  });

  it('identity and same-dtype cast share the buffer safely (dispose either side, no leaked buffers)', { skip }, async () => {
    assert.ok(await tf.setBackend('wasm'), 'the wasm backend failed to initialise');
    const backend = tf.engine().backend;
    const before = backend.numDataIds();
    const a = x();
    const c = tf.clone(a);
    const d = tf.cast(a, 'float32');
    const expected = Array.from(a.dataSync());
    a.dispose();
    assert.deepEqual(Array.from(c.dataSync()), expected);
    c.dispose();
    assert.deepEqual(Array.from(d.dataSync()), expected);
    d.dispose();
    assert.equal(backend.numDataIds(), before);
    const run = () => [tf.cast(tf.cast(tf.tensor1d([1.7, -2.2, 0.4]), 'int32'), 'float32'), tf.cast(tf.tensor1d([true, false], 'bool'), 'float32')];
    assert.deepEqual(await onBackend('wasm', run), await onBackend('cpu', run));
  });

  it('a variable updated from a clone keeps its own value', { skip }, async () => {
    assert.ok(await tf.setBackend('wasm'), 'the wasm backend failed to initialise');
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    const snapshot = tf.clone(v);
    v.assign(tf.tensor1d([7, 8, 9]));
    assert.deepEqual(Array.from(snapshot.dataSync()), [1, 2, 3]);
    assert.deepEqual(Array.from(v.dataSync()), [7, 8, 9]);
    tf.dispose([v, snapshot]);
  });
});
