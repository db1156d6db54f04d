import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import { selectBackend } from '../../lib/backend/setup';
import { assertWasmMatchesCpu, seededValues, wasmMissing } from './backend_compare';

/** BatchMatMul with transposed operands (explicit transpose + plain product) on wasm. */
describe('wasm BatchMatMul replacement', () => {
  before(async () => {
    await selectBackend({ quiet: true });
  });

  it('all transpose flags, 2-D, batched and broadcast batches, and matMul gradients', { skip: wasmMissing() }, async () => {
    await assertWasmMatchesCpu('matmul', () => {
      const m = (shape: number[], seed: number) => tf.tensor(seededValues(shape.reduce((p, q) => p * q, 1), seed), shape);
      const a = m([7, 5], 1);
      const b = m([5, 3], 2);
      const at = m([5, 7], 3);
      const bt = m([3, 5], 4);
      const a3 = m([4, 7, 5], 5);
      const b3t = m([4, 3, 5], 6);
      return [
        tf.matMul(a, b),
        tf.matMul(at, b, true, false),
        tf.matMul(a, bt, false, true),
        tf.matMul(at, bt, true, true),
        tf.matMul(a3, b3t, false, true),
        tf.matMul(tf.transpose(a3, [0, 2, 1]), b3t, true, true),
        tf.matMul(a3, m([1, 3, 5], 7), false, true),
        ...tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.sin(tf.matMul(p as tf.Tensor2D, q as tf.Tensor2D))))([a, b]),
      ];
    }, 1e-5);
  });
});
