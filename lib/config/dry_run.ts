import type { Profile } from './profiles';

/**
 * `GRASPLAB_DRY_RUN=1`: every notebook and CLI command of any profile runs end to end with the real model sizes but
 * a token amount of work — 2 training steps per run and 2 evaluation images — to show that a long profile (`paper`,
 * meant for a GPU) gets through every cell before anyone spends days on it. Numbers from a dry run mean nothing.
 */
export interface DryRun {
  /** optimiser steps per training run */
  steps: number;
  /** images per evaluation (validation, test, `grasplab eval`) */
  evalImages: number;
  /** what to print beside anything a dry run changes */
  note: string;
}

export const DRY_RUN_STEPS = 2;
export const DRY_RUN_EVAL_IMAGES = 2;

/** The dry-run settings when `GRASPLAB_DRY_RUN` is set to 1/true/yes, else undefined. */
export function dryRun(env: NodeJS.ProcessEnv = process.env): DryRun | undefined {
  const v = (env.GRASPLAB_DRY_RUN ?? '').trim().toLowerCase();
  if (!['1', 'true', 'yes'].includes(v)) return undefined;
  return { steps: DRY_RUN_STEPS, evalImages: DRY_RUN_EVAL_IMAGES, note: `dry run (GRASPLAB_DRY_RUN=${env.GRASPLAB_DRY_RUN}: ${DRY_RUN_STEPS} steps per run, ${DRY_RUN_EVAL_IMAGES} evaluation images)` };
}

/** Synthetic scenes of a dry run's own data set (enough for a 90/10 split with 2 validation images). */
export const DRY_RUN_SCENES = 24;

/**
 * The profile as a dry run runs it: 1 epoch of 2 steps per run (the KD teacher too), 2 validation (and test) images,
 * one batch for precise BN, a small synthetic set, the profile's first seed; model sizes, batch size and every
 * notebook step unchanged.
 * (Where the profile's batch cannot fit the backend's memory, lib/models/profile_memory `fitDryRunToMemory` lowers it.)
 */
export function withDryRun<P extends Profile>(profile: P, env: NodeJS.ProcessEnv = process.env): P {
  const dry = dryRun(env);
  if (!dry) return profile;
  return {
    ...profile,
    epochs: 1,
    batchesPerEpoch: dry.steps,
    valImages: dry.evalImages,
    testImages: dry.evalImages,
    preciseBnBatches: 1,
    syntheticScenes: Math.min(profile.syntheticScenes, DRY_RUN_SCENES),
    teacher: { ...profile.teacher, epochs: 1 },
    // one seed: the per-seed loops and summaries run all the same; notebooks keep every run's model in memory, and
    // more than four paper-size PSPNets (190 MB of weights each) with a training step's activations exhaust wasm's heap
    seeds: profile.seeds.slice(0, 1),
    dryRun: dry.note,
  };
}
