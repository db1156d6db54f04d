import * as tf from '@tensorflow/tfjs';
import { PROFILES, ProfileName } from '../lib/config/profiles';
import { buildModel, describeModel } from '../lib/models/registry';

/** A model the bench measures: an id for the CLI and a registry config (lib/models/registry's ModelConfig). */
export interface BenchModelSpec {
  /** CLI id, e.g. 'ggcnn', 'pspnet-r18-w0.25' */
  id: string;
  /** which profiles use it, and as what (e.g. 'cpu: pspnet/student') */
  usedBy: string[];
  config: { name: 'ggcnn' | 'ggcnn2' | 'pspnet'; inputSize?: number; resnetDepth?: 18 | 34 | 50 | 101; widthMultiplier?: number };
}

/** GG-CNN, GG-CNN2 and every PSPNet variant the profiles use (pspnet, KD teacher, KD student), de-duplicated. */
export function benchModels(): BenchModelSpec[] {
  const specs: BenchModelSpec[] = [
    { id: 'ggcnn', usedBy: ['all profiles'], config: { name: 'ggcnn' } },
    { id: 'ggcnn2', usedBy: ['all profiles'], config: { name: 'ggcnn2' } },
  ];
  for (const p of Object.keys(PROFILES) as ProfileName[]) {
    const prof = PROFILES[p];
    for (const role of ['pspnet', 'teacher'] as const) {
      const { depth, widthMultiplier } = prof[role];
      const id = `pspnet-r${depth}-w${widthMultiplier}`;
      const found = specs.find((s) => s.id === id);
      if (found) found.usedBy.push(`${p}: ${role}`);
      else specs.push({ id, usedBy: [`${p}: ${role}`], config: { name: 'pspnet', resnetDepth: depth, widthMultiplier } });
    }
  }
  return specs;
}

/**
 * Builds the model for `spec` at `inputSize` with lib/models/registry; FLOPs (one image) and trainable parameters from
 * its describeModel.
 */
export function buildBenchModel(spec: BenchModelSpec, inputSize: number): { model: tf.LayersModel; source: string; flops?: number; trainableParams?: number } {
  const model = buildModel({ ...spec.config, inputSize });
  let flops: number | undefined;
  let trainableParams: number | undefined;
  try {
    ({ flops, params: trainableParams } = describeModel(model));
  } catch {
    flops = undefined; // describing is optional for the bench
  }
  return { model, source: 'lib/models/registry', flops, trainableParams };
}
