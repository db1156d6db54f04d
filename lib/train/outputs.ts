import * as tf from '@tensorflow/tfjs';
import { ConfigError, ShapeError } from '../errors';
import { FEATURE_LAYER } from '../models/views';
import { MAP_CHANNELS } from '../types';

/**
 * How the training code finds a model's outputs. Conventions (brief, "Shared interfaces"):
 * - output 0 is always the main `[B,S,S,4]` map tensor;
 * - a model built with `aux: true` has a second `[B,S,S,4]` output, the aux head (PSPNet, training only);
 * - KD's pair-wise term needs a feature map. The caller may say where it is with a `FeatureTap`: `{ layer: name }`
 *   taps any top-level layer's output, `{ output: i }` uses an extra model output. Without a tap: an extra output
 *   whose layer name contains "feat" (lib/models `featureOutput: true` appends `head_features`), else the layer
 *   named FEATURE_LAYER (`head_features`, which every lib/models builder has). A tapped layer is exposed through a
 *   view model that shares the original's layers and weights, so training the view trains the model.
 */
export type FeatureTap = { layer: string } | { output: number };

/** A model plus the index of each role among its (possibly extended) outputs. */
export interface TrainingView {
  /** the model as given */
  model: tf.LayersModel;
  /** model or a weight-sharing view with the feature tap appended as an extra output */
  view: tf.LayersModel;
  main: number;
  aux?: number;
  features?: number;
}

const viewCache = new WeakMap<tf.LayersModel, Map<string, TrainingView>>();

/**
 * Resolves output roles of `model` (see the conventions above). `wantFeatures` asks for a feature output
 * (tap or auto-detected); it throws a ConfigError naming the model's outputs if none can be found.
 * Views are cached per model and tap, so calling this every step is cheap.
 */
export function trainingView(model: tf.LayersModel, opts: { wantFeatures?: boolean; tap?: FeatureTap } = {}): TrainingView {
  const key = JSON.stringify({ f: !!opts.wantFeatures, t: opts.tap ?? null });
  let perModel = viewCache.get(model);
  const cached = perModel?.get(key);
  if (cached) return cached;
  const v = resolveView(model, !!opts.wantFeatures, opts.tap);
  if (!perModel) viewCache.set(model, (perModel = new Map()));
  perModel.set(key, v);
  return v;
}

function resolveView(model: tf.LayersModel, wantFeatures: boolean, tap: FeatureTap | undefined): TrainingView {
  const names = model.outputs.map((o, i) => `${i}:${o.sourceLayer.name}[${o.shape}]`).join(', ');
  let view = model;
  let features: number | undefined;
  if (tap && 'layer' in tap) {
    let layer: tf.layers.Layer;
    try {
      layer = model.getLayer(tap.layer);
    } catch {
      throw new ConfigError(`feature tap: model '${model.name}' has no layer '${tap.layer}'`);
    }
    const out = layer.output;
    if (Array.isArray(out)) throw new ConfigError(`feature tap: layer '${tap.layer}' has several outputs; tap a single-output layer`);
    view = tf.model({ inputs: model.inputs, outputs: [...model.outputs, out], name: `${model.name}_train_view` });
    features = model.outputs.length;
  } else if (tap && 'output' in tap) {
    if (!(tap.output > 0 && tap.output < model.outputs.length)) {
      throw new ConfigError(`feature tap: output ${tap.output} does not exist or is the main output; outputs are ${names}`);
    }
    features = tap.output;
  } else if (wantFeatures) {
    const i = model.outputs.findIndex((o, k) => k > 0 && /feat/i.test(o.sourceLayer.name));
    if (i >= 0) features = i;
    else if (model.layers.some((l) => l.name === FEATURE_LAYER)) return resolveView(model, wantFeatures, { layer: FEATURE_LAYER });
    else {
      throw new ConfigError(
        `model '${model.name}' has no feature output (outputs: ${names}) and no '${FEATURE_LAYER}' layer; ` +
          `pass a feature tap like { layer: '<name>' }`,
      );
    }
  }
  const rest = model.outputs.map((_, i) => i).filter((i) => i !== 0 && i !== features);
  if (rest.length > 1) {
    throw new ConfigError(`model '${model.name}' has outputs ${names}; expected [main], [main, aux] (+ an optional feature output)`);
  }
  const aux = rest[0];
  for (const i of aux === undefined ? [0] : [0, aux]) checkMapOutput(model, i);
  return { model, view, main: 0, aux, features };
}

/** The layer whose activation is the view's feature output (`undefined` without one). */
export function featureLayerName(v: TrainingView): string | undefined {
  return v.features === undefined ? undefined : v.view.outputs[v.features].sourceLayer.name;
}

function checkMapOutput(model: tf.LayersModel, i: number): void {
  const s = model.outputs[i].shape;
  if (s.length !== 4 || s[3] !== MAP_CHANNELS.length) {
    throw new ShapeError(`model '${model.name}' output ${i} is [${s}]; grasp map outputs must be [B,H,W,${MAP_CHANNELS.length}]`);
  }
}

/**
 * The model restricted to its main output (for validation/inference), sharing layers and weights; the model itself
 * when it has one output. Cached per model.
 */
export function mainOutputModel(model: tf.LayersModel): tf.LayersModel {
  if (model.outputs.length === 1) return model;
  let m = mainCache.get(model);
  if (!m) {
    m = tf.model({ inputs: model.inputs, outputs: model.outputs[0], name: `${model.name}_main` });
    mainCache.set(model, m);
  }
  return m;
}
const mainCache = new WeakMap<tf.LayersModel, tf.LayersModel>();

/** Runs `view` on `x` and returns its outputs as a list (tfjs returns a bare tensor for one output). */
export function applyView(view: tf.LayersModel, x: tf.Tensor, training: boolean): tf.Tensor[] {
  const out = view.apply(x, { training }) as tf.Tensor | tf.Tensor[];
  return Array.isArray(out) ? out : [out];
}
