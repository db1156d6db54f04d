import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_ROOT, resultsDir } from '../config/paths';
import { readTestScore, TEST_JSON } from '../eval/test_record';
import { BEST_DIR, LAST_DIR, RUN_JSON } from '../train/loop';
import { pidAlive } from '../train/run_lock';
import type { ReferencePlan, ReferenceRun, VerdictSource } from './plan';

/**
 * Where the evidence lives (under the results folder, so tests can point it at a temp dir):
 *   results/reference/runs/<id>/      run.json, test.json, provenance.json, best/ (committed once finished); last/
 *                                     (resume point, rewritten every epoch, git-ignored)
 *   results/reference/resume/<id>/    a copy of an unfinished run's last/, made by `snapshot` for a deliberate commit
 *   results/reference/verdicts/<source>.json   per-image test verdicts of every finished run and export (committed)
 *   results/reference/claims.json     the claims C1–C5 (committed)
 *   results/reference/logs/<id>.log   worker output (git-ignored)
 * and the shipped models in top-level `models/` (`GRASPLAB_MODELS_DIR` overrides).
 */
export function referenceDir(): string {
  return path.join(resultsDir(), 'reference');
}

export function referenceRunDir(id: string): string {
  return path.join(referenceDir(), 'runs', id);
}

export function verdictsDir(): string {
  return path.join(referenceDir(), 'verdicts');
}

/** `pspnet-s1@uint8` → `verdicts/pspnet-s1.uint8.json`. */
export function verdictFile(source: VerdictSource): string {
  return path.join(verdictsDir(), `${source.replace('@', '.')}.json`);
}

/**
 * `results/reference/resume/<id>/`: a copy of an unfinished run's resume point, made by `snapshot` at the end of a
 * working period and committed; a later checkout without the git-ignored `last/` resumes from it. Tracked files change
 * only at a snapshot (the run's own `last/` is rewritten every epoch and stays ignored).
 */
export function resumeSnapshotDir(id: string): string {
  return path.join(referenceDir(), 'resume', id);
}

export function claimsFile(): string {
  return path.join(referenceDir(), 'claims.json');
}

export function logFile(id: string): string {
  return path.join(referenceDir(), 'logs', `${id}.log`);
}

export function modelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.GRASPLAB_MODELS_DIR ? path.resolve(env.GRASPLAB_MODELS_DIR) : path.join(PROJECT_ROOT, 'models');
}

/** The file a worker holds while it works on a job: its pid. */
export const PID_FILE = 'worker.pid';
/** A compress job's record of its exports (sizes, latency). */
export const EXPORTS_JSON = 'exports.json';

export type JobState = 'done' | 'running' | 'partial' | 'ready' | 'waiting' | 'failed';

export interface JobStatus {
  id: string;
  state: JobState;
  epochsDone: number;
  epochs: number;
  /** training + validation seconds so far (run.json) */
  seconds: number;
  bestVal?: number;
  test?: number;
  error?: string;
}

function readJsonMaybe<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}


/** The pid of a live worker on job `id`, if any. */
export function workerPid(id: string): number | undefined {
  const raw = readJsonMaybe<{ pid: number }>(path.join(referenceRunDir(id), PID_FILE));
  return raw && pidAlive(raw.pid) ? raw.pid : undefined;
}

/** A training run is done when its run.json says completed and its best checkpoint and test verdicts are on disk. */
export function isDone(run: ReferenceRun): boolean {
  const dir = referenceRunDir(run.id);
  if (run.kind === 'compress') return fs.existsSync(path.join(dir, EXPORTS_JSON));
  const info = readJsonMaybe<{ status?: string }>(path.join(dir, RUN_JSON));
  return info?.status === 'completed' && fs.existsSync(path.join(dir, BEST_DIR, 'model.json')) && fs.existsSync(path.join(dir, TEST_JSON));
}

/** The state of every job of the plan, from the files on disk (no process needs to be asked). */
export function planStatus(plan: ReferencePlan): JobStatus[] {
  const done = new Set(plan.runs.filter(isDone).map((r) => r.id));
  return plan.runs.map((run) => {
    const dir = referenceRunDir(run.id);
    const info = readJsonMaybe<{ status?: string; epochsDone?: number; seconds?: number; best?: { accuracy: number } | null; train?: { epochs: number }; error?: string }>(
      path.join(dir, RUN_JSON),
    );
    const epochs = run.epochs;
    const base = { id: run.id, epochsDone: info?.epochsDone ?? 0, epochs, seconds: info?.seconds ?? 0, bestVal: info?.best?.accuracy };
    const test = fs.existsSync(path.join(dir, TEST_JSON)) ? readTestScore(path.join(dir, TEST_JSON))?.score.accuracy : undefined;
    if (done.has(run.id)) return { ...base, epochsDone: run.kind === 'compress' ? 1 : base.epochsDone, state: 'done' as const, test };
    if (workerPid(run.id)) return { ...base, state: 'running' as const };
    if (info?.status === 'failed' || info?.status === 'diverged') return { ...base, state: 'failed' as const, error: info.error };
    if (fs.existsSync(path.join(dir, LAST_DIR)) || fs.existsSync(resumeSnapshotDir(run.id)) || (info?.epochsDone ?? 0) > 0) return { ...base, state: 'partial' as const };
    return { ...base, state: run.after.every((a) => done.has(a)) ? ('ready' as const) : ('waiting' as const) };
  });
}
