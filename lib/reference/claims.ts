import * as fs from 'fs';
import * as path from 'path';
import { comparePaired, accuracyPercent, type PairedComparison } from '../eval/paired_comparison';
import type { PairedVerdicts } from '../eval/paired';
import { verdict } from '../eval/verdict';
import { wilsonInterval } from '../eval/wilson';
import { ConfigError } from '../errors';
import { readJson, writeJsonAtomic } from '../train/checkpoint';
import { parseSource, type ClaimPlan, type FollowUpPlan, type ReferencePlan, type VerdictSource } from './plan';
import { runLateSlope } from './curves';
import { claimsFile, EXPORTS_JSON, referenceDir, referenceRunDir } from './store';
import { readVerdictFile, type ExportsFile } from './worker';
import type { ClaimEntry, ClaimSide, ClaimsFile, DetailsClaim, DetailsFile, DetailsFollowUp, DetailsSeedSpread, DetailsSource } from './evidence_files';

/** The bootstrap every claim uses (fixed, so anyone recomputes the same interval from the verdict files). */
export const CLAIM_BOOTSTRAP = { resamples: 10_000, seed: 20261202 } as const;

const r2 = (v: number) => Math.round(v * 100) / 100;
const p3 = (v: number) => Number(v.toPrecision(3));

/** The verdict lists of a side's sources (undefined where a source has no verdict file yet). */
function sideVerdicts(sources: VerdictSource[]): ({ ids: string[]; success: boolean[] } | undefined)[] {
  return sources.map((s) => readVerdictFile(s));
}

/** Pairs baseline and treatment verdicts seed by seed, checking they are the same images in the same order. */
export function pairGroups(claimId: string, base: { ids: string[]; success: boolean[] }[], treat: { ids: string[]; success: boolean[] }[]): PairedVerdicts[] {
  return base.map((b, i) => {
    const t = treat[i];
    if (b.ids.length !== t.ids.length || b.ids.some((id, k) => id !== t.ids[k])) {
      throw new ConfigError(`${claimId}: seed ${i + 1}'s baseline and treatment were scored on different test images`);
    }
    return { baseline: b.success, treatment: t.success };
  });
}

/**
 * Everything about one claim (or follow-up comparison) that can be computed from the verdict files (the comparison is
 * null while pending).
 */
export function evaluateClaim(plan: ClaimPlan | FollowUpPlan): { entry: ClaimEntry; comparison: PairedComparison | null } {
  const base = sideVerdicts(plan.baseline.sources);
  const treat = sideVerdicts(plan.treatment.sources);
  const pending = [...plan.baseline.sources.filter((_, i) => !base[i]), ...plan.treatment.sources.filter((_, i) => !treat[i])];
  const side = (label: string, v: typeof base): ClaimSide => {
    const acc = v.map((x) => (x ? r2(accuracyPercent(x.success)) : null));
    const done = acc.filter((a): a is number => a !== null);
    return { label, accuracy_by_seed: acc, mean: done.length === acc.length ? r2(done.reduce((s, a) => s + a, 0) / done.length) : null };
  };
  const entry: ClaimEntry = {
    id: plan.id,
    claim: plan.claim,
    report: plan.report,
    baseline: side(plan.baseline.label, base),
    treatment: side(plan.treatment.label, treat),
    delta_points: null,
    ci95: null,
    seeds: plan.baseline.sources.length,
    p_mcnemar: null,
    verdict: 'pending',
  };
  if (plan.id === 'C5') Object.assign(entry, compressionSides(plan, entry));
  if (pending.length) return { entry: { ...entry, pending }, comparison: null };
  const c = comparePaired(pairGroups(plan.id, base as { ids: string[]; success: boolean[] }[], treat as { ids: string[]; success: boolean[] }[]), CLAIM_BOOTSTRAP);
  const ci: [number, number] = [r2(c.ci95[0]), r2(c.ci95[1])];
  return {
    entry: { ...entry, delta_points: r2(c.deltaPoints), ci95: ci, p_mcnemar: p3(c.pMcnemar), verdict: verdict(ci, { direction: plan.direction }) },
    comparison: c,
  };
}

/** C5's sizes and latencies (first seed's exports: the same architecture for every seed). */
function compressionSides(plan: Pick<ClaimPlan, 'treatment'>, entry: ClaimEntry): Pick<ClaimEntry, 'baseline' | 'treatment'> {
  const base = parseSource(plan.treatment.sources[0]).run;
  const seed = /-s(\d+)$/.exec(base)?.[1];
  const file = path.join(referenceRunDir(`compress-s${seed}`), EXPORTS_JSON);
  const ex = fs.existsSync(file) ? readJson<ExportsFile>(file) : undefined;
  const fmt = parseSource(plan.treatment.sources[0]).format!;
  return {
    baseline: { ...entry.baseline, size_bytes: ex?.formats.float32?.size_bytes ?? null, latency_ms: ex?.formats.float32?.latency_ms.median ?? null },
    treatment: { ...entry.treatment, size_bytes: ex?.formats[fmt]?.size_bytes ?? null, latency_ms: ex?.formats[fmt]?.latency_ms.median ?? null },
  };
}

/** claims.json for the plan (claims whose runs are not all finished are `pending`). */
export function buildClaims(plan: ReferencePlan, commit: string, testImages: number): ClaimsFile {
  return { profile: plan.profile, commit, test_images: testImages, claims: plan.claims.map((c) => evaluateClaim(c).entry) };
}

/**
 * The numbers beside the claims (results/reference/details.json): per claim the seed spread of the difference and the
 * discordant counts; the variants shown beside a claim (e.g. pixel + pair KD, the teacher, float16) compared with the
 * claim's baseline the same way; Wilson intervals of every accuracy.
 */
export function buildDetails(plan: ReferencePlan): DetailsFile {
  const claims = plan.claims.map((cp): DetailsClaim => {
    const { entry, comparison } = evaluateClaim(cp);
    const beside = (cp.beside ?? []).map((b): DetailsClaim['beside'][number] => {
      const vs = sideVerdicts(b.sources);
      const base = sideVerdicts(cp.baseline.sources.slice(0, b.sources.length));
      const ready = vs.every(Boolean) && base.every(Boolean);
      const c = ready ? comparePaired(pairGroups(cp.id, base as never, vs as never), CLAIM_BOOTSTRAP) : null;
      return {
        label: b.label,
        sources: sourceSummaries(b.sources),
        vs_baseline: c ? { delta_points: r2(c.deltaPoints), ci95: [r2(c.ci95[0]), r2(c.ci95[1])], p_mcnemar: p3(c.pMcnemar), seed_spread: spread(c) } : null,
      };
    });
    return {
      id: cp.id,
      direction: cp.direction,
      expected: cp.expected,
      verdict: entry.verdict,
      baseline: sourceSummaries(cp.baseline.sources),
      treatment: sourceSummaries(cp.treatment.sources),
      discordant: comparison?.discordant ?? null,
      seed_spread: comparison ? spread(comparison) : null,
      beside,
    };
  });
  const followUps = plan.followUps.map((fp): DetailsFollowUp => {
    const { entry, comparison } = evaluateClaim(fp);
    return {
      ...entry,
      of: fp.of,
      why: fp.why,
      direction: fp.direction,
      baseline_sources: sourceSummaries(fp.baseline.sources),
      treatment_sources: sourceSummaries(fp.treatment.sources),
      discordant: comparison?.discordant ?? null,
      seed_spread: comparison ? spread(comparison) : null,
    };
  });
  return { profile: plan.profile, bootstrap: CLAIM_BOOTSTRAP, claims, follow_ups: followUps };
}

/**
 * Each source's test accuracy with its Wilson 95 % interval (nulls while its run is not finished), and the late slope
 * of its run's validation curve (is it still learning at the end of its budget?).
 */
function sourceSummaries(sources: VerdictSource[]): DetailsSource[] {
  return sources.map((s) => {
    const v = readVerdictFile(s);
    if (!v) return { source: s, accuracy: null, wilson95: null, late_slope: null };
    const w = wilsonInterval(v.success.filter(Boolean).length, v.success.length);
    return { source: s, accuracy: r2(accuracyPercent(v.success)), wilson95: [r2(100 * w.lo), r2(100 * w.hi)], late_slope: runLateSlope(referenceDir(), parseSource(s).run) };
  });
}

function spread(c: PairedComparison): DetailsSeedSpread {
  const s = c.seedSpread;
  return { delta_by_seed: c.treatment.accuracyBySeed.map((t, i) => r2(t - c.baseline.accuracyBySeed[i])), mean: r2(s.mean), std: r2(s.std), t_ci95: s.ci ? [r2(s.ci[0]), r2(s.ci[1])] : null };
}

export function writeClaims(claims: ClaimsFile, details: DetailsFile): void {
  fs.mkdirSync(referenceDir(), { recursive: true });
  writeJsonAtomic(claimsFile(), claims);
  writeJsonAtomic(path.join(referenceDir(), 'details.json'), details);
}

export function readClaims(file = claimsFile()): ClaimsFile | undefined {
  return fs.existsSync(file) ? readJson<ClaimsFile>(file) : undefined;
}
