import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { selectBackend } from '../../lib/backend/setup';
import { planPhases } from '../../lib/backend/conv2d_backprop_input_wasm';
import { assertWasmMatchesCpu, seededValues, wasmMissing } from './backend_compare';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
type S4 = [number, number, number, number];

/** conv2DBackpropInput(xShape, dy, W) = the kernel behind conv2dTranspose and every conv input gradient. */
function backpropInput(xShape: S4, filter: S4, strides: [number, number], pad: Pad): () => tf.Tensor[] {
  return () => {
    const w = tf.tensor4d(seededValues(size(filter), 11), filter);
    const yShape = tf.tidy(() => tf.conv2d(tf.zeros(xShape) as tf.Tensor4D, w, strides, pad).shape);
    const dy = tf.tensor4d(seededValues(size(yShape), 12), yShape as S4);
    // conv2dTranspose(dy, W, xShape, ...) runs exactly Conv2DBackpropInput{dy, filter: W, inputShape: xShape}
    const out = tf.conv2dTranspose(dy, w, xShape, strides, pad as 'same' | 'valid');
    return [out];
  };
}

function size(s: number[]): number {
  return s.reduce((a, b) => a * b, 1);
}

describe('wasm Conv2DBackpropInput (phase-decomposed XNNPACK conv) matches the cpu backend', () => {
  before(async () => {
    await selectBackend({ quiet: true });
  });
  const skip = wasmMissing();
  const cases: [string, S4, S4, [number, number], Pad][] = [
    ['stride 1 same 3x3', [2, 7, 9, 3], [3, 3, 3, 4], [1, 1], 'same'],
    ['stride 1 valid 4x2 (even filter)', [2, 7, 9, 3], [4, 2, 3, 4], [1, 1], 'valid'],
    ['stride 2 same 3x3 (GG-CNN convT)', [2, 10, 12, 3], [3, 3, 3, 2], [2, 2], 'same'],
    ['stride 2 same 5x5, odd size', [2, 11, 9, 2], [5, 5, 2, 3], [2, 2], 'same'],
    ['stride 3 same 9x9 (GG-CNN last convT)', [2, 21, 18, 2], [9, 9, 2, 3], [3, 3], 'same'],
    ['stride 3 valid 9x9, unused rows', [1, 20, 17, 2], [9, 9, 2, 3], [3, 3], 'valid'],
    ['stride 2 valid 2x2', [2, 8, 6, 3], [2, 2, 3, 2], [2, 2], 'valid'],
    ['stride 4 same 2x2 (filter smaller than stride)', [1, 13, 12, 2], [2, 2, 2, 3], [4, 4], 'same'],
    ['stride [2,3] explicit pads', [2, 10, 13, 2], [3, 5, 2, 3], [2, 3], [[0, 0], [1, 2], [0, 3], [0, 0]]],
    ['stride [3,1] same', [1, 9, 7, 3], [4, 3, 3, 2], [3, 1], 'same'],
    ['stride 1 pads larger than the filter (falls back to wasm\'s own kernel)', [1, 6, 6, 2], [3, 3, 2, 2], [1, 1], [[0, 0], [4, 4], [3, 5], [0, 0]]],
  ];
  for (const [name, xs, fs, st, pad] of cases) {
    it(name, { skip }, async () => {
      await assertWasmMatchesCpu(name, backpropInput(xs, fs, st, pad));
    });
  }

  it('conv2dTranspose layers with output_padding-like sizes (Keras same/valid)', { skip }, async () => {
    await assertWasmMatchesCpu('convT layer', () => {
      const x = tf.tensor4d(seededValues(2 * 4 * 5 * 3, 13), [2, 4, 5, 3]);
      const w = tf.tensor4d(seededValues(5 * 5 * 2 * 3, 14), [5, 5, 2, 3]);
      return [
        tf.conv2dTranspose(x, w, [2, 8, 10, 2], 2, 'same'),
        tf.conv2dTranspose(x, w, [2, 11, 13, 2], 2, 'valid'),
        tf.conv2dTranspose(x, w, [2, 12, 15, 2], 3, 'same'),
      ];
    });
  });

  it('plans every phase tap exactly once per filter element', () => {
    for (const [k, s, p, n] of [[9, 3, 3, 300], [3, 2, 0, 50], [3, 2, 1, 50], [5, 2, 2, 21], [2, 4, 0, 13], [4, 3, 1, 9]]) {
      const o = Math.floor((n + 2 * p - k) / s) + 1;
      const plan = planPhases(k, s, p, n, o);
      assert.ok(plan, `plan for k${k} s${s} p${p}`);
      const seen = new Array<number>(k).fill(0);
      for (let phase = 0; phase < s; phase++) {
        for (let t = 0; t < plan.taps; t++) {
          const kk = plan.kernelIndex(t, phase);
          if (kk >= 0) seen[kk]++;
        }
      }
      assert.deepEqual(seen, new Array<number>(k).fill(1), `k${k} s${s} p${p}`);
    }
    assert.equal(planPhases(3, 1, 4, 6, 12), undefined, 'a pad beyond the filter is not planned');
  });
});
