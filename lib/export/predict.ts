import * as tf from '@tensorflow/tfjs';
import { OUTPUT_SIZE } from '../constants';
import { ShapeError } from '../errors';
import { detectGrasps, type DetectOptions } from '../eval/detect';
import { mapsFromTensor } from '../eval/metric';
import { postprocess, type ProcessedMaps } from '../eval/postprocess';
import type { Grasp, GraspMaps, Image2D } from '../types';
import { prepareDepthInput, toSourceGrasp, type InputFit, type PreparedInput } from './depth_input';

export interface PredictOptions {
  /** grasps returned, best first (default 3) */
  topK?: number;
  /** how a non-S×S image is fitted (default 'none': must be S×S) */
  fit?: InputFit;
  /** peak detection overrides (ggcnn defaults: min distance 20 px, quality threshold 0.2) */
  detect?: Omit<DetectOptions, 'maxGrasps'>;
  /** names the image in errors */
  source?: string;
  /**
   * default true: inpaint, fit and normalise the depth (metres). false: the image already is the network input
   * (S×S, e.g. ggcnn's normalised crop saved as .npy) and goes into the network unchanged.
   */
  preprocess?: boolean;
}

export interface Prediction {
  /** grasps in the source image's pixels, best first (at most topK; none if no quality peak passes the threshold) */
  grasps: Grasp[];
  /** the same grasps in the network's S×S frame */
  inputGrasps: Grasp[];
  prepared: PreparedInput;
  /** raw network maps, S×S each */
  maps: GraspMaps;
  processed: ProcessedMaps;
  /** milliseconds: input preparation, forward pass incl. download of the maps, postprocess + detection */
  timings: { prepareMs: number; forwardMs: number; postprocessMs: number; totalMs: number };
}

/**
 * The square input size S of a model `[null,S,S,1] → [null,S,S,4]`; OUTPUT_SIZE (300) when the model is fully
 * convolutional with free spatial dims. Throws ShapeError for a model that does not take one-channel images.
 */
export function modelInputSize(model: tf.LayersModel): number {
  const shape = model.inputs[0]?.shape;
  if (!shape || shape.length !== 4 || (shape[3] !== null && shape[3] !== 1)) {
    throw new ShapeError(`model input is [${shape}], expected [batch, S, S, 1] depth images`);
  }
  const [, h, w] = shape;
  if (h !== null && w !== null && h !== w) throw new ShapeError(`model input is ${h}x${w}; grasplab models take square images`);
  return h ?? w ?? OUTPUT_SIZE;
}

/**
 * Predicts grasps on one depth image (metres, any size `fit` accepts): inpaint + fit + normalise, forward pass
 * (`[1,S,S,1] → [1,S,S,4]`, first output if several), ggcnn post-processing and peak detection, then maps the grasps
 * back to source pixels. Leaks no tensors.
 * @example
 *   const { grasps } = await predictGrasps(model, (await readDepthFile('pcd0100d.tiff')).depth, { fit: 'center' });
 */
export async function predictGrasps(model: tf.LayersModel, depth: Image2D, opts: PredictOptions = {}): Promise<Prediction> {
  const t0 = performance.now();
  const size = modelInputSize(model);
  const prepared = opts.preprocess === false ? asNetworkInput(depth, size, opts.source) : prepareDepthInput(depth, size, opts.fit ?? 'none', opts.source);
  const t1 = performance.now();
  const y = tf.tidy(() => {
    const x = tf.tensor4d(prepared.input.data, [1, size, size, 1]);
    const out = model.predict(x);
    return (Array.isArray(out) ? out[0] : out) as tf.Tensor4D;
  });
  let maps: GraspMaps;
  try {
    if (y.rank !== 4 || y.shape[1] !== size || y.shape[2] !== size || y.shape[3] !== 4) {
      throw new ShapeError(`model output is [${y.shape}], expected [1,${size},${size},4] maps (pos, cos, sin, width)`);
    }
    [maps] = await mapsFromTensor(y);
  } finally {
    y.dispose();
  }
  const t2 = performance.now();
  const processed = postprocess(maps);
  const inputGrasps = detectGrasps(processed, { ...opts.detect, maxGrasps: opts.topK ?? 3 });
  const t3 = performance.now();
  return {
    grasps: inputGrasps.map((g) => toSourceGrasp(g, prepared.frame)),
    inputGrasps,
    prepared,
    maps,
    processed,
    timings: { prepareMs: t1 - t0, forwardMs: t2 - t1, postprocessMs: t3 - t2, totalMs: t3 - t0 },
  };
}

/** An S×S image taken as the network input as it is (no inpainting, fitting or normalisation). */
function asNetworkInput(img: Image2D, size: number, source = 'network input'): PreparedInput {
  if (img.height !== size || img.width !== size) {
    throw new ShapeError(`${source}: a network input must be ${size}x${size} (the model's input), got ${img.height}x${img.width}; without --no-preprocess any depth image size can be fitted`);
  }
  if (!img.data.every(Number.isFinite)) throw new ShapeError(`${source}: the network input holds NaN/Inf values (only depth images are inpainted)`);
  return { input: img, depth: img, frame: { top: 0, left: 0, winH: size, winW: size, size }, filled: 0 };
}

/** A grasp as the CLI prints it: plain numbers, angle also in degrees, the gripper terms spelled out. */
export interface GraspReport {
  rank: number;
  /** `[row, col]` in source pixels */
  center: [number, number];
  /** radians CCW from the image's +x axis, in [-π/2, π/2) */
  angle: number;
  angleDeg: number;
  /** jaw opening along the grasp axis, source pixels */
  opening: number;
  /** jaw (gripper plate) size across the axis, source pixels */
  jaw: number;
  quality: number;
}

export function graspReport(g: Grasp, rank: number): GraspReport {
  const r = (v: number, d = 2) => Number(v.toFixed(d));
  return {
    rank,
    center: [r(g.center[0]), r(g.center[1])],
    angle: r(g.angle, 4),
    angleDeg: r((g.angle * 180) / Math.PI, 1),
    opening: r(g.length),
    jaw: r(g.width),
    quality: r(g.quality ?? NaN, 4),
  };
}
