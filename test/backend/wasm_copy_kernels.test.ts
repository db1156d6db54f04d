import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { selectBackend } from '../../lib/backend/setup';
import { assertWasmMatchesCpu, onBackend, seededValues, wasmMissing } from './backend_compare';

/** The heap-copy Slice / SplitV / Tile kernels registered for wasm give exactly the cpu backend's results. */
describe('wasm copy kernels (Slice, SplitV, Tile, Concat) match the cpu backend', () => {
  before(async () => {
    await selectBackend({ quiet: true });
  });
  const skip = wasmMissing();

  const x = () => tf.tensor4d(seededValues(3 * 5 * 7 * 6, 1), [3, 5, 7, 6]);

  it('slices: spatial, channel, single element, full, -1 sizes, rank 1-5', { skip }, async () => {
    await assertWasmMatchesCpu('slice', () => [
      tf.slice(x(), [1, 1, 2, 0], [2, 3, 4, 6]),
      tf.slice(x(), [0, 0, 0, 2], [3, 5, 7, 3]),
      tf.slice(x(), [0, 0, 0, 5], [3, 5, 7, 1]),
      tf.slice(x(), [2, 4, 6, 5], [1, 1, 1, 1]),
      tf.slice(x(), [0, 0, 0, 0], [-1, -1, -1, -1]),
      tf.slice(x(), [1, 2, 0, 0], [-1, 2, -1, 4]),
      tf.slice(tf.range(0, 20), [3], [9]),
      tf.slice(tf.reshape(x(), [3, 5, 7, 2, 3]), [1, 0, 2, 1, 1], [2, 5, 3, 1, 2]),
      tf.slice(x(), [0, 0, 0, 0], [3, 0, 7, 6]),
    ], 0);
  });

  it('slices int32 and bool tensors', { skip }, async () => {
    const run = () => [
      tf.cast(tf.slice(tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9], [3, 3], 'int32'), [1, 1], [2, 2]), 'float32'),
      tf.cast(tf.slice(tf.tensor1d([true, false, true, true], 'bool'), [1], [3]), 'float32'),
    ];
    assert.deepEqual(await onBackend('wasm', run), await onBackend('cpu', run));
  });

  it('splits along every axis, equal and uneven pieces', { skip }, async () => {
    await assertWasmMatchesCpu('split', () => [
      ...tf.split(x(), [1, 2], 0).map((t) => t),
      ...tf.split(x(), 5, 1),
      ...tf.split(x(), [3, 4], 2),
      ...tf.split(x(), [1, 4, 1], 3),
    ], 0);
  });

  it('tiles: broadcast-like (batch-norm gradient), general, identity, rank 1-5', { skip }, async () => {
    await assertWasmMatchesCpu('tile', () => [
      tf.tile(tf.tensor4d(seededValues(6, 2), [1, 1, 1, 6]), [3, 5, 7, 1]),
      tf.tile(x(), [2, 1, 3, 2]),
      tf.tile(x(), [1, 1, 1, 1]),
      tf.tile(tf.tensor1d([1, 2, 3]), [4]),
      tf.tile(tf.reshape(tf.range(0, 12), [2, 1, 3, 2, 1]), [1, 3, 2, 1, 2]),
      tf.tile(tf.tensor2d([1, 2, 3, 4], [2, 2]), [3, 0]),
    ], 0);
  });

  it('concats along every axis, 1-channel maps, empty parts, int32', { skip }, async () => {
    const y = () => tf.tensor4d(seededValues(3 * 5 * 7 * 2, 7), [3, 5, 7, 2]);
    await assertWasmMatchesCpu('concat', () => [
      tf.concat([x(), y()], 3),
      tf.concat([tf.slice(x(), [0, 0, 0, 0], [3, 5, 7, 1]), tf.slice(x(), [0, 0, 0, 1], [3, 5, 7, 1]), y()], 3),
      tf.concat([x(), x()], 0),
      tf.concat([x(), tf.slice(x(), [0, 0, 0, 0], [3, 2, 7, 6])], 1),
      tf.concat([x(), tf.zeros([3, 5, 0, 6]), x()], 2),
      tf.cast(tf.concat([tf.tensor1d([1, 2], 'int32'), tf.tensor1d([3], 'int32')], 0), 'float32'),
      tf.concat([tf.tensor2d(seededValues(40, 8), [2, 20]), tf.tensor2d(seededValues(6, 9), [2, 3])], 1),
    ], 0);
  });

  it('gradients through concat and batchNorm (which use SplitV / Tile)', { skip }, async () => {
    await assertWasmMatchesCpu('concat/batchNorm grads', () => {
      const a = x();
      const b = tf.tensor4d(seededValues(3 * 5 * 7 * 2, 3), [3, 5, 7, 2]);
      const r = tf.tensor4d(seededValues(3 * 5 * 7 * 8, 4), [3, 5, 7, 8]);
      const gamma = tf.tensor1d(seededValues(8, 5));
      const beta = tf.tensor1d(seededValues(8, 6));
      // (tfjs-core's batchNorm gradient needs explicit offset/scale tensors, as tfjs-layers passes)
      const f = (p: tf.Tensor, q: tf.Tensor, g: tf.Tensor, o: tf.Tensor) => {
        const c = tf.concat([p, q], 3);
        const { mean, variance } = tf.moments(c, [0, 1, 2]);
        return tf.sum(tf.mul(tf.batchNorm(c, mean, variance, o as tf.Tensor1D, g as tf.Tensor1D, 1e-3), r));
      };
      return tf.grads(f)([a, b, gamma, beta]);
    }, 1e-4);
  });
});
