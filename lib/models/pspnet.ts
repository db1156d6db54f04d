import * as tf from '@tensorflow/tfjs';
import { OUTPUT_SIZE } from '../constants';
import { ConfigError, ShapeError } from '../errors';
import { AdaptiveAvgPool2D } from './adaptive_avg_pool';
import { Dropout2D } from './dropout2d';
import { SeedSequence } from './init';
import { InputSizeCheck } from './input_check';
import { FEATURE_LAYER } from './views';
import { mapHeads } from './map_heads';
import { ResizeBilinear } from './resize_bilinear';
import { ResNetDepth, resnetBackbone, resnetChannels, resnetParamCount, scaleChannels } from './resnet';
import { relu, torchBatchNorm, torchConv2d } from './torch_layers';

/**
 * PSPNet-ResNet for grasp maps, as in the weekly report (hszhao/semseg `model/pspnet.py` with three changes):
 *  1. `conv0`: a 1×1 conv 1→3 channels without bias in front of the ResNet (depth input, RGB-shaped backbone);
 *  2. four 1-channel output convs (`pos/cos/sin/width_output`, kernel 2, as GG-CNN's) after the class logits;
 *  3. the input must be 300×300 (the report asserts it; semseg's own `(H−1) % 8 == 0` assert is dropped since 300
 *     fails it).
 * Graph (300×300, output stride 8 → 38×38 maps):
 *   conv0 → ResNet (deep stem; layer3 dil 2, layer4 dil 4) → PPM: for bins 1,2,3,6 AdaptiveAvgPool → 1×1 conv
 *   (C4→C4/4, no bias) → BN → ReLU → bilinear (align_corners) back to 38; concat with layer4 (2·C4 channels)
 *   → cls: 3×3 conv (→512w, no bias) → BN → ReLU [`head_features`] → Dropout2d → 1×1 conv (→ classes)
 *   → bilinear (align_corners) to **301×301** → the four 2×2 'valid' output convs → 300×300 → concat `maps` [B,300,300,4].
 *   The report upsampled to 300 and used kernel_size=2 convs, which gives 299×299; upsampling to 301 keeps its
 *   kernel-2 heads and lands exactly on the input size, like GG-CNN's 301 → 300.
 * Aux head (`aux: true`, semseg's training-only head on layer3): 3×3 conv (→256w, no bias) → BN → ReLU → Dropout2d
 *   → 1×1 conv (→ classes) → bilinear to 301 → its own four output convs (`aux_pos_output`…) → `aux_maps`
 *   [B,300,300,4]; the model's outputs are then `[maps, aux_maps]`; `inferenceModel` drops the aux output.
 * Dropout2d (whole channels, p = `dropout`, default 0.1) is dropout2d.ts's seeded layer (reproducible runs).
 * For R50/R101 this is semseg's PSPNet module for module (deep stem, dilation, PPM, cls/aux heads, channel counts,
 * dropout): a PyTorch twin written with semseg's code and names (../shared/reference/pspnet_twin) has the same
 * parameter count and its state dict reproduces its maps to 3e-7 through `import_semseg.ts`.
 */
export interface PspnetOptions {
  depth: ResNetDepth;
  /** scales every channel count (1 = the real PSPNet-ResNet; 0.25 etc. for CPU) */
  widthMultiplier: number;
  aux: boolean;
  /** Dropout2d probability in the cls and aux heads (semseg: 0.1) */
  dropout: number;
  /** channels of the class-logit conv that feeds the four output convs (default 4: one per map) */
  classes?: number;
  seed: number;
  /** must be 300 */
  inputSize?: number;
}

/** PSPNet's input size (the report's assert). */
export const PSPNET_INPUT_SIZE = OUTPUT_SIZE;
/** Pyramid pooling bins (semseg `bins=(1, 2, 3, 6)`). */
export const PSP_BINS = [1, 2, 3, 6] as const;
const DEFAULT_CLASSES = 4;
const HEAD_CHANNELS = 512;
const AUX_CHANNELS = 256;

type ST = tf.SymbolicTensor;

export function buildPspnet(opts: PspnetOptions): tf.LayersModel {
  const size = opts.inputSize ?? PSPNET_INPUT_SIZE;
  if (size !== PSPNET_INPUT_SIZE) {
    throw new ShapeError(`pspnet: input must be ${PSPNET_INPUT_SIZE}x${PSPNET_INPUT_SIZE} (the report asserts h == w == 300), got inputSize ${size}`);
  }
  const w = opts.widthMultiplier;
  const classes = opts.classes ?? DEFAULT_CLASSES;
  if (!(opts.dropout >= 0 && opts.dropout < 1)) throw new ConfigError(`pspnet: dropout must be in [0, 1), got ${opts.dropout}`);
  const seeds = new SeedSequence(opts.seed);
  const init = 'heNormalFanOut' as const;

  const input = tf.input({ shape: [size, size, 1], name: 'depth' });
  let x = new InputSizeCheck({ name: 'input_size_check', size, channels: 1, who: 'pspnet' }).apply(input) as ST;
  x = torchConv2d(x, { name: 'conv0', filters: 3, kernel: 1, bias: false, init: 'glorotUniform', seed: seeds.next() });
  const { layer3, layer4 } = resnetBackbone(x, { depth: opts.depth, widthMultiplier: w, dilated: true, seeds });
  const [, fh, fw] = layer4.shape as number[];

  // pyramid pooling module
  const c4 = layer4.shape[3] as number;
  const reduction = Math.floor(c4 / PSP_BINS.length);
  const pyramid: ST[] = [layer4];
  PSP_BINS.forEach((bin, i) => {
    let p = new AdaptiveAvgPool2D({ name: `ppm_${i}_pool`, bins: bin }).apply(layer4) as ST;
    p = torchConv2d(p, { name: `ppm_${i}_conv`, filters: reduction, kernel: 1, bias: false, init, seed: seeds.next() });
    p = relu(torchBatchNorm(p, `ppm_${i}_bn`), `ppm_${i}_relu`);
    pyramid.push(new ResizeBilinear({ name: `ppm_${i}_upsample`, height: fh, width: fw }).apply(p) as ST);
  });
  const ppm = tf.layers.concatenate({ name: 'ppm_concat', axis: -1 }).apply(pyramid) as ST;

  const head = (
    from: ST,
    prefix: string,
    channels: number,
    featureName: string,
  ): { maps: ST; features: ST } => {
    let h = torchConv2d(from, { name: `${prefix}_conv`, filters: channels, kernel: 3, padding: 1, bias: false, init, seed: seeds.next() });
    const features = relu(torchBatchNorm(h, `${prefix}_bn`), featureName);
    h = features;
    if (opts.dropout > 0) h = new Dropout2D({ name: `${prefix}_dropout`, rate: opts.dropout, seed: seeds.next() }).apply(h) as ST;
    // semseg leaves the classifier at PyTorch's default init (see init.ts: He init here starts with a loss near 50);
    // the report's four output convs are plain nn.Conv2d too (with glorot there the first epoch's mean loss was 0.71, not 0.20)
    h = torchConv2d(h, { name: `${prefix}_logits`, filters: classes, kernel: 1, init: 'torchDefault', seed: seeds.next() });
    // to input+1 so the 2×2 output convs give exactly the input size
    h = new ResizeBilinear({ name: `${prefix}_upsample`, height: size + 1, width: size + 1 }).apply(h) as ST;
    const outPrefix = prefix === 'cls' ? '' : `${prefix}_`;
    const maps = mapHeads(h, { kernel: 2, init: 'torchDefault', seeds: () => seeds.next(), prefix: outPrefix, outputName: `${outPrefix}maps` });
    return { maps, features };
  };
  const main = head(ppm, 'cls', scaleChannels(HEAD_CHANNELS, w), FEATURE_LAYER);
  const outputs: ST[] = [main.maps];
  if (opts.aux) outputs.push(head(layer3, 'aux', scaleChannels(AUX_CHANNELS, w), 'aux_relu').maps);
  return tf.model({ inputs: input, outputs: outputs.length === 1 ? outputs[0] : outputs, name: pspnetName(opts) });
}

/** e.g. `pspnet_r50_w1`, `pspnet_r18_w0_25_aux`. */
export function pspnetName(opts: Pick<PspnetOptions, 'depth' | 'widthMultiplier' | 'aux'>): string {
  return `pspnet_r${opts.depth}_w${String(opts.widthMultiplier).replace('.', '_')}${opts.aux ? '_aux' : ''}`;
}

/**
 * PSPNet parameters from the configuration alone (building a full-width R101 takes long and ~260 MB):
 * `trainable` as PyTorch counts parameters (conv weights/biases, BN γ,β), `nonTrainable` the BN running stats.
 * Equals `describeModel(buildModel(cfg))` (tested on small widths). Width 1, R50, no aux: 46,707,723
 * (reference-methods §3: ≈46.7 M; its count uses classes = 4 with no extra output convs and lists conv0 as 6; ours
 * has conv0 = 3 (1×1, 1→3, no bias) and adds the four 2×2 output convs, 4×(4·2·2+1) = 68).
 */
export function pspnetParamCount(opts: Pick<PspnetOptions, 'depth' | 'widthMultiplier' | 'aux' | 'classes'>): { trainable: number; nonTrainable: number } {
  const w = opts.widthMultiplier;
  const classes = opts.classes ?? DEFAULT_CLASSES;
  const backbone = resnetParamCount(opts.depth, w, true);
  let trainable = 3 + backbone.trainable; // conv0: 1×1×1×3, no bias
  let nonTrainable = backbone.nonTrainable;
  const bn = (c: number) => {
    trainable += 2 * c;
    nonTrainable += 2 * c;
  };
  const { layer3: c3, layer4: c4 } = resnetChannels(opts.depth, w);
  const reduction = Math.floor(c4 / PSP_BINS.length);
  for (let i = 0; i < PSP_BINS.length; i++) {
    trainable += c4 * reduction;
    bn(reduction);
  }
  const headParams = (cin: number, mid: number) => {
    trainable += cin * mid * 9;
    bn(mid);
    trainable += mid * classes + classes; // logits 1×1 with bias
    trainable += 4 * (classes * 2 * 2 + 1); // four 2×2 output convs with bias
  };
  headParams(c4 + reduction * PSP_BINS.length, scaleChannels(HEAD_CHANNELS, w));
  if (opts.aux) headParams(c3, scaleChannels(AUX_CHANNELS, w));
  return { trainable, nonTrainable };
}
