import { ShapeError } from '../errors';

/**
 * Per-image verdicts (true = correct top grasp) of a baseline and a treatment model on the same images, in the same
 * order, for one training seed. Claims compare such pairs; with several seeds there is one group per seed.
 */
export interface PairedVerdicts {
  baseline: readonly boolean[];
  treatment: readonly boolean[];
}

/** Checks the groups (equal lengths within a group, ≥ 1 image overall) and returns their total number of pairs. */
export function checkPairedGroups(groups: readonly PairedVerdicts[], what: string): number {
  if (groups.length === 0) throw new ShapeError(`${what}: no groups of paired verdicts`);
  let total = 0;
  groups.forEach((g, i) => {
    if (g.baseline.length !== g.treatment.length) {
      throw new ShapeError(`${what}: group ${i} has ${g.baseline.length} baseline but ${g.treatment.length} treatment verdicts (they must be the same images)`);
    }
    total += g.baseline.length;
  });
  if (total === 0) throw new ShapeError(`${what}: the groups hold no images`);
  return total;
}
