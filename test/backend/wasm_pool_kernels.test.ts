import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { selectBackend } from '../../lib/backend/setup';
import { assertWasmMatchesCpu, seededValues, wasmMissing } from './backend_compare';

/** The heap-JS MaxPoolGrad registered for wasm. */
describe('wasm MaxPoolGrad replacement', () => {
  before(async () => {
    await selectBackend({ quiet: true });
  });

  it('max-pool gradients: 3x3/2 same (ResNet stem), 2x2/2 valid, 3x3/1 same, ties, non-square', { skip: wasmMissing() }, async () => {
    await assertWasmMatchesCpu('maxPool grads', () => {
      const x = tf.tensor4d(seededValues(2 * 11 * 9 * 3, 51), [2, 11, 9, 3]);
      // quantised values create ties inside windows: the first maximum must get the gradient
      const xTies = tf.round(tf.mul(x, 2));
      const r = (shape: number[], seed: number) => tf.tensor(seededValues(shape.reduce((a, b) => a * b, 1), seed), shape);
      const g = (inp: tf.Tensor4D, f: [number, number], s: [number, number], pad: 'same' | 'valid', seed: number) => {
        const yShape = tf.maxPool(inp, f, s, pad).shape;
        const rr = r(yShape, seed);
        return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, f, s, pad), rr)))(inp);
      };
      return [
        g(x, [3, 3], [2, 2], 'same', 52),
        g(x, [2, 2], [2, 2], 'valid', 53),
        g(x, [3, 3], [1, 1], 'same', 54),
        g(x, [2, 3], [1, 2], 'valid', 55),
        g(xTies as tf.Tensor4D, [3, 3], [2, 2], "same", 56),
        g(xTies as tf.Tensor4D, [3, 3], [1, 1], "same", 57),
      ];
    }, 1e-6);
  });
});
