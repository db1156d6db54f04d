import * as tf from '@tensorflow/tfjs';
import { ConfigError, ShapeError, TrainingDivergedError } from '../errors';
import type { MapPredictor } from '../models/predictor';
import { MAP_CHANNELS } from '../types';
import { distillLoss, type DistillOptions } from './distill';
import { graspLossVector, type GraspLossKind } from './losses';
import { applyView, featureLayerName, trainingView, type FeatureTap, type TrainingView } from './outputs';

/** What a train step needs from a batch (lib/data/loader's `Batch` fits). The caller keeps ownership. */
export interface TrainBatch {
  /** `[B,S,S,1]` normalised depth */
  x: tf.Tensor4D;
  /** `[B,S,S,4]` target maps */
  y: tf.Tensor4D;
}

/** Knowledge distillation in a step: λs and options of `distillLoss`, plus where the feature maps are. */
export interface KdStepOptions extends DistillOptions {
  /** student feature map for the pair-wise term (see outputs.ts for the default) */
  studentFeatures?: FeatureTap;
  /** teacher feature map for the pair-wise term */
  teacherFeatures?: FeatureTap;
}

/** Default KD when a teacher is given without `kd`: pixel-wise only, λ_pi = 1. */
export const DEFAULT_KD: KdStepOptions = { pixel: 1, pair: 0 };
/** PSPNet's aux loss weight (semseg `aux_weight: 0.4`). */
export const DEFAULT_AUX_WEIGHT = 0.4;

export interface StepOptions {
  /** default 'mse' (GG-CNN); 'smoothL1' as GR-ConvNet */
  lossKind?: GraspLossKind;
  /** weight of the aux head's loss for 2-output models, `loss = main + auxWeight·aux`; default 0.4 */
  auxWeight?: number;
  /**
   * KD teacher, frozen: run in inference mode (`training: false`, so BN uses its moving statistics and leaves them
   * alone, dropout is off) on the same batch `x`, outside the gradient tape, and none of its weights is updated.
   */
  teacher?: tf.LayersModel;
  /**
   * Runs the teacher's forward pass instead of `teacher.apply` — a predictor of `teacher` at its weights (e.g. ONNX
   * Runtime, injected by the experiment layer; lib/models/predictor). With the pair-wise term on, its `featureLayer`
   * must be the teacher's feature tap (`teacherFeatureLayer`).
   */
  teacherForward?: MapPredictor;
  /** KD weights and feature taps; default DEFAULT_KD when `teacher` is set */
  kd?: KdStepOptions;
  /** global step number, used in error messages */
  step?: number;
  /**
   * Compute the loss in training mode but take no gradient and leave the weights alone (BN statistics still move, as
   * in any training-mode forward). For GRASPLAB_DRY_RUN with models whose training step cannot fit the backend's memory
   * (lib/models/profile_memory.ts): every other part of a run still executes at the real model size.
   */
  forwardOnly?: boolean;
}

/** Loss terms of one step as plain numbers. Map parts are of the main output against the targets. */
export interface StepParts {
  pos: number;
  cos: number;
  sin: number;
  width: number;
  /** task loss of the main output (= pos + cos + sin + width) */
  main: number;
  /** task loss of the aux output (unweighted), for 2-output models */
  aux?: number;
  /** unweighted pixel-wise KD term, when a teacher is used */
  kdPixel?: number;
  /** unweighted pair-wise KD term, when a teacher is used */
  kdPair?: number;
}

export interface StepResult {
  /** the minimised total: main + auxWeight·aux + λ_pi·kdPixel + λ_pa·kdPair */
  loss: number;
  parts: StepParts;
}

/**
 * One optimiser step on `batch`: forward in training mode, loss, gradients of the model's trainable weights,
 * update. Returns plain numbers (one read-back per step) and leaves no tensors behind.
 *
 * - Training mode: `model.apply(x, { training: true })` inside `tf.variableGrads`. In tfjs-layers 4.22 this both
 *   normalises with batch statistics and updates BatchNormalization's moving mean/variance (the layer writes them
 *   imperatively when called with `training: true`; there is no deferred "update op" as in Keras), and enables dropout.
 *   Only `model.trainableWeights` are differentiated, so the moving statistics and a teacher's weights are never
 *   touched by the optimiser.
 * - A model with two outputs `[main, aux]` is trained on `main + auxWeight·aux`.
 * - A NaN/±Inf loss throws TrainingDivergedError naming the step and the loss parts, before the update is applied.
 *
 * @example const r = await trainStep(model, tf.train.adam(1e-3), batch); console.log(r.loss, r.parts.pos);
 */
export async function trainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  batch: TrainBatch,
  opts: StepOptions = {},
): Promise<StepResult> {
  const { x, y } = batch;
  checkBatch(x, y);
  const kind = opts.lossKind ?? 'mse';
  const auxWeight = opts.auxWeight ?? DEFAULT_AUX_WEIGHT;
  if (!(Number.isFinite(auxWeight) && auxWeight >= 0)) throw new ConfigError(`auxWeight must be a finite number ≥ 0, got ${auxWeight}`);
  if (opts.kd && !opts.teacher) throw new ConfigError('kd options were given without a teacher model');
  const kd = opts.teacher ? (opts.kd ?? DEFAULT_KD) : undefined;
  const wantPair = !!kd && kd.pair > 0;

  const sv = trainingView(model, { wantFeatures: wantPair, tap: kd?.studentFeatures });
  const tv = opts.teacher ? trainingView(opts.teacher, { wantFeatures: wantPair, tap: kd?.teacherFeatures }) : undefined;

  // Teacher outputs are constants for the student's loss: computing them outside the tape saves recording its graph.
  let teacherOut: tf.Tensor[] = [];
  if (tv && opts.teacherForward) teacherOut = await teacherOutputsVia(opts.teacherForward, tv, x, wantPair);
  else if (tv) {
    teacherOut = tf.tidy(() => {
      const outs = applyView(tv.view, x, false);
      return wantPair ? [outs[tv.main], outs[tv.features!]] : [outs[tv.main]];
    });
  }

  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  if (vars.length === 0) throw new ConfigError(`model '${model.name}' has no trainable weights`);
  checkOptimizerOwner(optimizer, model, vars);

  // Layout of `report`: [total, main, (aux), (kdPixel, kdPair), pos, cos, sin, width].
  let report: tf.Tensor1D | undefined;
  let grads: tf.NamedTensorMap = {};
  let value: tf.Scalar | undefined;
  try {
    const lossFn = () => {
      const outs = applyView(sv.view, x, true);
      const mainMaps = outs[sv.main] as tf.Tensor4D;
      const mapVec = graspLossVector(mainMaps, y, kind);
      const main = tf.sum(mapVec) as tf.Scalar;
      let total: tf.Scalar = main;
      const extra: tf.Scalar[] = [];
      if (sv.aux !== undefined) {
        const aux = tf.sum(graspLossVector(outs[sv.aux] as tf.Tensor4D, y, kind)) as tf.Scalar;
        total = tf.add(total, tf.mul(auxWeight, aux));
        extra.push(aux);
      }
      if (kd) {
        const d = distillLoss(
          { maps: mainMaps, features: wantPair ? (outs[sv.features!] as tf.Tensor4D) : undefined },
          { maps: teacherOut[0] as tf.Tensor4D, features: wantPair ? (teacherOut[1] as tf.Tensor4D) : undefined },
          kd,
        );
        total = tf.add(total, d.loss);
        extra.push(d.parts.pixel, d.parts.pair);
      }
      report = tf.keep(tf.concat([tf.stack([total, main, ...extra]), mapVec]) as tf.Tensor1D);
      return total;
    };
    if (opts.forwardOnly) value = tf.tidy(lossFn);
    else ({ value, grads } = tf.variableGrads(lossFn, vars));
  } finally {
    tf.dispose(teacherOut);
  }

  try {
    const r = await report!.data();
    const result = unpackReport(r, sv.aux !== undefined, !!kd);
    if (!Number.isFinite(result.loss)) {
      const where = opts.step !== undefined ? `step ${opts.step}` : 'a train step';
      throw new TrainingDivergedError(
        `loss became ${result.loss} at ${where}; parts: ${formatParts(result.parts)}. ` +
          'Lower the learning rate, check the inputs for NaN, or resume from the last checkpoint.',
      );
    }
    if (opts.forwardOnly) return result;
    // Adam/momentum keep their state by position in the gradient map, so every variable must be present every
    // step (a variable not on the loss path gets no gradient from tfjs): fill the gaps with zeros.
    const complete: tf.NamedTensorMap = {};
    for (const v of vars) complete[v.name] = grads[v.name] ?? tf.zerosLike(v);
    optimizer.applyGradients(complete);
    tf.dispose(Object.values(complete));
    return result;
  } finally {
    tf.dispose([report!, value!]);
    tf.dispose(Object.values(grads));
  }
}

/** The teacher's maps (and features) through a predictor, as tensors like `applyView` would give. */
async function teacherOutputsVia(p: MapPredictor, tv: TrainingView, x: tf.Tensor4D, wantPair: boolean): Promise<tf.Tensor[]> {
  const layer = wantPair ? featureLayerName(tv) : undefined;
  if (wantPair && p.featureLayer !== layer) {
    throw new ConfigError(`KD teacher predictor returns features of '${p.featureLayer ?? 'no layer'}', but the pair-wise term reads '${layer}'`);
  }
  const out = await p.predict({ data: (await x.data()) as Float32Array, shape: x.shape });
  const maps = tf.tensor4d(out.maps.data, out.maps.shape);
  if (!wantPair) return [maps];
  if (!out.features) {
    maps.dispose();
    throw new ConfigError(`KD teacher predictor (${p.engine}) returned no features for the pair-wise term`);
  }
  return [maps, tf.tensor4d(out.features.data, out.features.shape)];
}

/** The variables each optimiser has stepped, by identity: Adam/momentum state is positional, so it must not be shared. */
const optimizerOwners = new WeakMap<tf.Optimizer, string>();

function checkOptimizerOwner(optimizer: tf.Optimizer, model: tf.LayersModel, vars: tf.Variable[]): void {
  const key = vars.map((v) => v.name).join('|');
  const owner = optimizerOwners.get(optimizer);
  if (owner === undefined) optimizerOwners.set(optimizer, key);
  else if (owner !== key) {
    throw new ConfigError(`this optimizer already trains another set of weights; create one optimizer per model (model '${model.name}')`);
  }
}

function unpackReport(r: ArrayLike<number>, hasAux: boolean, hasKd: boolean): StepResult {
  let i = 2;
  const parts: StepParts = { pos: 0, cos: 0, sin: 0, width: 0, main: r[1] };
  if (hasAux) parts.aux = r[i++];
  if (hasKd) {
    parts.kdPixel = r[i++];
    parts.kdPair = r[i++];
  }
  MAP_CHANNELS.forEach((c, k) => (parts[c] = r[i + k]));
  return { loss: r[0], parts };
}

/** `pos=0.0123 cos=...` for messages and logs. */
export function formatParts(parts: StepParts | Record<string, number | undefined>): string {
  return Object.entries(parts)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${formatNumber(v as number)}`)
    .join(' ');
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(2);
}

function checkBatch(x: tf.Tensor, y: tf.Tensor): void {
  if (x.rank !== 4 || y.rank !== 4 || y.shape[3] !== MAP_CHANNELS.length || x.shape[0] !== y.shape[0]) {
    throw new ShapeError(`train batch: expected x [B,H,W,C] and y [B,H,W,${MAP_CHANNELS.length}], got x [${x.shape}] and y [${y.shape}]`);
  }
}
