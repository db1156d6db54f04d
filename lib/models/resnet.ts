import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors';
import { pyRound } from '../py_math';
import { SeedSequence } from './init';
import { relu, torchBatchNorm, torchConv2d, torchMaxPoolAfterRelu } from './torch_layers';

/**
 * ResNet backbones for PSPNet, as in hszhao/semseg `model/resnet.py` + `model/pspnet.py`:
 * - **deep stem** (semseg `deep_base=True`, the stem of its pretrained PSPNet backbones and the one the reference
 *   parameter counts use): conv3×3(3→64, s2) BN ReLU, conv3×3(64→64) BN ReLU, conv3×3(64→128) BN ReLU,
 *   maxpool(3, s2, p1); then inplanes = 128;
 * - bottleneck blocks (R50/R101) with the stride on the 3×3 conv; basic blocks (R18/R34);
 * - `dilated: true` = output stride 8 as PSPNet: layer3 stride 1 dilation 2, layer4 stride 1 dilation 4 on every 3×3
 *   conv of the layer (semseg sets conv2's dilation in every block; for basic blocks both 3×3 convs are dilated, as
 *   the structured-KD ResNet-18 PSPNet does) and stride 1 on the downsample 1×1.
 * Convs have no bias; BN is PyTorch's (eps 1e-5, momentum 0.1). 300 → 150 (conv1) → 75 (maxpool) → 38 (layer2).
 * Width multiplier w scales every channel count c to max(MIN_CHANNELS, round(c·w)) (w = 1: the real ResNet).
 */
export type ResNetDepth = 18 | 34 | 50 | 101;

export const RESNET_DEPTHS: readonly ResNetDepth[] = [18, 34, 50, 101];

/** Blocks per layer (torchvision / semseg). */
export const RESNET_BLOCKS: Record<ResNetDepth, [number, number, number, number]> = {
  18: [2, 2, 2, 2],
  34: [3, 4, 6, 3],
  50: [3, 4, 6, 3],
  101: [3, 4, 23, 3],
};

const BOTTLENECK: Record<ResNetDepth, boolean> = { 18: false, 34: false, 50: true, 101: true };
const STEM_CHANNELS = [64, 64, 128];
const PLANES = [64, 128, 256, 512];
/** Smallest channel count a width multiplier can produce (a 1-channel BN/ReLU stack trains poorly). */
export const MIN_CHANNELS = 4;

/**
 * Channel count `c` scaled by the width multiplier: `max(4, round(c·w))` with Python's round (ties to even), as the
 * width-multiplied PyTorch twins compute it (../shared/reference/pspnet_twin), so their state dicts fit.
 */
export function scaleChannels(c: number, widthMultiplier: number): number {
  return Math.max(MIN_CHANNELS, pyRound(c * widthMultiplier));
}

/** Channels out of a block of the given depth for base width `planes` (×4 for bottlenecks). */
export function blockOutChannels(depth: ResNetDepth, planes: number): number {
  return BOTTLENECK[depth] ? planes * 4 : planes;
}

export interface ResNetOptions {
  depth: ResNetDepth;
  widthMultiplier: number;
  /** output stride 8 with dilated layer3/layer4 (PSPNet) instead of 32 */
  dilated: boolean;
  seeds: SeedSequence;
}

export interface ResNetFeatures {
  /** output of layer3 [B,h,w,C3] (aux head input) */
  layer3: tf.SymbolicTensor;
  /** output of layer4 [B,h,w,C4] (pyramid pooling input) */
  layer4: tf.SymbolicTensor;
}

type ST = tf.SymbolicTensor;

/** Builds the backbone on a [B,H,W,3] tensor. Layer names: `layer0_*` (stem), `layer{1-4}_{block}_{conv1,bn1,…}`. */
export function resnetBackbone(input: ST, opts: ResNetOptions): ResNetFeatures {
  if (!RESNET_DEPTHS.includes(opts.depth)) throw new ConfigError(`resnetDepth must be one of ${RESNET_DEPTHS.join(', ')}, got ${opts.depth}`);
  const w = opts.widthMultiplier;
  const init = 'heNormalFanOut' as const;
  const conv = (x: ST, name: string, filters: number, kernel: number, stride = 1, dilation = 1) =>
    torchConv2d(x, { name, filters, kernel, stride, padding: kernel === 1 ? 0 : dilation, dilation, bias: false, init, seed: opts.seeds.next() });

  // deep stem (semseg layer0)
  let x = input;
  STEM_CHANNELS.forEach((c, i) => {
    x = conv(x, `layer0_conv${i + 1}`, scaleChannels(c, w), 3, i === 0 ? 2 : 1);
    x = torchBatchNorm(x, `layer0_bn${i + 1}`);
    x = relu(x, `layer0_relu${i + 1}`);
  });
  x = torchMaxPoolAfterRelu(x, { name: 'layer0_maxpool', kernel: 3, stride: 2, padding: 1 });

  let inplanes = scaleChannels(STEM_CHANNELS[2], w);
  const strides = opts.dilated ? [1, 2, 1, 1] : [1, 2, 2, 2];
  const dilations = opts.dilated ? [1, 1, 2, 4] : [1, 1, 1, 1];
  const outs: ST[] = [];
  for (let l = 0; l < 4; l++) {
    const planes = scaleChannels(PLANES[l], w);
    const outC = blockOutChannels(opts.depth, planes);
    for (let b = 0; b < RESNET_BLOCKS[opts.depth][l]; b++) {
      const p = `layer${l + 1}_${b}`;
      const stride = b === 0 ? strides[l] : 1;
      const d = dilations[l];
      const shortcut =
        b === 0 && (stride !== 1 || inplanes !== outC)
          ? torchBatchNorm(conv(x, `${p}_downsample_0`, outC, 1, stride), `${p}_downsample_1`)
          : x;
      let y: ST;
      if (BOTTLENECK[opts.depth]) {
        y = relu(torchBatchNorm(conv(x, `${p}_conv1`, planes, 1), `${p}_bn1`), `${p}_relu1`);
        y = relu(torchBatchNorm(conv(y, `${p}_conv2`, planes, 3, stride, d), `${p}_bn2`), `${p}_relu2`);
        y = torchBatchNorm(conv(y, `${p}_conv3`, outC, 1), `${p}_bn3`);
      } else {
        y = relu(torchBatchNorm(conv(x, `${p}_conv1`, planes, 3, stride, d), `${p}_bn1`), `${p}_relu1`);
        y = torchBatchNorm(conv(y, `${p}_conv2`, planes, 3, 1, d), `${p}_bn2`);
      }
      x = relu(tf.layers.add({ name: `${p}_add` }).apply([y, shortcut]) as ST, `${p}_relu`);
      inplanes = outC;
    }
    outs.push(x);
  }
  return { layer3: outs[2], layer4: outs[3] };
}

/** Channels of layer3 and layer4 outputs. */
export function resnetChannels(depth: ResNetDepth, widthMultiplier: number): { layer3: number; layer4: number } {
  return {
    layer3: blockOutChannels(depth, scaleChannels(PLANES[2], widthMultiplier)),
    layer4: blockOutChannels(depth, scaleChannels(PLANES[3], widthMultiplier)),
  };
}

/**
 * Parameters of the backbone counted from its definition (not by building it): `trainable` as PyTorch's
 * `sum(p.numel() for p in parameters())` (conv weights + BN γ,β), `nonTrainable` the BN running mean/var.
 * Width 1, no fc: R50 23,631,808 and R101 42,623,936 (reference-methods §3).
 */
export function resnetParamCount(depth: ResNetDepth, widthMultiplier: number, dilated = true): { trainable: number; nonTrainable: number } {
  let trainable = 0;
  let nonTrainable = 0;
  const convBn = (cin: number, cout: number, k: number) => {
    trainable += cin * cout * k * k + 2 * cout;
    nonTrainable += 2 * cout;
  };
  let cin = 3;
  for (const c of STEM_CHANNELS) {
    const cout = scaleChannels(c, widthMultiplier);
    convBn(cin, cout, 3);
    cin = cout;
  }
  for (let l = 0; l < 4; l++) {
    const planes = scaleChannels(PLANES[l], widthMultiplier);
    const outC = blockOutChannels(depth, planes);
    for (let b = 0; b < RESNET_BLOCKS[depth][l]; b++) {
      // a layer's first block has a downsample branch when it is strided (layer2; layer3/4 unless dilated) or
      // changes the channel count
      const strided = l === 1 || (!dilated && l >= 2);
      if (b === 0 && (strided || cin !== outC)) convBn(cin, outC, 1);
      if (BOTTLENECK[depth]) {
        convBn(cin, planes, 1);
        convBn(planes, planes, 3);
        convBn(planes, outC, 1);
      } else {
        convBn(cin, planes, 3);
        convBn(planes, planes, 3);
      }
      cin = outC;
    }
  }
  return { trainable, nonTrainable };
}
