import * as tf from '@tensorflow/tfjs';
import * as assert from 'node:assert/strict';

/** Test helper (not a test file): run the same computation on two backends and compare. */

/**
 * Runs `fn` with `backend` active, returns its outputs as plain arrays, then restores the previous backend.
 * `tf.setBackend` resolves to false (it does not throw) when a backend fails to initialise; then tfjs keeps the old
 * one, and a "comparison" would compare a backend with itself: that fails here instead.
 */
export async function onBackend(backend: string, fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  const previous = tf.getBackend();
  assert.ok(await tf.setBackend(backend), `tf.setBackend('${backend}') failed: cannot compare on it`);
  assert.equal(tf.getBackend(), backend);
  try {
    const outs = tf.tidy(fn);
    const data = outs.map((t) => Float32Array.from(t.dataSync()));
    tf.dispose(outs);
    return data;
  } finally {
    assert.ok(await tf.setBackend(previous), `could not restore backend '${previous}'`);
  }
}

/** max|a−b| / max|b| (b is the reference); 0 when both are all-zero. */
export function maxRelativeError(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length, 'compared tensors differ in size');
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

/** Deterministic pseudo-random values in [-1,1) (a fixed LCG, so both backends see identical inputs). */
export function seededValues(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Asserts every output of `fn` agrees between wasm and cpu within `tol` relative error. */
export async function assertWasmMatchesCpu(label: string, fn: () => tf.Tensor[], tol = 1e-4): Promise<void> {
  const wasm = await onBackend('wasm', fn);
  const cpu = await onBackend('cpu', fn);
  assert.equal(wasm.length, cpu.length);
  for (let i = 0; i < wasm.length; i++) {
    const err = maxRelativeError(wasm[i], cpu[i]);
    assert.ok(err <= tol, `${label}: output ${i} differs from cpu by ${err.toExponential(2)} (relative, tol ${tol})`);
  }
}

/** Skip reason for node:test when the wasm backend package cannot be loaded, else false. */
export function wasmMissing(): string | false {
  try {
    require('@tensorflow/tfjs-backend-wasm');
    return false;
  } catch {
    return 'wasm backend unavailable';
  }
}
