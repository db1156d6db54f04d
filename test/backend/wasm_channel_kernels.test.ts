import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { selectBackend } from '../../lib/backend/setup';
import { assertWasmMatchesCpu, onBackend, seededValues, wasmMissing } from './backend_compare';

/** Per-channel Multiply/Add/Sub (1x1 depthwise conv) and spatial Sum/Mean (HxW average pool) on wasm. */
describe('wasm per-channel kernels', () => {
  before(async () => {
    await selectBackend({ quiet: true });
  });
  const skip = wasmMissing();
  const x = (shape: number[], seed: number) => tf.tensor(seededValues(shape.reduce((a, b) => a * b, 1), seed), shape);

  it('Multiply/Add/Sub with a channel vector, either operand order, vector as [C] or [1,1,1,C], odd shapes', { skip }, async () => {
    await assertWasmMatchesCpu('channel broadcast', () => {
      const a = x([3, 7, 5, 6], 1);
      const v = x([6], 2);
      const v4 = tf.reshape(v, [1, 1, 1, 6]);
      const b2 = x([11, 4], 3);
      const u = x([4], 4);
      return [
        tf.mul(a, v), tf.mul(v4, a), tf.add(a, v), tf.add(v4, a), tf.sub(a, v), tf.sub(v, a), tf.sub(v4, a),
        tf.mul(b2, u), tf.sub(b2, u), tf.add(u, b2),
        tf.mul(x([2, 1, 1, 5], 5), x([5], 6)), // [B,1,1,C] (pooled maps)
        tf.add(a, x([7, 5, 6], 7)), // not a channel vector: wasm's own kernel
        tf.mul(a, 3), tf.sub(a, a),
      ];
    }, 1e-6);
  });

  it('results are bitwise those of the plain ops (mul then add, one rounding each)', { skip }, async () => {
    const run = () => [tf.add(tf.mul(x([2, 9, 4, 3], 8), x([3], 9)), x([3], 10)), tf.sub(x([2, 9, 4, 3], 11), x([3], 12))];
    const wasm = await onBackend('wasm', run);
    const cpu = await onBackend('cpu', run);
    wasm.forEach((w, i) => assert.deepEqual(Array.from(w), Array.from(cpu[i])));
  });

  it('Sum/Mean over [0,1,2] and [1,2] (keepDims, negative axes); other axes fall back', { skip }, async () => {
    await assertWasmMatchesCpu('spatial reduce', () => {
      const a = x([3, 7, 5, 6], 13);
      const big = x([2, 31, 29, 3], 14);
      return [
        tf.sum(a, [0, 1, 2]), tf.mean(a, [0, 1, 2]), tf.sum(a, [1, 2]), tf.mean(a, [2, 1], true), tf.sum(a, [-4, -3, -2], true),
        tf.sum(big, [0, 1, 2]), tf.mean(big, [1, 2]),
        tf.sum(x([1, 6, 6, 4], 15), [0, 1, 2]), // batch 1
        tf.sum(x([4, 1, 1, 5], 16), [0, 1, 2]), // 1x1 maps: the old path
        tf.sum(a, [0, 1]), tf.mean(a, 3), tf.sum(a),
      ];
    }, 1e-5);
  });

  it('gradients through them (BatchNorm-like) match cpu; no buffers leak', { skip }, async () => {
    await assertWasmMatchesCpu('bn-like grads', () => {
      const a = x([2, 6, 5, 4], 17);
      const g = x([4], 18);
      const r = x([2, 6, 5, 4], 19);
      return tf.grads((aa: tf.Tensor, gg: tf.Tensor) => {
        const m = tf.mean(aa, [0, 1, 2]);
        const c = tf.sub(aa, m);
        return tf.sum(tf.mul(tf.add(tf.mul(c, gg), gg), r));
      })([a, g]);
    }, 1e-4);
    await tf.setBackend('wasm');
    const backend = tf.engine().backend;
    const before = backend.numDataIds();
    const a = x([2, 6, 5, 4], 20);
    const v = x([4], 21);
    tf.dispose([tf.mul(a, v), tf.add(a, v), tf.sub(v, a), tf.sum(a, [0, 1, 2]), tf.mean(a, [1, 2], true)]);
    tf.dispose([a, v]);
    assert.equal(backend.numDataIds(), before);
  });
});
