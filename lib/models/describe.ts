import * as tf from '@tensorflow/tfjs';

/** Size and cost of a model. */
export interface ModelDescription {
  /** parameters as PyTorch counts them: trainable weights (conv/dense kernels and biases, BN γ and β) */
  params: number;
  /** BN moving mean/variance (stored and exported, not trained) */
  nonTrainableParams: number;
  /**
   * FLOPs of one forward pass on ONE image of the model's input size (e.g. 1×300×300×1): 2 × the multiply-adds of
   * every Conv2D / Conv2DTranspose / dilated conv / Dense layer (bias adds, BN, ReLU, pooling, resizing and
   * concatenation are not counted; they are a few % of the convs). Dilated convs are counted as the dilated conv
   * itself, not its space-to-batch padding.
   */
  flops: number;
  /** multiply-adds (flops / 2) */
  macs: number;
}

/** Parameters and FLOPs of `model` (see ModelDescription). */
export function describeModel(model: tf.LayersModel): ModelDescription {
  let params = 0;
  for (const w of model.trainableWeights) params += shapeSize(w.shape);
  let nonTrainableParams = 0;
  for (const w of model.nonTrainableWeights) nonTrainableParams += shapeSize(w.shape);
  let macs = 0;
  for (const layer of model.layers) macs += layerMacs(layer);
  return { params, nonTrainableParams, flops: 2 * macs, macs };
}

/** Multiply-adds of one application of `layer` to one image (0 for layers without a kernel). */
export function layerMacs(layer: tf.layers.Layer): number {
  const cls = layer.getClassName();
  const kernel = layer.weights.find((w) => w.originalName.endsWith('/kernel'));
  if (!kernel) return 0;
  const k = kernel.shape as number[];
  const node = layer.inboundNodes[0];
  const inShape = node.inputTensors[0].shape;
  const outShape = node.outputTensors[0].shape;
  switch (cls) {
    case 'Conv2D':
    case 'GrasplabDilatedConv2D':
      // every output pixel: kh·kw·inC multiply-adds per output channel; kernel [kh,kw,inC,outC]
      return (outShape[1] as number) * (outShape[2] as number) * k[0] * k[1] * k[2] * k[3];
    case 'Conv2DTranspose':
      // every INPUT pixel scatters kh·kw·outC values per input channel; kernel [kh,kw,outC,inC]
      return (inShape[1] as number) * (inShape[2] as number) * k[0] * k[1] * k[2] * k[3];
    case 'Dense': {
      const positions = inShape.slice(1, -1).reduce<number>((a, b) => a * (b as number), 1);
      return positions * k[0] * k[1];
    }
    default:
      return 0;
  }
}

function shapeSize(shape: readonly (number | null)[]): number {
  return shape.reduce<number>((a, b) => a * (b as number), 1);
}

/**
 * A one-line-per-layer text summary with output shapes, parameters and MFLOPs (for notebooks; `model.summary()`
 * prints to the console and has no FLOPs).
 */
export function modelSummary(model: tf.LayersModel): string {
  const rows = model.layers.map((l) => {
    const out = l.outputShape;
    const shape = Array.isArray(out[0]) ? (out as tf.Shape[]).map((s) => `[${s.slice(1)}]`).join(' ') : `[${(out as tf.Shape).slice(1)}]`;
    const p = l.countParams();
    const mf = (2 * layerMacs(l)) / 1e6;
    return `${l.name.padEnd(28)} ${l.getClassName().padEnd(26)} ${shape.padEnd(18)} ${String(p).padStart(10)} ${mf ? mf.toFixed(1).padStart(9) : ''.padStart(9)}`;
  });
  const d = describeModel(model);
  return [
    `${'layer'.padEnd(28)} ${'class'.padEnd(26)} ${'output'.padEnd(18)} ${'params'.padStart(10)} ${'MFLOPs'.padStart(9)}`,
    ...rows,
    `${model.name}: ${d.params.toLocaleString('en-US')} trainable + ${d.nonTrainableParams.toLocaleString('en-US')} BN statistics, ${(d.flops / 1e9).toFixed(3)} GFLOPs per image`,
  ].join('\n');
}
