import type * as tf from '@tensorflow/tfjs';
import type { Profile } from '../config/profiles';
import { HEAP_FIT_MARGIN, MEMORY_CALIBRATION_NOTE, modelFootprint, trainingBytes, type ModelFootprint } from './memory';
import { buildModel, type ModelConfig } from './registry';

/** wasm32 linear memory cannot grow beyond 4 GiB: the wasm backend's hard limit for tensors. */
export const WASM_HEAP_LIMIT_BYTES = 4 * 2 ** 30;

/** One of a profile's training runs and the memory its training step needs. */
export interface RunMemory {
  name: string;
  model: ModelConfig;
  batch: number;
  params: number;
  activationsPerImage: number;
  /** estimated peak bytes of a training step (a KD student also holds its frozen teacher) */
  trainBytes: number;
  fitsWasm: boolean;
}

/**
 * The training runs a profile's notebooks make (GG-CNN, the PSPNet of notebook 03, with the aux head, the KD teacher,
 * a KD student with its teacher) and the memory each training step needs at `batch` (default: the profile's),
 * estimated from the models' structure (lib/models/memory.ts). Builds each model once to measure it.
 */
export function profileMemory(profile: Profile, batch = profile.batchSize): { runs: RunMemory[]; calibration: string } {
  const psp = { name: 'pspnet' as const, resnetDepth: profile.pspnet.depth, widthMultiplier: profile.pspnet.widthMultiplier };
  const teacherCfg: ModelConfig = { name: 'pspnet', resnetDepth: profile.teacher.depth, widthMultiplier: profile.teacher.widthMultiplier };
  const student = profile.kdStudent ? { name: 'pspnet' as const, resnetDepth: profile.kdStudent.depth, widthMultiplier: profile.kdStudent.widthMultiplier } : psp;
  const fp = new Map<string, ModelFootprint>();
  const footprint = (cfg: ModelConfig): ModelFootprint => {
    const key = JSON.stringify(cfg);
    if (!fp.has(key)) {
      const m = buildModel(cfg);
      try {
        fp.set(key, modelFootprint(m));
      } finally {
        m.dispose();
      }
    }
    return fp.get(key)!;
  };
  const run = (name: string, model: ModelConfig, extraWeights = 0): RunMemory => {
    const f = footprint(model);
    const trainBytes = trainingBytes(f, batch) + 4 * extraWeights;
    return { name, model, batch, params: f.weights, activationsPerImage: f.activationsPerImage, trainBytes, fitsWasm: trainBytes <= HEAP_FIT_MARGIN * WASM_HEAP_LIMIT_BYTES };
  };
  const teacherWeights = footprint(teacherCfg).weights;
  // model.dispose() frees the weights; nothing else is allocated
  const runs = [
    run('GG-CNN', { name: 'ggcnn' }),
    run(`PSPNet-R${psp.resnetDepth} ×${psp.widthMultiplier}`, psp),
    run(`PSPNet-R${psp.resnetDepth} ×${psp.widthMultiplier} + aux head`, { ...psp, aux: true }),
    run(`KD teacher PSPNet-R${profile.teacher.depth} ×${profile.teacher.widthMultiplier}`, teacherCfg),
    run(`KD student${profile.kdStudent ? ` PSPNet-R${student.resnetDepth} ×${student.widthMultiplier}` : ''} (+ frozen teacher)`, student, teacherWeights),
  ];
  return { runs, calibration: MEMORY_CALIBRATION_NOTE };
}

/** The largest of a profile's runs at `batch`. */
export function largestRun(profile: Profile, batch = profile.batchSize): RunMemory {
  return profileMemory(profile, batch).runs.reduce((a, b) => (b.trainBytes > a.trainBytes ? b : a));
}

/** The report's batch size (a laptop GPU), which a dry run falls back to when the profile's batch does not fit. */
export const REPORT_BATCH = 2;

/** Backends whose tensors live in a capped heap (wasm32: 4 GB). */
function heapLimit(backend: string): number | undefined {
  return backend === 'wasm' ? HEAP_FIT_MARGIN * WASM_HEAP_LIMIT_BYTES : undefined;
}

/**
 * A dry run on a backend with a capped heap: when the profile's largest training run does not fit at its batch size,
 * run the dry run at the report's batch 2 instead, and say so (`log` and the profile's `dryRun` note). A real run is
 * never changed.
 */
export function fitDryRunToMemory<P extends Profile>(profile: P, backend: string, log: (msg: string) => void = console.log): P {
  const limit = heapLimit(backend);
  if (!profile.dryRun || limit === undefined || profile.batchSize <= REPORT_BATCH) return profile;
  const big = largestRun(profile);
  if (big.trainBytes <= limit) return profile;
  const note = `${big.name} at batch ${profile.batchSize} needs ~${gib(big.trainBytes)} GB, more than fits ${backend}'s 4 GB heap: the dry run uses the report's batch ${REPORT_BATCH}`;
  log(`grasplab: ${note}`);
  return { ...profile, batchSize: REPORT_BATCH, dryRun: `${profile.dryRun}; ${note}` };
}

/**
 * In a dry run, whether a training step of `model` (plus a frozen `teacher`) at `batch` cannot fit the backend's heap
 * even so: its steps then compute the loss forward only (no gradient, no update; trainStep `forwardOnly`), so the rest
 * of the run — building, precise BN, validation, checkpoints, KD teacher forward, export — still runs at full size.
 * Returns the reason, or undefined when the step fits (or this is not a dry run).
 */
export function dryRunForwardOnly(profile: Profile, backend: string, model: tf.LayersModel, batch: number, teacher?: tf.LayersModel): string | undefined {
  const limit = heapLimit(backend);
  if (!profile.dryRun || limit === undefined) return undefined;
  const bytes = trainingBytes(modelFootprint(model), batch) + (teacher ? 4 * modelFootprint(teacher).weights : 0);
  if (bytes <= limit) return undefined;
  return `a training step of ${model.name} at batch ${batch} needs ~${gib(bytes)} GB, more than fits ${backend}'s 4 GB heap: dry-run steps compute the loss forward only (no update)`;
}

function gib(bytes: number): string {
  return (bytes / 2 ** 30).toFixed(1);
}
