import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../lib/backend/setup';
import { dilatedConv2d } from '../../lib/models/dilated_conv';
import { assertWasmMatchesCpu, seededValues, wasmMissing } from '../backend/backend_compare';

before(async () => {
  await selectBackend({ quiet: true });
});

/** The dilated conv's forward and both gradients on wasm (XNNPACK convs, grasplab's kernels) against the cpu backend. */
test('dilated conv forward, dx and dW agree between wasm and cpu (dilation 2/4, odd sizes, padding ≠ "same")', { skip: wasmMissing() }, async () => {
  const cases = [
    { b: 2, h: 13, w: 11, c: 5, f: 3, k: 3, d: 4, p: 4 },
    { b: 3, h: 9, w: 10, c: 4, f: 6, k: 3, d: 2, p: 2 },
    { b: 1, h: 12, w: 7, c: 3, f: 2, k: 3, d: 2, p: 1 }, // p < d(k−1)/2: output smaller than the input
    { b: 1, h: 8, w: 9, c: 2, f: 3, k: 3, d: 2, p: 5 }, // p > d(k−1): the input gradient crops dy
    { b: 2, h: 38, w: 38, c: 8, f: 8, k: 3, d: 4, p: 4 }, // PSPNet layer4's geometry, narrow
  ];
  for (const [i, c] of cases.entries()) {
    await assertWasmMatchesCpu(`case ${i} ${JSON.stringify(c)}`, () => {
      const x = tf.tensor4d(seededValues(c.b * c.h * c.w * c.c, 1 + i), [c.b, c.h, c.w, c.c]);
      const w = tf.tensor4d(seededValues(c.k * c.k * c.c * c.f, 11 + i), [c.k, c.k, c.c, c.f]);
      const y = dilatedConv2d(x, w, c.d, c.p);
      const r = tf.tensor(seededValues(y.size, 21 + i), y.shape);
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(dilatedConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.d, c.p), r)))([x, w]);
      return [y, dx, dw];
    }, 1e-4);
  }
});
