import { ConfigError } from '../errors';

/**
 * Learning-rate schedules as pure functions of the step.
 * - constant: ggcnn (`optim.Adam(net.parameters())`, lr 1e-3 throughout);
 * - poly: semseg / structured KD, `base_lr · (1 − step/total)^power`, power 0.9.
 */
export type LrSchedule = { kind: 'constant' } | { kind: 'poly'; power?: number };

/** Learning rate for `step` (0-based, counted over the whole run) of `totalSteps`. */
export function learningRateAt(schedule: LrSchedule, baseLr: number, step: number, totalSteps: number): number {
  if (!(baseLr > 0 && Number.isFinite(baseLr))) throw new ConfigError(`learning rate must be a positive number, got ${baseLr}`);
  switch (schedule.kind) {
    case 'constant':
      return baseLr;
    case 'poly': {
      const power = schedule.power ?? 0.9;
      if (!(totalSteps > 0)) throw new ConfigError(`poly schedule needs totalSteps > 0, got ${totalSteps}`);
      const progress = Math.min(Math.max(step / totalSteps, 0), 1);
      return baseLr * Math.pow(1 - progress, power);
    }
    default: {
      const never: never = schedule;
      throw new ConfigError(`unknown learning-rate schedule ${JSON.stringify(never)}`);
    }
  }
}
