import * as tf from '@tensorflow/tfjs';
import { MAP_BACKGROUND, MAP_CHANNELS } from '../types';
import { InitName, makeInitializer } from './init';

/**
 * GG-CNN's four linear output convolutions (`pos_output`, `cos_output`, `sin_output`, `width_output`, each
 * Conv2d(C→1, kernel)) as ONE conv with four filters, named `outputName` (`maps` / `aux_maps`), channels in
 * MAP_CHANNELS order. [B,h,w,C] → [B,h−k+1,w−k+1,4].
 *
 * Why one conv: four 1-filter convs on GG-CNN's 301×301×32 map, their four input gradients summed, the split and
 * the concat took 36 % of a training step on wasm (profiled at batch 8: the filter gradients of the four alone
 * 0.6 s of 3.0 s); one 4-filter conv reads the input once. The values are the same function: each filter is
 * initialised exactly as its own PyTorch head would be (fan-in C·k·k, its own seed), and the PyTorch state-dict
 * keys `<prefix><ch>_output.weight|bias` load into filter `ch` (see `torchHeadModule` and import_torch.ts).
 */
export function mapHeads(x: tf.SymbolicTensor, opts: { kernel: number; init: InitName; seeds: () => number; prefix?: string; outputName: string }): tf.SymbolicTensor {
  const channels = x.shape[3] as number;
  const k = opts.kernel;
  const layer = tf.layers.conv2d({
    name: opts.outputName,
    filters: MAP_CHANNELS.length,
    kernelSize: k,
    padding: 'valid',
    // serialised for completeness; the per-head values below replace what it draws
    kernelInitializer: 'zeros',
  });
  const out = layer.apply(x) as tf.SymbolicTensor;
  const kernel = tf.tidy(() =>
    tf.concat(MAP_CHANNELS.map(() => makeInitializer(opts.init, opts.seeds()).apply([k, k, channels, 1]) as tf.Tensor), 3),
  );
  const bias = tf.zeros([MAP_CHANNELS.length]);
  layer.setWeights([kernel, bias]);
  tf.dispose([kernel, bias]);
  return out;
}

/** How the four output biases start: `zeros` (PyTorch-style, as ggcnn) or `prior` (the targets' background values). */
export type HeadBias = 'zeros' | 'prior';
export const HEAD_BIASES: readonly HeadBias[] = ['zeros', 'prior'];

/**
 * Starts every fused head of `model` (`maps`, `aux_maps`) at the targets' background (MAP_BACKGROUND: cos 1, the
 * rest 0), the usual "initialise the last layer's bias to the prior" of detection networks. Why: ggcnn's targets are
 * `cos 2θ = 1` almost everywhere, so a zero-bias network starts with a cos error of ~1 per pixel. Measured here
 * (README, sim-to-real): with zero biases GG-CNN sat on its constant-map plateau (pos loss ≈ 0.045) for the whole
 * reference budget; with the prior its pos loss fell from step ~300 of batch 8. The likely reason, not isolated:
 * Adam's second-moment estimates (β2 0.999, a memory of ~1,000 steps) keep the large early cos gradients and shrink
 * the later, small `pos` updates.
 * Only the biases change; the kernels are as drawn.
 */
export function setPriorHeadBias(model: tf.LayersModel): void {
  for (const layer of model.layers) {
    if (layer.name !== 'maps' && layer.name !== 'aux_maps') continue;
    const [kernel] = layer.getWeights();
    const bias = tf.tensor1d(MAP_CHANNELS.map((c) => MAP_BACKGROUND[c]));
    layer.setWeights([kernel, bias]);
    bias.dispose();
  }
}

/** The PyTorch module name of filter `channel` of the fused head layer `<prefix>maps`, e.g. ('aux_maps', 3) → `aux_width_output`. */
export function torchHeadName(layer: string, channel: number): string {
  return `${layer.slice(0, -'maps'.length)}${MAP_CHANNELS[channel]}_output`;
}

/**
 * Which fused head a PyTorch module name belongs to: `pos_output` → { layer: 'maps', channel: 0 },
 * `aux_width_output` → { layer: 'aux_maps', channel: 3 }; undefined for other modules.
 */
export function torchHeadModule(layerName: string): { layer: string; channel: number } | undefined {
  for (const [channel, name] of MAP_CHANNELS.entries()) {
    const suffix = `${name}_output`;
    if (layerName.endsWith(suffix)) return { layer: `${layerName.slice(0, -suffix.length)}maps`, channel };
  }
  return undefined;
}
