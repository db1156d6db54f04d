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
