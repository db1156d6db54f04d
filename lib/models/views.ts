import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors';

/**
 * Weight-sharing views of a built model. A view is a new `tf.LayersModel` over the same layer objects, so it
 * computes exactly what the original computes, and training one trains the other.
 */

/** Layer name of the feature map used for structured KD in every grasplab model (see each builder). */
export const FEATURE_LAYER = 'head_features';

/**
 * The model with only its main output (output 0, `[B,S,S,4]`): drops the PSPNet aux head (training-only in semseg)
 * and any feature output. Returns `model` itself when it has a single output. The view's main output equals the
 * training model's main output exactly.
 */
export function inferenceModel(model: tf.LayersModel): tf.LayersModel {
  if (model.outputs.length === 1) return model;
  return tf.model({ inputs: model.inputs, outputs: model.outputs[0], name: `${model.name}_inference` });
}

/**
 * A view with outputs `[maps, features]`: the main `[B,S,S,4]` maps and the `head_features` layer's map
 * (PSPNet: cls 3×3 conv+BN+ReLU, [B,38,38,512w]; GG-CNN: convt3+ReLU, [B,S+1,S+1,32] (its 2×2 heads make it S);
 * GG-CNN2: last conv+ReLU, [B,S,S,16]). For structured (pair-wise) KD; the train code can equally tap
 * `{ layer: FEATURE_LAYER }`.
 */
export function featureModel(model: tf.LayersModel): tf.LayersModel {
  let layer: tf.layers.Layer;
  try {
    layer = model.getLayer(FEATURE_LAYER);
  } catch {
    throw new ConfigError(`model '${model.name}' has no '${FEATURE_LAYER}' layer; build it with lib/models/registry`);
  }
  const features = layer.output as tf.SymbolicTensor;
  return tf.model({ inputs: model.inputs, outputs: [model.outputs[0], features], name: `${model.name}_features` });
}
