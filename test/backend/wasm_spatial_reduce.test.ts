import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { selectBackend } from '../../lib/backend/setup';
import { assertWasmMatchesCpu, onBackend, seededValues, wasmMissing } from './backend_compare';

/** Sum/Mean over batch and space as an HxW average pool on wasm. */
describe('wasm spatial Sum/Mean', () => {
  before(async () => {
    await selectBackend({ quiet: true });
  });
  const skip = wasmMissing();
  const x = (shape: number[], seed: number) => tf.tensor(seededValues(shape.reduce((a, b) => a * b, 1), seed), shape);

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

  it('NaN stays NaN and ±∞ stay ±∞ (XNNPACK would clamp them), as on cpu', { skip }, async () => {
    const run = () => {
      const a = tf.tensor4d([1, NaN, 3, 4, Infinity, 6, 7, 8, -Infinity, 1, 2, 3], [1, 2, 2, 3]);
      return [tf.sum(a, [0, 1, 2]), tf.mean(a, [1, 2]), tf.sum(tf.concat([a, a], 0), [0, 1, 2])];
    };
    const wasm = await onBackend('wasm', run);
    const cpu = await onBackend('cpu', run);
    wasm.forEach((w, i) => assert.deepEqual(Array.from(w), Array.from(cpu[i])));
    assert.ok(Number.isNaN(wasm[0][1]) && wasm[0][2] === -Infinity);
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
    const bad = tf.tensor4d([NaN, 1, 2, 3, 4, 5, 6, 7], [1, 2, 2, 2]);
    tf.dispose([tf.sum(a, [0, 1, 2]), tf.mean(a, [1, 2], true), tf.sum(bad, [0, 1, 2])]);
    tf.dispose([a, bad]);
    assert.equal(backend.numDataIds(), before);
  });
});
