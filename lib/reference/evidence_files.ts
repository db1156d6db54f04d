import * as fs from 'fs';

/**
 * The shapes of the committed evidence files: results/reference/claims.json (the shape the evidence issue fixes) and
 * details.json (the numbers beside it). Written by lib/reference/claims.ts, read by the README table, the notebooks'
 * evidence sections and the checks: one declaration, so writer and readers cannot drift apart.
 */

export interface ClaimSide {
  label: string;
  /** percent on the test split, one per seed (null: that run is not finished) */
  accuracy_by_seed: (number | null)[];
  mean: number | null;
  /** C5 only: bytes of the exported model folder and median batch-1 forward latency */
  size_bytes?: number | null;
  latency_ms?: number | null;
}

/** One entry of claims.json. */
export interface ClaimEntry {
  /** `C1`…`C5`; a follow-up's id (e.g. `C1-prior`) in details.json */
  id: string;
  claim: string;
  report: string;
  baseline: ClaimSide;
  treatment: ClaimSide;
  delta_points: number | null;
  ci95: [number, number] | null;
  seeds: number;
  p_mcnemar: number | null;
  /** `supported` | `contradicted` | `no effect ≥ 5` | `undecided`, or `pending` while runs are missing */
  verdict: string;
  /** only while pending: the verdict sources not yet available */
  pending?: string[];
}

/** claims.json */
export interface ClaimsFile {
  profile: string;
  commit: string;
  test_images: number;
  claims: ClaimEntry[];
}

/** How a validation curve ends: least-squares slope over its second half (lib/eval/curve_slope.ts). */
export interface DetailsLateSlope {
  per_1000_images: number;
  ci95: [number, number] | null;
  points: number;
  trend: 'rising' | 'flat' | 'falling';
  /** training images from which no tail of at least half the curve rises (null while rising; absent in older files) */
  flat_from_images?: number | null;
}

/** One verdict source (a run, or a run's export) with its test accuracy; nulls while the run is not finished. */
export interface DetailsSource {
  source: string;
  accuracy: number | null;
  wilson95: [number, number] | null;
  /** absent in details files written before it existed; null for a run without a curve */
  late_slope?: DetailsLateSlope | null;
}

/** How the per-seed difference varies with the seed. */
export interface DetailsSeedSpread {
  delta_by_seed: number[];
  mean: number;
  std: number;
  t_ci95: [number, number] | null;
}

export interface DetailsComparisonVsBaseline {
  delta_points: number;
  ci95: [number, number];
  p_mcnemar: number;
  seed_spread: DetailsSeedSpread;
}

export interface DetailsClaim {
  id: string;
  direction: 1 | -1;
  expected: string;
  verdict: string;
  baseline: DetailsSource[];
  treatment: DetailsSource[];
  discordant: { baselineOnly: number; treatmentOnly: number } | null;
  seed_spread: DetailsSeedSpread | null;
  /** variants shown beside the claim, each compared with the claim's baseline */
  beside: { label: string; sources: DetailsSource[]; vs_baseline: DetailsComparisonVsBaseline | null }[];
}

/**
 * A follow-up comparison: a claims.json-style entry (its `baseline`/`treatment` are the claim sides), plus the claim
 * it follows and its sources (named `*_sources` because `baseline` is already the side).
 */
export interface DetailsFollowUp extends ClaimEntry {
  of: string;
  why: string;
  direction: 1 | -1;
  baseline_sources: DetailsSource[];
  treatment_sources: DetailsSource[];
  discordant: DetailsClaim['discordant'];
  seed_spread: DetailsSeedSpread | null;
}

export interface DetailsFile {
  profile: string;
  bootstrap: { resamples: number; seed: number };
  claims: DetailsClaim[];
  follow_ups?: DetailsFollowUp[];
}

/** details.json, or undefined when the file (or the argument) is missing. */
export function readDetails(file?: string): DetailsFile | undefined {
  return file && fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as DetailsFile) : undefined;
}
