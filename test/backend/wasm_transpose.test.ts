import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { selectBackend } from '../../lib/backend/setup';
import { collapseTranspose } from '../../lib/backend/wasm_transpose';
import { assertWasmMatchesCpu, onBackend, seededValues, wasmMissing } from './backend_compare';

/** The axis-merging, two-step Transpose registered for wasm. */
describe('wasm Transpose replacement', () => {
  before(async () => {
    await selectBackend({ quiet: true });
  });
  const skip = wasmMissing();

  it('merges axes that stay adjacent and drops size-1 axes', () => {
    assert.deepEqual(collapseTranspose([8, 30, 30, 32], [3, 0, 1, 2]), { shape: [7200, 32], perm: [1, 0] });
    assert.deepEqual(collapseTranspose([8, 30, 30, 32], [3, 1, 2, 0]), { shape: [8, 900, 32], perm: [2, 1, 0] });
    assert.deepEqual(collapseTranspose([1, 5, 1, 7], [3, 2, 1, 0]), { shape: [5, 7], perm: [1, 0] });
    assert.deepEqual(collapseTranspose([2, 3, 4], [0, 1, 2]), { shape: [24], perm: [0] });
  });

  it('every permutation of ranks 2-5 (with size-1 axes) matches the cpu backend', { skip }, async () => {
    const shapes = [[3, 4], [2, 3, 4], [2, 1, 3, 4], [2, 3, 2, 4], [2, 1, 3, 2, 3]];
    for (const shape of shapes) {
      const perms = permutations(shape.length);
      await assertWasmMatchesCpu(`transpose ${shape}`, () => {
        const x = tf.tensor(seededValues(shape.reduce((a, b) => a * b, 1), 31), shape);
        return perms.map((p) => tf.transpose(x, p));
      }, 0);
    }
  });

  it('rank 6 (phase split), int32 and bool', { skip }, async () => {
    await assertWasmMatchesCpu('rank 6', () => {
      const x = tf.tensor(seededValues(2 * 3 * 2 * 4 * 2 * 3, 32), [2, 3, 2, 4, 2, 3]);
      return [tf.transpose(x, [2, 4, 5, 0, 1, 3]), tf.transpose(x, [2, 4, 0, 1, 3, 5]), tf.transpose(x, [5, 4, 3, 2, 1, 0])];
    }, 0);
    const run = () => [
      tf.cast(tf.transpose(tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 3, 2], 'int32'), [2, 1, 0]), 'float32'),
      tf.cast(tf.transpose(tf.tensor3d([true, false, true, true, false, false], [1, 2, 3], 'bool'), [2, 0, 1]), 'float32'),
    ];
    assert.deepEqual(await onBackend('wasm', run), await onBackend('cpu', run));
  });
});

function permutations(n: number): number[][] {
  if (n === 1) return [[0]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}
