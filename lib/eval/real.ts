import * as fs from 'fs';
import * as path from 'path';
import type * as tf from '@tensorflow/tfjs';
import { resultsDir, sharedDir } from '../config/paths';
import { openDataset } from '../data/dataset';
import { BatchLoader } from '../data/loader';
import type { Sample } from '../types';
import { diagnoseFailures } from './failure_modes';
import { evaluateModel, type EvaluateOptions, type EvaluationResult } from './metric';

/**
 * Scoring models on real Cornell images, next to the synthetic score: a model trained on synthetic scenes is only
 * useful if it finds grasps in real depth. The images are preprocessed as Cornell's validation images (inpaint, crop
 * 300×300 on the rectangles, normalise; no augmentation) and scored with ggcnn's rectangle metric, all of them.
 */

/** Where real Cornell images come from, and why. */
export interface RealDataChoice {
  dir: string;
  /** 'env': GRASPLAB_REAL_DIR; 'shared': ../shared/realdata/cornell beside the checkout (developers and CI) */
  source: 'env' | 'shared';
}

/**
 * The real Cornell folder to score on: `GRASPLAB_REAL_DIR` (any Cornell-format folder: `NN/pcdXXXXcpos.txt` + `d.tiff`
 * or the point cloud), else `../shared/realdata/cornell` when present, else undefined (notebooks then print that
 * they skip the real-image score).
 */
export function realCornellDir(env: NodeJS.ProcessEnv = process.env): RealDataChoice | undefined {
  if (env.GRASPLAB_REAL_DIR) return { dir: path.resolve(env.GRASPLAB_REAL_DIR), source: 'env' };
  const shared = sharedDir(env);
  const dir = shared && path.join(shared, 'realdata', 'cornell');
  return dir && fs.existsSync(dir) ? { dir, source: 'shared' } : undefined;
}

/** The message a notebook prints when there is no real data to score on. */
export const NO_REAL_DATA_MESSAGE =
  'real-image score skipped: set GRASPLAB_REAL_DIR to a Cornell folder (../shared/realdata/cornell is used when present)';

/** Real images, preprocessed once for scoring. */
export interface RealImages {
  dir: string;
  samples: Sample[];
}

/** Loads and preprocesses every image of a real Cornell folder (rectangles with NaN coordinates are skipped quietly). */
export async function loadRealImages(dir: string, opts: { outputSize?: number; onWarning?: (m: string) => void } = {}): Promise<RealImages> {
  const ds = await openDataset({ kind: 'cornell', dir }, { onWarning: opts.onWarning ?? (() => {}) });
  const samples = await new BatchLoader(ds, ds.entries, {
    batchSize: 1,
    seed: 1,
    shuffle: false,
    preprocess: { outputSize: opts.outputSize ?? 300, rotate: 'none', zoom: false },
  }).samples();
  return { dir, samples };
}

/** A model's real-image score, with per-image verdicts. */
export interface RealScore extends EvaluationResult {
  dir: string;
}

/** Scores `model` on real images (top-1 rectangle metric by default). */
export async function scoreOnReal(model: tf.LayersModel, real: RealImages, opts: EvaluateOptions = {}): Promise<RealScore> {
  const r = await evaluateModel(model, real.samples, opts);
  return { ...r, dir: real.dir };
}

/** Accuracy over the images whose id passes `keep` (e.g. a held-out part of the real images). */
export function subsetAccuracy(score: EvaluationResult, keep: (id: string) => boolean): { correct: number; total: number; accuracy: number } {
  const sel = score.perImage.filter((v) => keep(v.id));
  const correct = sel.filter((v) => v.success).length;
  return { correct, total: sel.length, accuracy: sel.length ? correct / sel.length : 0 };
}

/** Loads the real images once per process and folder (notebooks score several models on them). */
const cache = new Map<string, Promise<RealImages>>();

/** One model's real-image row: its score and why the other images failed (lib/eval/failure_modes.ts). */
export interface RealRow {
  model: string;
  'real images': number;
  correct: number;
  'real accuracy %': number;
  /** failed images by cause: no grasp detected / no label within 20 px / labels there but > 30° off / IoU ≤ 0.25 */
  'no grasp': number;
  'wrong place': number;
  'wrong angle': number;
  'wrong size': number;
}

/**
 * Scores the models on the real Cornell images of `realCornellDir()`; undefined (after `log`ging why) when there are
 * none. One row per model: what notebooks 02–05 show next to their synthetic validation score.
 */
export async function realEvaluation(
  models: { label: string; model: tf.LayersModel }[],
  opts: { env?: NodeJS.ProcessEnv; outputSize?: number; log?: (m: string) => void } = {},
): Promise<{ dir: string; rows: RealRow[]; scores: RealScore[] } | undefined> {
  const log = opts.log ?? ((m: string) => console.log(m));
  const choice = realCornellDir(opts.env);
  if (!choice) {
    log(NO_REAL_DATA_MESSAGE);
    return undefined;
  }
  const key = `${choice.dir}@${opts.outputSize ?? 300}`;
  if (!cache.has(key)) cache.set(key, loadRealImages(choice.dir, { outputSize: opts.outputSize }));
  let real: RealImages;
  try {
    real = await cache.get(key)!;
  } catch (e) {
    cache.delete(key);
    throw e;
  }
  const scores: RealScore[] = [];
  for (const m of models) scores.push(await scoreOnReal(m.model, real));
  return {
    dir: choice.dir,
    rows: models.map((m, i) => {
      const { counts } = diagnoseFailures(real.samples, scores[i].perImage);
      return {
        model: m.label,
        'real images': scores[i].total,
        correct: scores[i].correct,
        'real accuracy %': 100 * scores[i].accuracy,
        'no grasp': counts['no-grasp'],
        'wrong place': counts.position,
        'wrong angle': counts.angle,
        'wrong size': counts.size,
      };
    }),
    scores,
  };
}

/** One sim-to-real run as scripts/simreal-train.ts writes it (results/simreal/<preset>-s<seed>.json). */
export interface SimRealRun {
  command: string;
  /** 'ggcnn' or 'pspnet' (files written before `--model` existed are GG-CNN) */
  model?: string;
  /** the profile whose scenes it trained on (files written before this field: 'cpu') */
  profile?: string;
  /** the network's config; `headBias` 'prior' where `--head-bias prior` was given (absent: zeros) */
  network?: { name: string; headBias?: string };
  preset: string;
  fingerprint: string;
  steps: number;
  batchSize: number;
  seed: number;
  trainImages: number;
  curve: { step: number; loss: number; accuracy?: number; realAccuracy?: number; realCorrect?: number; realTotal?: number; realHeldOutCorrect?: number; realHeldOutTotal?: number }[];
  final: {
    step: number;
    syntheticValAccuracy: number;
    realAccuracy: number;
    realCorrect: number;
    realTotal: number;
    development: { correct: number; total: number; accuracy: number };
    heldOut: { correct: number; total: number; accuracy: number };
    /** the last step's verdict on every real image (absent in files written before it was recorded) */
    perImage?: { id: string; success: boolean; bestIoU: number }[];
  };
  /** training time (s), on a machine shared with others: see the README for the load */
  trainSeconds: number;
  date: string;
}

/** The committed sim-to-real runs (learning curves and the generator ablation), sorted by file name. */
export function readSimRealRuns(dir = path.join(resultsDir(), 'simreal')): SimRealRun[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as SimRealRun);
}
