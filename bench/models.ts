import * as tf from '@tensorflow/tfjs';
import { PROFILES, ProfileName } from '../lib/config/profiles';
import { localGgcnn } from './local_ggcnn';

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

interface Registry {
  buildModel(cfg: BenchModelSpec['config']): tf.LayersModel;
  describeModel?(model: tf.LayersModel): { params: number; flops: number };
}

/** lib/models/registry when it loads (it is written in parallel with the bench), else undefined and why. */
export function loadRegistry(): { registry?: Registry; why?: string } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const registry = require('../lib/models/registry') as Registry;
    if (typeof registry.buildModel !== 'function') return { why: 'lib/models/registry has no buildModel' };
    return { registry };
  } catch (e) {
    return { why: `lib/models/registry unavailable (${(e instanceof Error ? e.message : String(e)).split('\n')[0]})` };
  }
}

/**
 * Builds the model for `spec` at `inputSize`. Falls back to the bench's own GG-CNN stand-in when the registry is
 * missing (other models are then skipped), and says which was used.
 */
export function buildBenchModel(spec: BenchModelSpec, inputSize: number): { model: tf.LayersModel; source: string; flops?: number } {
  const { registry, why } = loadRegistry();
  if (registry) {
    const model = registry.buildModel({ ...spec.config, inputSize });
    let flops: number | undefined;
    try {
      flops = registry.describeModel?.(model).flops;
    } catch {
      flops = undefined;
    }
    return { model, source: 'lib/models/registry', flops };
  }
  if (spec.config.name === 'ggcnn') return { model: localGgcnn(inputSize), source: `bench/local_ggcnn.ts (${why})` };
  throw new Error(`cannot build ${spec.id}: ${why}`);
}
