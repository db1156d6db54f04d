import { ConfigError } from '../errors';
import { withDryRun } from './dry_run';

/**
 * A profile sets the sizes of every experiment (data, epochs, model widths), never the method.
 * - `smoke`: seconds per notebook, for tests and CI; numbers are not meaningful.
 * - `cpu`: the default; all notebooks together in ≤ 30 min on a 2-core laptop without a GPU.
 * - `paper`: the report's sizes (300x300, batch 8, PSPNet-ResNet50/101); for a GPU machine with tfjs-node-gpu.
 */
export interface Profile {
  name: ProfileName;
  /** synthetic scenes generated when the synthetic dataset is used */
  syntheticScenes: number;
  /** input/output size of the networks (the report asserts 300) */
  inputSize: number;
  batchSize: number;
  epochs: number;
  /** optimiser steps per epoch (ggcnn's `batches_per_epoch`), so epochs are equal across datasets */
  batchesPerEpoch: number;
  /** validation images used per evaluation (0 = all of the validation split) */
  valImages: number;
  /**
   * images of the fixed synthetic `test` split scored for every finished run (its best-validation checkpoint); the
   * first `testImages` of the one fixed sequence (lib/data/test_split.ts), so a smaller profile scores a prefix
   */
  testImages: number;
  /**
   * training batches averaged to recompute BatchNorm statistics after each epoch ("precise BN", lib/train/precise_bn.ts;
   * models without BN ignore it). Short runs need it: otherwise the inference-mode outputs are still dominated by
   * the moving variance's initial value.
   */
  preciseBnBatches: number;
  /** seeds for ablations (aux weight, KD); the first is used for single runs */
  seeds: number[];
  /** ResNet depth and width multiplier of the PSPNet of notebook 03, also the aux-learning model and the KD student */
  pspnet: { depth: 18 | 34 | 50 | 101; widthMultiplier: number };
  /**
   * the KD teacher (deeper / wider than the student) and its epochs: KD presumes a teacher better than the student,
   * so a short profile trains it longer than the students (at the students' 36 steps the cpu teacher scored below them)
   */
  teacher: { depth: 18 | 34 | 50 | 101; widthMultiplier: number; epochs: number };
  /**
   * the KD student when it is not notebook 03's PSPNet: the evidence claim C4 needs a student with at most 1/4 of
   * the teacher's parameters (default: `pspnet`)
   */
  kdStudent?: { depth: 18 | 34 | 50 | 101; widthMultiplier: number };
  /** set by GRASPLAB_DRY_RUN (lib/config/dry_run.ts): what the dry run changed, for notes beside results */
  dryRun?: string;
}

export type ProfileName = 'smoke' | 'cpu' | 'paper' | 'reference';

export const PROFILES: Record<ProfileName, Profile> = {
  smoke: {
    name: 'smoke',
    syntheticScenes: 24,
    inputSize: 300,
    batchSize: 2,
    epochs: 1,
    batchesPerEpoch: 2,
    valImages: 4,
    testImages: 4,
    preciseBnBatches: 1,
    seeds: [1],
    pspnet: { depth: 18, widthMultiplier: 0.125 },
    teacher: { depth: 18, widthMultiplier: 0.125, epochs: 1 },
  },
  cpu: {
    name: 'cpu',
    syntheticScenes: 400,
    inputSize: 300,
    // batch 4 (the report trained with batch 2 on a laptop): 9 training runs × 120 steps fit the 30-minute budget
    // (36 steps before the native conv kernels and ONNX Runtime scoring: README "Latest numbers" says what that bought)
    batchSize: 4,
    epochs: 10,
    batchesPerEpoch: 12,
    // all 40 validation scenes: scoring is cheap (~0.1 s per image) and each image is 2.5 points of accuracy
    valImages: 0,
    // a prefix of the fixed test split: each image costs a forward pass per run (~0.15 s for PSPNet)
    testImages: 200,
    preciseBnBatches: 4,
    seeds: [1],
    pspnet: { depth: 18, widthMultiplier: 0.25 },
    teacher: { depth: 34, widthMultiplier: 0.25, epochs: 20 },
  },
  paper: {
    name: 'paper',
    syntheticScenes: 2000,
    inputSize: 300,
    batchSize: 8,
    epochs: 50,
    batchesPerEpoch: 1000,
    valImages: 0,
    testImages: 1000,
    preciseBnBatches: 50,
    seeds: [1, 2, 3],
    pspnet: { depth: 50, widthMultiplier: 1 },
    teacher: { depth: 101, widthMultiplier: 1, epochs: 50 },
  },
  // The evidence runs (scripts/reference.ts, results/reference/): sized for a 2-core CPU machine, budgets in images
  // seen (epochs × batchesPerEpoch × batchSize), chosen and pre-registered in results/reference/PREREGISTRATION.md.
  reference: {
    name: 'reference',
    syntheticScenes: 2000,
    inputSize: 300,
    batchSize: 8,
    epochs: 20,
    batchesPerEpoch: 40,
    valImages: 0,
    testImages: 1000,
    preciseBnBatches: 8,
    seeds: [1, 2, 3],
    pspnet: { depth: 18, widthMultiplier: 0.25 },
    teacher: { depth: 34, widthMultiplier: 0.25, epochs: 30 },
    kdStudent: { depth: 18, widthMultiplier: 0.125 },
  },
};

/**
 * The profile named by `GRASPLAB_PROFILE` (default `cpu`); `GRASPLAB_SEEDS=1,2,3` replaces its seeds (the ablations
 * of notebooks 04 and 05 then run once per seed and report mean ± std); `GRASPLAB_DRY_RUN=1` shrinks every run to 2
 * steps and 2 evaluation images at the real model sizes (lib/config/dry_run.ts).
 */
export function currentProfile(env: NodeJS.ProcessEnv = process.env): Profile {
  const name = (env.GRASPLAB_PROFILE ?? 'cpu').trim();
  if (!(name in PROFILES)) {
    throw new ConfigError(`GRASPLAB_PROFILE=${name} is not a profile; use one of ${Object.keys(PROFILES).join(', ')}`);
  }
  const profile = PROFILES[name as ProfileName];
  const rawSeeds = env.GRASPLAB_SEEDS?.trim();
  if (!rawSeeds) return withDryRun(profile, env);
  const seeds = rawSeeds.split(',').map((t) => Number(t.trim()));
  if (!seeds.every((v) => Number.isInteger(v) && v >= 1) || new Set(seeds).size !== seeds.length) {
    throw new ConfigError(`GRASPLAB_SEEDS=${rawSeeds}: use distinct positive integers separated by commas, e.g. 1,2,3`);
  }
  return withDryRun({ ...profile, seeds }, env);
}

/**
 * The profile named by a command-line flag (`--profile NAME`): like `currentProfile`, but a bad name is reported
 * against the flag, not against GRASPLAB_PROFILE.
 */
export function profileFromFlag(name: string, flag = '--profile'): Profile {
  if (!(name.trim() in PROFILES)) {
    throw new ConfigError(`${flag} ${name}: not a profile; use one of ${Object.keys(PROFILES).join(', ')}`);
  }
  return currentProfile({ GRASPLAB_PROFILE: name });
}
