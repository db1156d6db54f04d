import { spawnSync } from 'child_process';
import * as tf from '@tensorflow/tfjs';
import { onnxRuntimeAvailable } from '../../lib/export/onnx_runtime';
import { pseudoRandom } from '../models/helpers';

/** Skip message for tests that need onnxruntime-node (an optional dependency), or false when it loads. */
export function skipUnlessOrt(): string | false {
  const r = onnxRuntimeAvailable();
  return r.ok ? false : `needs onnxruntime-node: ${r.reason}`;
}

/** Debian's python3-onnx (for onnx.checker), or why it cannot be used. */
export function pythonOnnx(): { ok: boolean; reason?: string } {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import onnx; print(onnx.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? { ok: true } : { ok: false, reason: `needs /usr/bin/python3 with the onnx package (apt-get install python3-onnx): ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}` };
}

/**
 * Gives every BatchNormalization layer non-trivial statistics and affine parameters (γ ∈ [0.6, 1.4], β ∈ ±0.2,
 * mean ∈ ±0.1, var ∈ [0.5, 1.5]), so that an export which skipped, swapped or mis-folded them would differ.
 */
export function randomiseBatchNorm(model: tf.LayersModel, seed = 5): number {
  let n = 0;
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const c = layer.getWeights()[0].shape[0];
    const u = (k: number, lo: number, hi: number) => Float32Array.from(pseudoRandom(c, seed * 1000 + n * 10 + k), (v) => lo + ((v + 1) / 2) * (hi - lo));
    const ws = [u(1, 0.6, 1.4), u(2, -0.2, 0.2), u(3, -0.1, 0.1), u(4, 0.5, 1.5)].map((a) => tf.tensor1d(a));
    layer.setWeights(ws);
    tf.dispose(ws);
    n++;
  }
  return n;
}

/** Max |a − b| and max |b| (the reference's scale). */
export function diffStats(a: ArrayLike<number>, b: ArrayLike<number>): { maxDiff: number; maxRef: number } {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < a.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    maxRef = Math.max(maxRef, Math.abs(b[i]));
  }
  return { maxDiff, maxRef };
}

/** `[B,S,S,1]` depth-like test input: values in ±0.3, deterministic. */
export function randomDepth(b: number, s: number, seed = 1): Float32Array {
  return Float32Array.from(pseudoRandom(b * s * s, seed), (v) => 0.3 * v);
}
