import * as fs from 'fs';
import * as path from 'path';
import { DataFormatError } from '../errors';
import type { Sample } from '../types';
import type { EvaluationResult } from './metric';
import { wilsonInterval } from './wilson';

/** `<run folder>/test.json`: the best checkpoint's verdicts on the test split. */
export const TEST_JSON = 'test.json';

/** A run's best-validation checkpoint scored on the test split. Accuracies are fractions in [0, 1]. */
export interface TestScore {
  accuracy: number;
  correct: number;
  total: number;
  /** Wilson 95 % interval of `accuracy` */
  ci95: [number, number];
  /** per-image verdicts (true = correct top grasp) in test-split order, with the images' ids */
  ids: string[];
  success: boolean[];
  /** the checkpoint scored: its epoch and step, and its validation accuracy (how it was chosen) */
  checkpoint: { epoch: number; step: number; valAccuracy: number } | null;
}

/** The stored form: verdicts as a '0'/'1' string (a 1000-image split is 1 KB). */
interface TestFile {
  version: 1;
  split: Record<string, unknown>;
  checkpoint: TestScore['checkpoint'];
  accuracy: number;
  correct: number;
  total: number;
  ids: string[];
  success: string;
}

/** '0'/'1' string ⇄ verdicts. */
export function encodeVerdicts(v: readonly boolean[]): string {
  return v.map((b) => (b ? '1' : '0')).join('');
}

export function decodeVerdicts(s: string, where: string): boolean[] {
  if (!/^[01]*$/.test(s)) throw new DataFormatError(where, 'verdicts must be a string of 0 and 1');
  return [...s].map((c) => c === '1');
}

export interface ScoreTestOptions {
  /** the checkpoint the model holds (fit's best record); a stored score of another checkpoint is recomputed */
  best?: { epoch: number; step: number; accuracy: number };
  samples: readonly Sample[];
  /** what defines the split (lib/data/test_split `testSplitFingerprint`): a stored score of another split is recomputed */
  fingerprint: Record<string, unknown>;
  /** scores samples with the run's model (the workbook's one scoring path, injected by the experiment layer) */
  score: (samples: readonly Sample[]) => Promise<EvaluationResult>;
}

/**
 * The test score of a run's best checkpoint: read from `<runDir>/test.json` when it was computed for the same
 * checkpoint, split and images, else computed with `score` and written there (atomically). Scoring happens once per
 * run, after training: the test split never influences training or the choice of checkpoint.
 */
export async function scoreTestSplit(runDir: string, opts: ScoreTestOptions): Promise<TestScore> {
  const file = path.join(runDir, TEST_JSON);
  const checkpoint = opts.best ? { epoch: opts.best.epoch, step: opts.best.step, valAccuracy: opts.best.accuracy } : null;
  const ids = opts.samples.map((s) => s.id);
  const stored = readTestScore(file);
  if (
    stored &&
    JSON.stringify(stored.checkpoint) === JSON.stringify(checkpoint) &&
    JSON.stringify(stored.split) === JSON.stringify(opts.fingerprint) &&
    JSON.stringify(stored.score.ids) === JSON.stringify(ids)
  ) {
    return stored.score;
  }
  const r = await opts.score(opts.samples);
  const success = r.perImage.map((v) => v.success);
  const record: TestFile = { version: 1, split: opts.fingerprint, checkpoint, accuracy: r.accuracy, correct: r.correct, total: r.total, ids, success: encodeVerdicts(success) };
  fs.mkdirSync(runDir, { recursive: true });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(record) + '\n');
  fs.renameSync(tmp, file);
  return toScore(record, file);
}

/** A stored test score (undefined when the file is absent). */
export function readTestScore(file: string): { score: TestScore; split: Record<string, unknown>; checkpoint: TestScore['checkpoint'] } | undefined {
  if (!fs.existsSync(file)) return undefined;
  let rec: TestFile;
  try {
    rec = JSON.parse(fs.readFileSync(file, 'utf8')) as TestFile;
  } catch (e) {
    throw new DataFormatError(file, `not valid JSON (${(e as Error).message})`);
  }
  if (rec.version !== 1 || !Array.isArray(rec.ids) || typeof rec.success !== 'string' || rec.ids.length !== rec.success.length) {
    throw new DataFormatError(file, 'not a grasplab test score (version 1 with ids and a verdict string of equal length)');
  }
  return { score: toScore(rec, file), split: rec.split, checkpoint: rec.checkpoint };
}

function toScore(rec: TestFile, file: string): TestScore {
  const success = decodeVerdicts(rec.success, file);
  const correct = success.filter(Boolean).length;
  const w = success.length ? wilsonInterval(correct, success.length) : { lo: 0, hi: 0 };
  return { accuracy: success.length ? correct / success.length : 0, correct, total: success.length, ci95: [w.lo, w.hi], ids: rec.ids, success, checkpoint: rec.checkpoint };
}
