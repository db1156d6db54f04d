import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors';
import { decodeVerdicts, encodeVerdicts, readTestScore, scoreTestSplit, TEST_JSON, type TestScore } from '../eval/test_record';
import { runExperiment, scoreModel, testFingerprint, type Workbench } from '../experiment';
import { measureModelLatency } from '../export/latency';
import { WEIGHT_FORMATS } from '../export/quantize';
import { exportModel, loadModelFromDir } from '../export/save';
import { buildModel, inferenceModel } from '../models/registry';
import { loadWeightsInto, readJson, readModelMetadata, writeJsonAtomic } from '../train/checkpoint';
import { BEST_DIR, LAST_DIR, RUN_JSON, type BestRecord } from '../train/loop';
import type { ProgressCallback } from '../train/progress';
import { COMPRESSION_FORMATS, type ReferencePlan, type ReferenceRun, type VerdictSource } from './plan';
import { recordStart } from './provenance';
import { EXPORTS_JSON, isDone, PID_FILE, referenceRunDir, resumeSnapshotDir, verdictFile } from './store';

export interface JobContext {
  wb: Workbench;
  plan: ReferencePlan;
  log: (msg: string) => void;
  /** fit's progress events (default: none) */
  onProgress?: ProgressCallback | null;
  /** forward-latency repetitions of the compress job (default 20 after 3 warm-up calls) */
  latencyRuns?: number;
}

/** A verdict file: one model's per-image test verdicts, what the claims are computed from. */
export interface VerdictFileContent {
  source: VerdictSource;
  run: string;
  split: Record<string, unknown>;
  checkpoint: TestScore['checkpoint'];
  accuracy: number;
  correct: number;
  total: number;
  ids: string[];
  /** '0'/'1' per image, in `ids` order */
  success: string;
}

export function writeVerdictFile(source: VerdictSource, run: string, split: Record<string, unknown>, score: Pick<TestScore, 'checkpoint' | 'ids' | 'success'>): void {
  const correct = score.success.filter(Boolean).length;
  const content: VerdictFileContent = {
    source, run, split, checkpoint: score.checkpoint,
    accuracy: score.success.length ? correct / score.success.length : 0, correct, total: score.success.length,
    ids: score.ids, success: encodeVerdicts(score.success),
  };
  const file = verdictFile(source);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // one line: the id list of a 1000-image split would otherwise be 1000 lines
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(content) + '\n');
  fs.renameSync(tmp, file);
}

export function readVerdictFile(source: VerdictSource): { ids: string[]; success: boolean[]; content: VerdictFileContent } | undefined {
  const file = verdictFile(source);
  if (!fs.existsSync(file)) return undefined;
  const content = readJson<VerdictFileContent>(file);
  return { ids: content.ids, success: decodeVerdicts(content.success, file), content };
}

/**
 * Runs one job of the plan in this process: trains (or resumes) a run and scores its best checkpoint on the test
 * split, or exports a finished run in the compressed formats and scores those. Idempotent: a done job only makes sure
 * its verdict files exist. While it works, `<run>/worker.pid` names this process.
 */
export async function runJob(run: ReferenceRun, ctx: JobContext): Promise<void> {
  const dir = referenceRunDir(run.id);
  const missing = run.after.filter((id) => !isDone(ctx.plan.runs.find((r) => r.id === id)!));
  if (missing.length) throw new ConfigError(`${run.id} needs ${missing.join(', ')} finished first`);
  if (isDone(run)) {
    ensureVerdictFile(run);
    return;
  }
  fs.mkdirSync(dir, { recursive: true });
  const pidFile = path.join(dir, PID_FILE);
  fs.writeFileSync(pidFile, JSON.stringify({ pid: process.pid, started: new Date().toISOString() }));
  try {
    recordStart(dir, ctx.wb);
    if (run.kind === 'compress') await compressJob(run, ctx);
    else await trainJob(run, ctx);
  } finally {
    fs.rmSync(pidFile, { force: true });
  }
}

/** A done training run's verdict file, rebuilt from its test.json when missing. */
export function ensureVerdictFile(run: ReferenceRun): void {
  if (run.kind === 'compress' || fs.existsSync(verdictFile(run.id))) return;
  const stored = readTestScore(path.join(referenceRunDir(run.id), TEST_JSON));
  if (stored) writeVerdictFile(run.id, run.id, stored.split, stored.score);
}

/** Builds the run's network (as trained: with its aux head) and loads the weights of checkpoint folder `dir`. */
function loadCheckpoint(run: ReferenceRun, dir: string, inputSize: number): tf.LayersModel {
  const model = buildModel({ seed: run.seed, ...run.spec.model, inputSize: run.spec.model.inputSize ?? inputSize });
  loadWeightsInto(model, dir);
  return model;
}

async function trainJob(run: ReferenceRun, ctx: JobContext): Promise<void> {
  const { wb } = ctx;
  const dir = referenceRunDir(run.id);
  const finished = (readJsonMaybe<{ status?: string }>(path.join(dir, RUN_JSON))?.status === 'completed') && fs.existsSync(path.join(dir, BEST_DIR, 'model.json'));
  let score: TestScore;
  if (finished) {
    // Never call fit on a finished run: its resume point (last/) is deleted once it is done. Score the best weights.
    const trained = loadCheckpoint(run, path.join(dir, BEST_DIR), wb.profile.inputSize);
    const model = trained.outputs.length > 1 ? inferenceModel(trained) : trained;
    const best = readModelMetadata(path.join(dir, BEST_DIR))?.grasplabBest as BestRecord | undefined;
    score = await scoreTestSplit(dir, { best, samples: await wb.testSamples(), fingerprint: testFingerprint(wb), score: (s) => scoreModel(model, s) });
    trained.dispose();
  } else {
    restoreSnapshot(run.id);
    const teacherRun = run.spec.kd ? ctx.plan.runs.find((r) => r.id === run.after[0]) : undefined;
    if (run.spec.kd && !teacherRun) throw new ConfigError(`${run.id}: a KD run needs its teacher run in 'after'`);
    const teacher = teacherRun ? loadCheckpoint(teacherRun, path.join(referenceRunDir(teacherRun.id), BEST_DIR), wb.profile.inputSize) : undefined;
    ctx.log(`${run.id}: training ${run.imagesSeen} images (${run.epochs} epochs)${teacher ? ` with teacher ${teacherRun!.id}` : ''}`);
    try {
      const res = await runExperiment(wb, { ...run.spec, teacher, runDir: dir, onProgress: ctx.onProgress ?? null });
      if (!res.test) throw new ConfigError(`${run.id}: the workbench has no test split (the evidence runs need the synthetic dataset)`);
      score = res.test;
      res.trainModel.dispose();
    } finally {
      teacher?.dispose();
    }
  }
  writeVerdictFile(run.id, run.id, testFingerprint(wb), score);
  // finished runs keep best/ (and run.json, test.json); the resume point with the optimiser state is no longer needed
  fs.rmSync(path.join(dir, LAST_DIR), { recursive: true, force: true });
  fs.rmSync(resumeSnapshotDir(run.id), { recursive: true, force: true });
  ctx.log(`${run.id}: done, validation ${(100 * (score.checkpoint?.valAccuracy ?? NaN)).toFixed(1)} % (epoch ${score.checkpoint?.epoch}), test ${(100 * score.accuracy).toFixed(1)} %`);
}

/** Copies the committed resume snapshot into `last/` when this checkout has no resume point of its own. */
export function restoreSnapshot(id: string): void {
  const last = path.join(referenceRunDir(id), LAST_DIR);
  const snap = resumeSnapshotDir(id);
  if (fs.existsSync(last) || !fs.existsSync(path.join(snap, 'state.json'))) return;
  fs.cpSync(snap, last, { recursive: true });
}

/** Copies an unfinished run's resume point to its snapshot folder (replacing an older one); false if it has none. */
export function snapshotResumePoint(id: string): boolean {
  const last = path.join(referenceRunDir(id), LAST_DIR);
  if (!fs.existsSync(path.join(last, 'state.json'))) return false;
  const snap = resumeSnapshotDir(id);
  const tmp = `${snap}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.cpSync(last, tmp, { recursive: true });
  fs.rmSync(snap, { recursive: true, force: true });
  fs.renameSync(tmp, snap);
  return true;
}

/** What a compress job records per format: bytes on disk and batch-1 forward latency of the reloaded export. */
export interface ExportRecord {
  size_bytes: number;
  latency_ms: { median: number; p10: number; p90: number };
  backend: string;
}

export interface ExportsFile {
  base: string;
  formats: Record<string, ExportRecord>;
  /** float32 export re-scored and found identical to the run's own test verdicts (done for the first seed) */
  float32Checked: boolean;
  loadavg: number[];
  measured: string;
}

/**
 * C5: exports the finished PSPNet run `after[0]` as float32, uint8 and float16 (TF.js format), reloads each, scores the
 * compressed ones on the test split, and measures size and batch-1 forward latency (with the machine load beside it).
 */
async function compressJob(run: ReferenceRun, ctx: JobContext): Promise<void> {
  const { wb } = ctx;
  const dir = referenceRunDir(run.id);
  if (fs.existsSync(path.join(dir, EXPORTS_JSON))) return;
  const baseRun = ctx.plan.runs.find((r) => r.id === run.after[0])!;
  const baseDir = referenceRunDir(baseRun.id);
  const trained = loadCheckpoint(baseRun, path.join(baseDir, BEST_DIR), wb.profile.inputSize);
  const model = trained.outputs.length > 1 ? inferenceModel(trained) : trained;
  const baseScore = readTestScore(path.join(baseDir, TEST_JSON))!.score;
  const samples = await wb.testSamples();
  const formats: Record<string, ExportRecord> = {};
  const checkFloat32 = run.seed === ctx.plan.seeds[0];
  try {
    for (const format of ['float32', ...COMPRESSION_FORMATS] as const) {
      if (!WEIGHT_FORMATS.includes(format)) throw new ConfigError(`unknown export format ${format}`);
      const out = path.join(dir, format);
      const exp = await exportModel(model, out, { format, source: { run: baseRun.id, reference: true } });
      const loaded = await loadModelFromDir(out);
      try {
        if (format !== 'float32' || checkFloat32) {
          const r = await scoreModel(loaded, samples);
          const success = r.perImage.map((v) => v.success);
          if (format === 'float32') {
            // the float32 export holds the trained weights bit for bit: its verdicts must be the run's own
            if (encodeVerdicts(success) !== encodeVerdicts(baseScore.success)) {
              throw new ConfigError(`${run.id}: the float32 export of ${baseRun.id} scores differently from the run itself (${r.correct} vs ${baseScore.correct} correct)`);
            }
          } else {
            writeVerdictFile(`${baseRun.id}@${format}`, baseRun.id, testFingerprint(wb), { checkpoint: baseScore.checkpoint, ids: samples.map((s) => s.id), success });
          }
        }
        const lat = await measureModelLatency(loaded, { runs: ctx.latencyRuns ?? 20, warmup: 3 });
        const round = (v: number) => Number(v.toFixed(2));
        formats[format] = { size_bytes: exp.totalBytes, latency_ms: { median: round(lat.forward.median), p10: round(lat.forward.p10), p90: round(lat.forward.p90) }, backend: lat.backend };
        ctx.log(`${run.id}: ${format} ${exp.totalBytes} bytes, forward ${lat.forward.median.toFixed(1)} ms`);
      } finally {
        loaded.dispose();
      }
    }
  } finally {
    trained.dispose();
  }
  const record: ExportsFile = { base: baseRun.id, formats, float32Checked: checkFloat32, loadavg: os.loadavg().map((v) => Number(v.toFixed(2))), measured: new Date().toISOString() };
  writeJsonAtomic(path.join(dir, EXPORTS_JSON), record);
}

function readJsonMaybe<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
