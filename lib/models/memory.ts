import * as tf from '@tensorflow/tfjs';

/**
 * How much memory a training step needs, estimated from the model's structure (no step is run), so `grasplab doctor`
 * and the dry run can say before a long run whether it fits: wasm's heap is capped at 4 GB (wasm32), and the
 * machine's RAM bounds everything.
 *
 * peak bytes ≈ FIXED + 4·(WEIGHT_COPIES · weights) + 4·ACTIVATION_FACTOR · batch · activations
 * - weights: every weight value (trainable + BN statistics); copies = the weight, its gradient, Adam's two moments;
 * - activations: elements of every layer's output for one image (what backprop keeps, plus their gradients and the
 *   kernels' temporaries: ACTIVATION_FACTOR, fitted to a measurement).
 */
export interface ModelFootprint {
  /** weight values (trainable and non-trainable) */
  weights: number;
  /** output elements of all layers for one image */
  activationsPerImage: number;
}

/**
 * Calibrated on the wasm backend (single-threaded build), peak heap of one Adam training step at 300x300, measured
 * with `npm run bench -- --models pspnet-r18-w0.25 --backends wasm --batch B --repeats 1 --warmup 0 --leak-steps 0
 * --no-forward` (wasm linear memory only grows, so its size after the step is the peak): PSPNet-R18 ×0.25 needs
 * 612 MB at batch 2 and 1,990 MB at batch 8 → 3.93 bytes of heap per activation byte and 136 MB fixed. Checked on
 * runs not used for the fit: PSPNet-R34 ×0.25 at batch 8 measured 2,702 MB (estimate 2,649); GG-CNN at batch 2
 * measured 352 MB (estimate 466: small heaps are dominated by the heap's initial size); PSPNet-R50 ×1 at batch 1
 * aborted at the 4,096 MB limit (estimate 3,832 MB: hence the fit margin below). 2026-12-02, this 2-core machine.
 */
export const MEMORY_MODEL = {
  fixedBytes: 136 * 2 ** 20,
  weightCopies: 4,
  activationFactor: 3.93,
};

/** A training step is taken to fit a capped heap when its estimate is at most this share of it (fragmentation). */
export const HEAP_FIT_MARGIN = 0.9;

export const MEMORY_CALIBRATION_NOTE =
  'estimate = 136 MB + 16 B per weight + 3.93 × 4 B per activation element × batch; calibrated on the wasm backend with PSPNet-R18 ×0.25 at batch 2 and 8 (612 / 1,990 MB heap), within 2 % of PSPNet-R34 ×0.25 at batch 8; a run fits wasm when ≤ 90 % of its 4 GB heap';

export function modelFootprint(model: tf.LayersModel): ModelFootprint {
  let weights = 0;
  for (const w of model.weights) weights += w.shape.reduce<number>((a, b) => a * (b as number), 1);
  let activationsPerImage = 0;
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    const shapes = Array.isArray(layer.outputShape[0]) ? (layer.outputShape as tf.Shape[]) : [layer.outputShape as tf.Shape];
    for (const s of shapes) activationsPerImage += s.slice(1).reduce<number>((a, b) => a * (b ?? 1), 1);
  }
  return { weights, activationsPerImage };
}

/** Estimated peak bytes of one training step (Adam) at `batch`. */
export function trainingBytes(f: ModelFootprint, batch: number, m = MEMORY_MODEL): number {
  return m.fixedBytes + 4 * m.weightCopies * f.weights + 4 * m.activationFactor * batch * f.activationsPerImage;
}
