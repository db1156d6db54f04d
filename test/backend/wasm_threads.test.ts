import * as tf from '@tensorflow/tfjs';
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { ConfigError } from '../../lib/errors';
import { registerThreadedWasm, wasmThreadsFromEnv, wasmThreadsInUse } from '../../lib/backend/wasm_threads';
import { selectBackend } from '../../lib/backend/setup';
import { nativeConvStatus } from '../../lib/backend/native_conv';
import { heapBuffer, type WasmHeapBackend } from '../../lib/backend/wasm_kernel_calls';
import { assertWasmMatchesCpu, seededValues, wasmMissing } from './backend_compare';

/** The opt-in multi-threaded wasm build (this file runs in its own process, so replacing 'wasm' is contained). */
describe('threaded wasm backend (GRASPLAB_WASM_THREADS)', () => {
  it('parses GRASPLAB_WASM_THREADS', () => {
    assert.equal(wasmThreadsFromEnv({}), undefined);
    assert.equal(wasmThreadsFromEnv({ GRASPLAB_WASM_THREADS: ' ' }), undefined);
    assert.equal(wasmThreadsFromEnv({ GRASPLAB_WASM_THREADS: '2' }), 2);
    for (const bad of ['0', '9', '1.5', 'two']) {
      assert.throws(() => wasmThreadsFromEnv({ GRASPLAB_WASM_THREADS: bad }), ConfigError, bad);
    }
  });

  it('a bad GRASPLAB_WASM_THREADS stops selectBackend with the setting named (no silent fall-back to the cpu backend)', async () => {
    await assert.rejects(selectBackend({ quiet: true, env: { GRASPLAB_WASM_THREADS: '0' } }), (e: Error) => e instanceof ConfigError && /GRASPLAB_WASM_THREADS=0/.test(e.message));
  });

  it('runs with 2 threads and computes what the cpu backend computes', { timeout: 60_000, skip: wasmMissing() }, async () => {
    assert.equal(await registerThreadedWasm(2), 2);
    await selectBackend({ quiet: true, env: { GRASPLAB_BACKEND: 'wasm' } });
    assert.equal(tf.getBackend(), 'wasm');
    assert.equal(wasmThreadsInUse(), 2);
    // the threaded build's heap is a SharedArrayBuffer: the native conv kernels (when built) work on it in place
    assert.ok(heapBuffer(tf.backend() as unknown as WasmHeapBackend) instanceof SharedArrayBuffer);
    if (nativeConvStatus().on) assert.equal(nativeConvStatus().threads, 1, 'tests run the native kernels on 1 thread unless told');
    await assertWasmMatchesCpu('threaded conv + grads', () => {
      const x = tf.tensor4d(seededValues(4 * 40 * 36 * 8, 61), [4, 40, 36, 8]);
      const w = tf.tensor4d(seededValues(3 * 3 * 8 * 16, 62), [3, 3, 8, 16]);
      const y = tf.conv2d(x, w, 2, 'same');
      return [y, ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'))))([x, w])];
    });
  });
});
