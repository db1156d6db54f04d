import * as path from 'path';
import { ConfigError } from '../errors';
import { loadTorchStateDict, type TorchImportReport } from '../models/import_torch';
import { checkSemsegConfig, inferSemsegConfig, loadSemsegStateDict } from '../models/import_semseg';
import { readNpzFile } from '../models/npz';
import { buildModel, describeModel, type ModelConfig, type ModelName } from '../models/registry';
import type { ResNetDepth } from '../models/resnet';
import { exportModel } from './save';

/**
 * A PyTorch state dict (`.npz`, see README "PyTorch weights") turned into a grasplab model folder that `eval`,
 * `predict` and `export` take (tfjs layers format, float32):
 *  - `ggcnn` / `ggcnn2`: dougsm/ggcnn's module names (the published Cornell weights);
 *  - `pspnet`: hszhao/semseg's module names with the report's `conv0` and output convs (import_semseg.ts). Depth,
 *    width multiplier, aux head and the class-logit channels are read off the state dict; given options must agree.
 *    `backboneOnly` loads just the ResNet (e.g. semseg's ImageNet-pretrained `resnet50_v2.pth`) and leaves conv0,
 *    the pyramid pooling and the heads as initialised (seeded by `seed`).
 */
export interface ImportOptions {
  /** the state dict, .npz */
  from: string;
  model: ModelName;
  depth?: ResNetDepth;
  widthMultiplier?: number;
  aux?: boolean;
  backboneOnly?: boolean;
  /** initialisation seed of the layers the dict does not provide (default 1) */
  seed?: number;
  /** the model folder to write */
  out: string;
}

export interface ImportResult extends TorchImportReport {
  out: string;
  modelConfig: ModelConfig;
  params: number;
  files: string[];
}

export async function importTorchModel(opts: ImportOptions): Promise<ImportResult> {
  const stateDict = readNpzFile(opts.from);
  let cfg: ModelConfig;
  if (opts.model === 'pspnet') {
    const found = inferSemsegConfig(stateDict, opts.from);
    checkSemsegConfig(found, { depth: opts.depth, widthMultiplier: opts.widthMultiplier, aux: opts.aux }, opts.from);
    if (found.backboneOnly && !opts.backboneOnly) {
      throw new ConfigError(`${opts.from} holds a ResNet backbone only (no ppm.* / cls.* keys): import it with --backbone-only`);
    }
    cfg = {
      name: 'pspnet',
      resnetDepth: opts.depth ?? found.depth,
      widthMultiplier: opts.widthMultiplier ?? found.widthMultiplier,
      aux: opts.aux ?? (found.backboneOnly ? false : found.aux),
      classes: opts.backboneOnly ? undefined : found.classes,
      seed: opts.seed,
    };
  } else {
    const pspOnly = (['depth', 'widthMultiplier', 'aux', 'backboneOnly'] as const).filter((k) => opts[k] !== undefined && opts[k] !== false);
    if (pspOnly.length) throw new ConfigError(`${pspOnly.join(', ')} only apply to --model pspnet`);
    cfg = { name: opts.model, seed: opts.seed };
  }
  const model = buildModel(cfg);
  try {
    const report =
      opts.model === 'pspnet' ? loadSemsegStateDict(model, stateDict, opts.from, { backboneOnly: opts.backboneOnly }) : loadTorchStateDict(model, stateDict, opts.from);
    const exported = await exportModel(model, opts.out, {
      format: 'float32',
      source: {
        importedFrom: path.resolve(opts.from),
        naming: opts.model === 'pspnet' ? 'hszhao/semseg' : 'dougsm/ggcnn',
        modelConfig: cfg,
        backboneOnly: !!opts.backboneOnly,
        loadedKeys: report.loaded.length,
        layersLeftInitialised: report.leftInitialised,
      },
    });
    return { ...report, out: opts.out, modelConfig: cfg, params: describeModel(model).params, files: exported.files };
  } finally {
    model.dispose();
  }
}
