import * as tf from '@tensorflow/tfjs';
import { OUTPUT_SIZE } from '../constants';
import { ConfigError } from '../errors';
import { buildGgcnn } from './ggcnn';
import { buildGgcnn2 } from './ggcnn2';
import { buildPspnet, PSPNET_INPUT_SIZE } from './pspnet';
import { RESNET_DEPTHS, ResNetDepth } from './resnet';
import { FEATURE_LAYER } from './views';
import { HEAD_BIASES, setPriorHeadBias, type HeadBias } from './map_heads';

// Re-exported so `import ... from 'lib/models/registry'` gives the whole model API (and registers every custom
// layer class with tfjs's serialization registry, which `tf.loadLayersModel` needs).
export { describeModel, modelSummary } from './describe';
export type { ModelDescription } from './describe';
export { assertInputSize } from './input_check';
export { featureModel, inferenceModel, FEATURE_LAYER } from './views';
export { pspnetParamCount, PSPNET_INPUT_SIZE } from './pspnet';
export { loadTorchWeightsFile } from './import_torch';
export { inferSemsegConfig, loadSemsegStateDict } from './import_semseg';
// every custom layer class registered, so models built here also load back from their files
import './custom_layers';

export type ModelName = 'ggcnn' | 'ggcnn2' | 'pspnet';
export const MODEL_NAMES: readonly ModelName[] = ['ggcnn', 'ggcnn2', 'pspnet'];

/**
 * What to build. Every model maps `[B,S,S,1]` normalised depth to `[B,S,S,4]` maps (pos, cos, sin, width).
 * Fields beyond `name` apply as noted; setting a PSPNet-only field for a GG-CNN is a ConfigError.
 */
export interface ModelConfig {
  name: ModelName;
  /** S, default 300. GG-CNN: a multiple of 12; GG-CNN2: a multiple of 4; PSPNet: 300 only (the report's assert) */
  inputSize?: number;
  /** PSPNet: ResNet depth, default 50 */
  resnetDepth?: ResNetDepth;
  /** PSPNet: channel width multiplier, default 1 (the real network); e.g. 0.25 for CPU */
  widthMultiplier?: number;
  /** PSPNet: add the aux head on layer3 → outputs `[main, aux]` (default false) */
  aux?: boolean;
  /** PSPNet: Dropout2d probability in the heads, default 0.1 */
  dropout?: number;
  /** PSPNet: channels of the class-logit conv feeding the four output convs (semseg's `classes`), default 4 */
  classes?: number;
  /**
   * how the four output convs' biases start (every model): `zeros` (default; ggcnn's and semseg's PyTorch init, what
   * every registered reference run used) or `prior`, the targets' background values (cos 1, the rest 0:
   * `setPriorHeadBias` says why)
   */
  headBias?: HeadBias;
  /** seed of the weight initialisers (default 1): same config + seed → same weights */
  seed?: number;
  /**
   * append the `head_features` map (FEATURE_LAYER) as the last output, for structured KD
   * (outputs `[main, features]` or `[main, aux, features]`); `featureModel(model)` is the alternative.
   */
  featureOutput?: boolean;
}

const DEFAULT_SEED = 1;

/**
 * Builds a model from its config (outputs: see ModelConfig). Throws ConfigError on unknown names or values and
 * ShapeError on an input size the architecture cannot map onto itself.
 * @example const model = buildModel({ name: 'pspnet', resnetDepth: 18, widthMultiplier: 0.25, aux: true });
 *          // model.outputs: [main [null,300,300,4], aux [null,300,300,4]]
 */
export function buildModel(cfg: ModelConfig): tf.LayersModel {
  const inputSize = cfg.inputSize ?? OUTPUT_SIZE;
  const seed = cfg.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(seed)) throw new ConfigError(`model seed must be an integer, got ${cfg.seed}`);
  if (cfg.headBias !== undefined && !HEAD_BIASES.includes(cfg.headBias)) throw new ConfigError(`headBias must be one of ${HEAD_BIASES.join(', ')}, got ${cfg.headBias}`);
  let model: tf.LayersModel;
  switch (cfg.name) {
    case 'ggcnn':
    case 'ggcnn2': {
      const pspOnly = (['resnetDepth', 'widthMultiplier', 'aux', 'dropout', 'classes'] as const).filter((k) => cfg[k] !== undefined);
      if (pspOnly.length) throw new ConfigError(`${cfg.name}: ${pspOnly.join(', ')} only apply to pspnet (GG-CNNs are built exactly as published)`);
      model = cfg.name === 'ggcnn' ? buildGgcnn({ inputSize, seed }) : buildGgcnn2({ inputSize, seed });
      break;
    }
    case 'pspnet': {
      const depth = cfg.resnetDepth ?? 50;
      if (!RESNET_DEPTHS.includes(depth)) throw new ConfigError(`pspnet: resnetDepth must be one of ${RESNET_DEPTHS.join(', ')}, got ${depth}`);
      const widthMultiplier = cfg.widthMultiplier ?? 1;
      if (!(widthMultiplier > 0 && widthMultiplier <= 4)) throw new ConfigError(`pspnet: widthMultiplier must be in (0, 4], got ${widthMultiplier}`);
      if (cfg.classes !== undefined && !(Number.isInteger(cfg.classes) && cfg.classes >= 1)) throw new ConfigError(`pspnet: classes must be a positive integer, got ${cfg.classes}`);
      model = buildPspnet({ depth, widthMultiplier, aux: cfg.aux ?? false, dropout: cfg.dropout ?? 0.1, classes: cfg.classes, seed, inputSize: cfg.inputSize ?? PSPNET_INPUT_SIZE });
      break;
    }
    default:
      throw new ConfigError(`unknown model '${(cfg as { name: unknown }).name}'; use one of ${MODEL_NAMES.join(', ')}`);
  }
  if (cfg.headBias === 'prior') setPriorHeadBias(model);
  if (cfg.featureOutput) {
    const features = model.getLayer(FEATURE_LAYER).output as tf.SymbolicTensor;
    model = tf.model({ inputs: model.inputs, outputs: [...model.outputs, features], name: model.name });
  }
  return model;
}
