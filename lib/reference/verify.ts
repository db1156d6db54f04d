import { verdict as decide } from '../eval/verdict';
import type { ClaimEntry, ClaimsFile, DetailsFile, DetailsSource } from './evidence_files';
import { evaluateClaim } from './claims';
import { runLateSlope } from './curves';
import { parseSource, type ClaimPlan, type FollowUpPlan, type ReferencePlan } from './plan';

/**
 * Recomputes every claim of a claims file from the per-image verdict files beside it and lists each number that
 * differs (empty: the file is what its verdicts say). Also re-applies the verdict rule to the file's own interval,
 * so a hand-edited verdict is caught even where the verdict files are missing.
 */
export function verifyClaims(file: ClaimsFile, plan: ReferencePlan): string[] {
  const problems: string[] = [];
  if (file.profile !== plan.profile) problems.push(`claims are for profile ${file.profile}, the plan is ${plan.profile}`);
  const ids = file.claims.map((c) => c.id).join(',');
  if (ids !== plan.claims.map((c) => c.id).join(',')) problems.push(`claims ${ids}, expected ${plan.claims.map((c) => c.id).join(',')}`);
  for (const cp of plan.claims) {
    const stored = file.claims.find((c) => c.id === cp.id);
    if (stored) problems.push(...entryProblems(cp, stored));
  }
  return problems;
}

/**
 * The same checks for the follow-up comparisons of a details.json (`follow_ups`), plus each follow-up of the plan the
 * file lacks.
 */
export function verifyFollowUps(details: Pick<DetailsFile, 'follow_ups'>, plan: ReferencePlan): string[] {
  const problems: string[] = [];
  for (const fp of plan.followUps) {
    const stored = (details.follow_ups ?? []).find((f) => f.id === fp.id);
    if (stored) problems.push(...entryProblems(fp, stored));
    else problems.push(`details.json has no follow-up ${fp.id}`);
  }
  return problems;
}

/**
 * The late slopes (and flat points) details.json holds for every finished source recompute from the runs' run.json
 * under `dir` (a results/reference folder): README and the notebooks quote them.
 */
export function verifyLateSlopes(details: Pick<DetailsFile, 'claims' | 'follow_ups'>, dir: string): string[] {
  const sources: DetailsSource[] = [
    ...details.claims.flatMap((c) => [...c.baseline, ...c.treatment, ...c.beside.flatMap((b) => b.sources)]),
    ...(details.follow_ups ?? []).flatMap((f) => [...f.baseline_sources, ...f.treatment_sources]),
  ];
  const problems: string[] = [];
  for (const s of sources) {
    if (s.accuracy === null) continue;
    const again = runLateSlope(dir, parseSource(s.source).run);
    if (JSON.stringify(again) !== JSON.stringify(s.late_slope)) problems.push(`${s.source}.late_slope: file ${JSON.stringify(s.late_slope)}, recomputed ${JSON.stringify(again)}`);
  }
  return problems;
}

/** Where a stored claim or follow-up differs from its recomputation, or its verdict from the rule applied to its interval. */
function entryProblems(plan: ClaimPlan | FollowUpPlan, stored: Partial<ClaimEntry>): string[] {
  const problems: string[] = [];
  if (stored.verdict !== 'pending' && stored.ci95) {
    const again = decide(stored.ci95, { direction: plan.direction });
    if (again !== stored.verdict) problems.push(`${plan.id}: verdict '${stored.verdict}' but its interval [${stored.ci95}] gives '${again}'`);
  }
  const { entry } = evaluateClaim(plan);
  for (const key of ['delta_points', 'ci95', 'p_mcnemar', 'verdict', 'seeds'] as const) {
    if (JSON.stringify(entry[key]) !== JSON.stringify(stored[key])) problems.push(`${plan.id}.${key}: file ${JSON.stringify(stored[key])}, recomputed ${JSON.stringify(entry[key])}`);
  }
  for (const side of ['baseline', 'treatment'] as const) {
    for (const key of ['accuracy_by_seed', 'mean'] as const) {
      if (JSON.stringify(entry[side][key]) !== JSON.stringify(stored[side]?.[key])) {
        problems.push(`${plan.id}.${side}.${key}: file ${JSON.stringify(stored[side]?.[key])}, recomputed ${JSON.stringify(entry[side][key])}`);
      }
    }
  }
  return problems;
}
