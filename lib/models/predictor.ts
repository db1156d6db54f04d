import * as tf from '@tensorflow/tfjs';
import { ConfigError, ShapeError } from '../errors';
import { MAP_CHANNELS } from '../types';

/**
 * Forward-only access to a grasp model, whatever runs it: what scoring (lib/eval `evaluateModel`), validation after
 * each epoch, the KD teacher during student training (lib/train), prediction and latency tables need. Lower layers
 * take a `MapPredictor` (or a `PredictorFactory`) and never know the engine; the experiment/CLI layer injects ONNX
 * Runtime (lib/export/forward_engine) where it is installed and this file's tfjs implementation elsewhere.
 */

/** A batch of NHWC float32 tensors: `data` holds shape[0]·shape[1]·shape[2]·shape[3] values in row-major order. */
export interface NhwcBatch {
  data: Float32Array;
  shape: [number, number, number, number];
}

export interface PredictorOutput {
  /** `[B,S,S,4]` main maps, channels pos, cos, sin, width */
  maps: NhwcBatch;
  /** the `featureLayer`'s activation `[B,h,w,C]`, when the predictor was made with one */
  features?: NhwcBatch;
}

export interface MapPredictor {
  /** what runs it, for reports: e.g. `onnxruntime-node 1.30.0 (cpu, 2 threads)`, `tfjs (wasm)` */
  readonly engine: string;
  /** S of the `[B,S,S,1]` input */
  readonly inputSize: number;
  /** the layer whose activation `predict` also returns as `features` (structured KD), if any */
  readonly featureLayer?: string;
  /** `[B,S,S,1]` normalised depth → maps `[B,S,S,4]` (+ features). Throws ShapeError on another input shape. */
  predict(x: NhwcBatch): Promise<PredictorOutput>;
}

/**
 * Makes a predictor for `model` at its current weights (the model's main output; `featureLayer` adds that layer's
 * activation). The predictor reflects the weights at the time of the call: call again after training changed them.
 * Predictors belong to whoever made the factory (it releases them); callers do not dispose them.
 */
export type PredictorFactory = (model: tf.LayersModel, opts?: { featureLayer?: string }) => Promise<MapPredictor>;

export function isMapPredictor(x: unknown): x is MapPredictor {
  return !!x && typeof (x as MapPredictor).predict === 'function' && typeof (x as MapPredictor).inputSize === 'number';
}

/** Throws ShapeError unless `x` is `[B,size,size,1]` with matching data length. */
export function checkPredictorInput(x: NhwcBatch, size: number, who: string): void {
  const [b, h, w, c] = x.shape;
  if (x.shape.length !== 4 || h !== size || w !== size || c !== 1 || !(b >= 1) || x.data.length !== b * h * w * c) {
    throw new ShapeError(`${who}: expected input [B,${size},${size},1] (normalised depth, ${size * size} values per image), got [${x.shape.join(',')}] with ${x.data.length} values`);
  }
}

/**
 * The tfjs implementation: `model.predict` on the active tfjs backend (the fallback where ONNX Runtime is not
 * installed, and the reference the ONNX path is tested against). Leaks no tensors.
 */
export function tfjsPredictor(model: tf.LayersModel, opts: { featureLayer?: string } = {}): MapPredictor {
  const size = model.inputs[0].shape[1];
  if (size == null || model.inputs[0].shape[2] !== size) throw new ShapeError(`model '${model.name}' has no fixed square input: [${model.inputs[0].shape}]`);
  let view = model.outputs.length === 1 ? model : tf.model({ inputs: model.inputs, outputs: model.outputs[0], name: `${model.name}_main` });
  if (opts.featureLayer) {
    let layer: tf.layers.Layer;
    try {
      layer = model.getLayer(opts.featureLayer);
    } catch {
      throw new ConfigError(`model '${model.name}' has no layer '${opts.featureLayer}' to read features from`);
    }
    view = tf.model({ inputs: model.inputs, outputs: [model.outputs[0], layer.output as tf.SymbolicTensor], name: `${model.name}_with_features` });
  }
  const engine = `tfjs (${tf.getBackend()})`;
  return {
    engine,
    inputSize: size,
    featureLayer: opts.featureLayer,
    async predict(x: NhwcBatch): Promise<PredictorOutput> {
      checkPredictorInput(x, size, model.name);
      const outs = tf.tidy(() => {
        const y = view.predict(tf.tensor4d(x.data, x.shape));
        return Array.isArray(y) ? y : [y];
      });
      try {
        const [maps, features] = await Promise.all(outs.map(toBatch));
        checkMaps(maps, x, model.name);
        return features ? { maps, features } : { maps };
      } finally {
        tf.dispose(outs);
      }
    },
  };
}

/** A PredictorFactory over `tfjsPredictor` (no resources to release). */
export const tfjsPredictorFactory: PredictorFactory = async (model, opts) => tfjsPredictor(model, opts);

async function toBatch(t: tf.Tensor): Promise<NhwcBatch> {
  if (t.rank !== 4) throw new ShapeError(`predictor output is [${t.shape}], expected a 4-D NHWC tensor`);
  return { data: (await t.data()) as Float32Array, shape: t.shape as NhwcBatch['shape'] };
}

/** Throws ShapeError unless `maps` is `[B,S,S,4]` for the input `x` `[B,S,S,1]`. */
export function checkMaps(maps: NhwcBatch, x: NhwcBatch, who: string): void {
  const [b, h, w] = x.shape;
  const s = maps.shape;
  if (s[0] !== b || s[1] !== h || s[2] !== w || s[3] !== MAP_CHANNELS.length) {
    throw new ShapeError(`${who}: output maps are [${s}], expected [${b},${h},${w},${MAP_CHANNELS.length}] like the input`);
  }
}

/** Stacks equally sized depth images (each `S·S` values) into one `[B,S,S,1]` batch. */
export function depthBatch(images: readonly { data: Float32Array; height: number; width: number }[], who = 'depth batch'): NhwcBatch {
  const { height: h, width: w } = images[0];
  const data = new Float32Array(images.length * h * w);
  images.forEach((im, i) => {
    if (im.height !== h || im.width !== w || im.data.length !== h * w) {
      throw new ShapeError(`${who}: image ${i} is ${im.height}x${im.width}, image 0 is ${h}x${w}`);
    }
    data.set(im.data, i * h * w);
  });
  return { data, shape: [images.length, h, w, 1] };
}
