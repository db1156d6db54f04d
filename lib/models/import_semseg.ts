import * as tf from '@tensorflow/tfjs';
import { ConfigError, DataFormatError } from '../errors';
import { loadTorchStateDict, TorchImportReport, TorchNaming } from './import_torch';
import { NpyArray } from './npz';
import { RESNET_BLOCKS, ResNetDepth, scaleChannels } from './resnet';

/**
 * PSPNet weights from hszhao/semseg's PyTorch code (model/pspnet.py + model/resnet.py) with the weekly report's
 * changes, into grasplab's PSPNet (pspnet.ts). Module names of such a state dict and the layers they load into:
 *   conv0                                    → conv0            (the report's 1×1 conv, 1 → 3 channels)
 *   layer0.{0,1,3,4,6,7}                     → layer0_{conv1,bn1,conv2,bn2,conv3,bn3}   (deep stem)
 *   conv1|bn1|conv2|bn2|conv3|bn3            → the same stem layers (semseg's ImageNet-pretrained ResNet files)
 *   layer1..4.N.{conv1..3,bn1..3,downsample.0,downsample.1} → layerL_N_… (Bottleneck; BasicBlock has conv1/2, bn1/2)
 *   ppm.features.K.{1,2}                     → ppm_K_{conv,bn}
 *   cls.{0,1,4} / aux.{0,1,4}                → cls_{conv,bn,logits} / aux_{conv,bn,logits}
 *   {pos,cos,sin,width}_output, aux_*_output → the fused output heads `maps`, `aux_maps`
 *   fc                                       → ignored (ImageNet classifier of the pretrained ResNets)
 * A `module.` prefix (state dicts saved from nn.DataParallel, as semseg's train.py does) is stripped.
 * semseg's PSPNet itself accepts depths 50/101/152 (Bottleneck) only; its resnet.py also defines BasicBlock ResNet-18/34,
 * whose names load into grasplab's R18/R34 PSPNet (which dilates both 3×3 convs of a dilated block, as the structured-KD
 * code's ResNet-18 PSPNet does, where semseg's own dilation loop would only reach conv2). ResNet-152 is not built here.
 */

const STEM: Record<string, string> = { '0': 'conv1', '1': 'bn1', '3': 'conv2', '4': 'bn2', '6': 'conv3', '7': 'bn3' };
const STEM_INDEX = Object.fromEntries(Object.entries(STEM).map(([k, v]) => [v, k]));
const HEAD: Record<string, string> = { '0': 'conv', '1': 'bn', '4': 'logits' };
const HEAD_INDEX = Object.fromEntries(Object.entries(HEAD).map(([k, v]) => [v, k]));

export const SEMSEG_NAMING: TorchNaming = {
  toLayer(module: string): string | null {
    const m = module.replace(/^module\./, '');
    let r: RegExpExecArray | null;
    if ((r = /^layer0\.(\d+)$/.exec(m)) && STEM[r[1]]) return `layer0_${STEM[r[1]]}`;
    if (/^(conv|bn)[123]$/.test(m)) return `layer0_${m}`;
    if (m === 'fc') return null;
    if ((r = /^layer([1-4])\.(\d+)\.(conv[1-3]|bn[1-3]|downsample\.[01])$/.exec(m))) return `layer${r[1]}_${r[2]}_${r[3].replace('.', '_')}`;
    if ((r = /^ppm\.features\.(\d+)\.([12])$/.exec(m))) return `ppm_${r[1]}_${r[2] === '1' ? 'conv' : 'bn'}`;
    if ((r = /^(cls|aux)\.(\d+)$/.exec(m)) && HEAD[r[2]]) return `${r[1]}_${HEAD[r[2]]}`;
    // conv0, the output heads, and anything else (reported as unexpected if the model has no such layer)
    return m.replace(/\./g, '_');
  },
  toModule(layer: string): string {
    let r: RegExpExecArray | null;
    if ((r = /^layer0_(\w+)$/.exec(layer)) && STEM_INDEX[r[1]]) return `layer0.${STEM_INDEX[r[1]]}`;
    if ((r = /^layer([1-4])_(\d+)_(\w+)$/.exec(layer))) return `layer${r[1]}.${r[2]}.${r[3].replace('_', '.')}`;
    if ((r = /^ppm_(\d+)_(conv|bn)$/.exec(layer))) return `ppm.features.${r[1]}.${r[2] === 'conv' ? 1 : 2}`;
    if ((r = /^(cls|aux)_(conv|bn|logits)$/.exec(layer))) return `${r[1]}.${HEAD_INDEX[r[2]]}`;
    return layer;
  },
};

/** The backbone's layers (semseg's layer0…layer4: what an ImageNet-pretrained ResNet file provides). */
export function isBackboneLayer(layerName: string): boolean {
  return /^layer[0-4]_/.test(layerName);
}

export interface SemsegImportOptions {
  /** load only the ResNet backbone (layer0…layer4); conv0, the pyramid pooling and the heads keep their values */
  backboneOnly?: boolean;
}

/**
 * Loads a semseg-named state dict into a grasplab PSPNet built with the matching config. Every weight of the model
 * (or of its backbone) must be in the dict and every key must fit, else a StateDictMismatchError lists the keys.
 * The report lists the keys used, ignored (BN counters, `fc`), unused (outside the backbone), and the layers left
 * as initialised.
 */
export function loadSemsegStateDict(model: tf.LayersModel, stateDict: Map<string, NpyArray>, source = '<state dict>', opts: SemsegImportOptions = {}): TorchImportReport {
  return loadTorchStateDict(model, stateDict, source, { naming: SEMSEG_NAMING, only: opts.backboneOnly ? isBackboneLayer : undefined });
}

/** A PSPNet configuration read off a semseg-named state dict. */
export interface SemsegConfig {
  depth: ResNetDepth;
  widthMultiplier: number;
  aux: boolean;
  /** the dict holds only a backbone (no pyramid pooling / heads): a pretrained ResNet */
  backboneOnly: boolean;
  /** output channels of layer4's first 1×1/3×3 conv: `scaleChannels(512, widthMultiplier)` */
  layer4Planes: number;
  /** channels of the class-logit conv `cls.4` (undefined for a backbone) */
  classes?: number;
}

/**
 * Reads depth (blocks per layer and block type), width multiplier (layer4's planes / 512) and the aux head off a
 * semseg-named state dict, for building the model to load it into. Throws DataFormatError when the dict is not a
 * semseg ResNet/PSPNet or has a depth grasplab cannot build.
 */
export function inferSemsegConfig(stateDict: Map<string, NpyArray>, source = '<state dict>'): SemsegConfig {
  const modules = new Set<string>();
  for (const key of stateDict.keys()) modules.add(key.replace(/^module\./, '').replace(/\.[^.]+$/, ''));
  const blocks = [1, 2, 3, 4].map((l) => {
    let n = 0;
    for (const m of modules) {
      const r = new RegExp(`^layer${l}\\.(\\d+)\\.`).exec(m);
      if (r) n = Math.max(n, Number(r[1]) + 1);
    }
    return n;
  });
  const bottleneck = modules.has('layer1.0.conv3');
  const depth = (Object.keys(RESNET_BLOCKS) as unknown as ResNetDepth[])
    .map(Number)
    .find((d) => RESNET_BLOCKS[d as ResNetDepth].every((b, i) => b === blocks[i]) && (d >= 50) === bottleneck) as ResNetDepth | undefined;
  if (depth === undefined) {
    throw new DataFormatError(
      source,
      `not a semseg ResNet-18/34/50/101 state dict: blocks per layer [${blocks.join(', ')}], ${bottleneck ? 'bottleneck' : 'basic'} blocks (semseg's ResNet-152 is [3, 8, 36, 3], not built by grasplab)`,
    );
  }
  const planes = stateDict.get([...stateDict.keys()].find((k) => /^(module\.)?layer4\.0\.conv1\.weight$/.test(k)) ?? '')?.shape[0];
  if (!planes) throw new DataFormatError(source, 'no layer4.0.conv1.weight to read the channel width from');
  const has = (prefix: string) => [...modules].some((m) => m === prefix || m.startsWith(`${prefix}.`));
  const logits = stateDict.get([...stateDict.keys()].find((k) => /^(module\.)?cls\.4\.weight$/.test(k)) ?? '');
  return { depth, widthMultiplier: planes / 512, aux: has('aux'), backboneOnly: !has('ppm') && !has('cls'), layer4Planes: planes, classes: logits?.shape[0] };
}

/** Checks explicit options against what the dict holds, naming the disagreement. */
export function checkSemsegConfig(found: SemsegConfig, wanted: Partial<Pick<SemsegConfig, 'depth' | 'widthMultiplier' | 'aux'>>, source: string): void {
  const diffs: string[] = [];
  if (wanted.depth !== undefined && wanted.depth !== found.depth) diffs.push(`depth ${wanted.depth} asked, the dict is a ResNet-${found.depth}`);
  if (wanted.widthMultiplier !== undefined && scaleChannels(512, wanted.widthMultiplier) !== found.layer4Planes) {
    diffs.push(`width multiplier ${wanted.widthMultiplier} asked (${scaleChannels(512, wanted.widthMultiplier)} planes in layer4), the dict's layer4 has ${found.layer4Planes} (×${found.widthMultiplier})`);
  }
  if (wanted.aux && !found.aux && !found.backboneOnly) diffs.push('aux head asked, the dict has no aux.* keys');
  if (wanted.aux === false && found.aux) diffs.push('no aux head asked, the dict has aux.* keys (add --aux)');
  if (diffs.length) throw new ConfigError(`${source}: ${diffs.join('; ')}`);
}
