import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { currentProfile } from '../config/profiles';
import { removeInside } from '../config/safe_remove';
import { ConfigError, RunConfigChangedError, TrainingDivergedError, TrainingInterruptedError } from '../errors';
import {
  loadOptimizerState,
  loadWeightsInto,
  readableCheckpointDir,
  readJson,
  readModelMetadata,
  replaceDir,
  saveModel,
  saveOptimizer,
  writeJsonAtomic,
} from './checkpoint';
import type { GraspLossKind } from './losses';
import { createOptimizer, DEFAULT_OPTIMIZER, setLearningRate, type OptimizerConfig } from './optimizer';
import type { PredictorFactory } from '../models/predictor';
import { featureLayerName, mainOutputModel, trainingView } from './outputs';
import { defaultProgress, type EpochRecord, type ProgressCallback } from './progress';
import { batchNormLayers, recomputeBatchNormStats } from './precise_bn';
import { exitCodeFor, watchInterrupts, type StopSignal } from './interrupt';
import { runDirFor } from './run_dir';
import { configChanges, describeChanges } from './run_key';
import { acquireRunLock } from './run_lock';
import { learningRateAt, type LrSchedule } from './schedule';
import { DEFAULT_AUX_WEIGHT, trainStep, type KdStepOptions, type StepParts, type TrainBatch } from './step';

/** Anything that yields training batches; lib/data/loader's `BatchLoader` fits. `fit` disposes each batch's x, y. */
export interface BatchSource {
  nextBatch(): Promise<TrainBatch>;
  /**
   * Optional: advance past `n` batches without producing them. When a single endless source is resumed, `fit`
   * calls it with the number of steps already done so the data continues where the killed run stopped; without
   * it the source restarts its sequence (run.json notes this).
   */
  skipBatches?(n: number): void | Promise<void>;
}

/**
 * A batch source per epoch (`epoch` is 0-based). Use this form — e.g. a `BatchLoader` seeded with `seed + epoch` —
 * for a data order that depends only on the epoch, so a resumed run sees exactly the batches an uninterrupted one
 * would. A single endless source also works, but after a resume it restarts its sequence.
 */
export type BatchSourceFactory = (epoch: number) => BatchSource;

/** What `validate` returns; lib/eval `evaluateModel`'s result fits. Its other numeric fields are recorded too. */
export interface ValidationResult {
  /** fraction of validation images with a correct top grasp, in [0, 1]; selects the best checkpoint */
  accuracy: number;
}

export interface FitOptions {
  /** run name: files go to `<resultsDir()>/runs/<name>/` (letters, digits, `._-`) */
  name: string;
  /** the model to train, as built by lib/models (1 output, or [main, aux]); trained in place */
  model: tf.LayersModel;
  data: BatchSource | BatchSourceFactory;
  /** default: current profile's `epochs` */
  epochs?: number;
  /** optimiser steps per epoch; default: current profile's `batchesPerEpoch` */
  batchesPerEpoch?: number;
  /** default Adam, lr 1e-3 */
  optimizer?: OptimizerConfig;
  /** default constant */
  schedule?: LrSchedule;
  lossKind?: GraspLossKind;
  /** aux loss weight for [main, aux] models (default 0.4) */
  auxWeight?: number;
  /** frozen KD teacher (see trainStep) */
  teacher?: tf.LayersModel;
  kd?: KdStepOptions;
  /**
   * Forward-only engine for the teacher (e.g. ONNX Runtime, injected by the experiment layer; asked every step, so a
   * caching factory costs a lookup). Default: the teacher's tfjs forward pass.
   */
  forward?: PredictorFactory;
  /**
   * Precise BN (see precise_bn.ts): at the end of every epoch, before validation and checkpointing, recompute the
   * BatchNorm moving statistics from `batches` training batches at fixed weights. Batches come from `data` (default:
   * the epoch's own batch source factory, i.e. the epoch's first batches; required when `data` is one endless
   * source, whose sequence it would otherwise shift). Ignored for models without BatchNorm (GG-CNN). Default off.
   */
  preciseBn?: { batches: number; data?: BatchSourceFactory };
  /** scores the model after an epoch; receives the main-output-only view of the model (shares its weights) */
  validate?: (model: tf.LayersModel) => Promise<ValidationResult>;
  /** validate every N epochs (and always after the last); default 1 */
  validateEvery?: number;
  /** continue from `runs/<name>/last` if it exists (default true); false starts over, deleting the run's checkpoints */
  resume?: boolean;
  /** load the best checkpoint's weights into `model` before returning (default false: the last epoch's weights) */
  restoreBest?: boolean;
  /** caller's experiment config, stored in run.json; a resume with a different config is refused */
  config?: Record<string, unknown>;
  /** progress events; default: live notebook output in tslab, else the terminal; null for silence */
  onProgress?: ProgressCallback | null;
  /** asked after each completed (and saved) epoch; true ends the run early with status 'stopped' */
  shouldStop?: (info: { epoch: number; history: EpochRecord[] }) => boolean;
  /** override the run folder (default `<resultsDir()>/runs/<name>`) */
  runDir?: string;
  /**
   * appended to the message when a resume is refused because the configuration changed (default: how to start over
   * with `fit`); the CLI names `--fresh`, the notebooks what to do in a notebook
   */
  resumeHint?: string;
  /**
   * stop cleanly on SIGINT/SIGTERM (default true): finish the current step, save it, write run.json `interrupted`
   * and throw TrainingInterruptedError; rerunning resumes at that step (see interrupt.ts)
   */
  handleSignals?: boolean;
  /** steps compute the loss but do not update the weights (dry run of a model too big to train here; trainStep) */
  forwardOnly?: boolean;
}

/** The best validation score so far and the epoch that reached it (its weights are in `best/`). */
export interface BestRecord {
  epoch: number;
  step: number;
  accuracy: number;
}

/** `last/state.json`: where a resumed run continues. Written atomically together with the weights. */
export interface TrainState {
  version: 1;
  name: string;
  /** completed epochs (the next epoch to run, 0-based) */
  epochsDone: number;
  /** completed optimiser steps */
  step: number;
  history: EpochRecord[];
  best?: BestRecord;
  /** total training seconds over all calls */
  seconds: number;
  /** what must not change between a run and its resume */
  fingerprint: Record<string, unknown>;
  /**
   * an epoch stopped part-way by a signal: `stepsDone` of epoch `epoch` (0-based) are in the saved weights, with
   * the sums the epoch record needs; a resume continues with the next step of that epoch
   */
  partial?: { epoch: number; stepsDone: number; lossSum: number; sums: Record<string, number>; stepLoss: number[]; trainSeconds: number };
}

export interface FitResult {
  runDir: string;
  /** 'completed': all epochs done (possibly earlier); 'stopped': `shouldStop` ended it */
  status: 'completed' | 'stopped';
  epochsDone: number;
  step: number;
  history: EpochRecord[];
  best?: BestRecord;
  /** epochs already done when this call started (0 for a fresh run) */
  resumedAt: number;
}

export const RUN_JSON = 'run.json';
export const STATE_JSON = 'state.json';
export const LAST_DIR = 'last';
export const BEST_DIR = 'best';

export { runDirFor };

/**
 * Trains `model` for `epochs × batchesPerEpoch` steps, validating and checkpointing after every epoch, resuming a
 * killed run from its last completed epoch. Files in `runs/<name>/`:
 * - `last/` (model.json, weights.bin, optimizer.json/.bin, state.json): the resume point, replaced atomically;
 * - `best/` (model.json, weights.bin): the weights with the highest validation accuracy (only with `validate`);
 * - `run.json`: config, per-epoch history (loss parts, validation, times), best, status — for notebooks and readers.
 * A NaN/Inf loss stops the run with TrainingDivergedError (run.json records it; `last/` keeps the last good epoch).
 *
 * @example
 * const r = await fit({ name: 'ggcnn-s1', model, data: (e) => new BatchLoader(ds, train, { ...opts, seed: 1 + e }),
 *                       validate: (m) => evaluateModel(m, valSamples) });
 */
export async function fit(opts: FitOptions): Promise<FitResult> {
  const runDir = opts.runDir ?? runDirFor(opts.name);
  // one writer per run folder, from before anything is read or deleted until the last file is written
  const releaseLock = acquireRunLock(runDir);
  try {
    return await fitLocked(opts, runDir);
  } finally {
    releaseLock();
  }
}

async function fitLocked(opts: FitOptions, runDir: string): Promise<FitResult> {
  const profile = opts.epochs === undefined || opts.batchesPerEpoch === undefined ? currentProfile() : undefined;
  const epochs = opts.epochs ?? profile!.epochs;
  const stepsPerEpoch = opts.batchesPerEpoch ?? profile!.batchesPerEpoch;
  checkPositiveInt('epochs', epochs);
  checkPositiveInt('batchesPerEpoch', stepsPerEpoch);
  const validateEvery = opts.validateEvery ?? 1;
  checkPositiveInt('validateEvery', validateEvery);
  const optimizerCfg = opts.optimizer ?? DEFAULT_OPTIMIZER;
  const schedule = opts.schedule ?? { kind: 'constant' };
  const model = opts.model;
  const lastDir = path.join(runDir, LAST_DIR);
  const bestDir = path.join(runDir, BEST_DIR);
  const progress = opts.onProgress === null ? () => {} : (opts.onProgress ?? defaultProgress());
  const preciseBn = opts.preciseBn && opts.preciseBn.batches > 0 && batchNormLayers(model).length > 0 ? opts.preciseBn : undefined;
  const calibrationData = preciseBn ? (preciseBn.data ?? (typeof opts.data === 'function' ? opts.data : undefined)) : undefined;
  if (preciseBn && !calibrationData) {
    throw new ConfigError('fit: preciseBn needs its own `data` factory when the training data is a single endless source');
  }
  const fingerprint = makeFingerprint(opts, stepsPerEpoch, optimizerCfg, schedule, preciseBn?.batches ?? null);
  const kdPair = !!opts.teacher && (opts.kd?.pair ?? 0) > 0;
  const teacherFeatureLayer = kdPair ? featureLayerName(trainingView(opts.teacher!, { wantFeatures: true, tap: opts.kd?.teacherFeatures })) : undefined;
  const totalSteps = epochs * stepsPerEpoch;

  // ---- start or resume
  const resume = opts.resume ?? true;
  if (!resume) clearRun(runDir);
  const resumeFrom = resume ? readableCheckpointDir(lastDir) : undefined;
  const optimizer = createOptimizer(optimizerCfg);
  let state: TrainState = { version: 1, name: opts.name, epochsDone: 0, step: 0, history: [], seconds: 0, fingerprint };
  if (resumeFrom) {
    state = readJson<TrainState>(path.join(resumeFrom, STATE_JSON));
    checkFingerprint(state.fingerprint, fingerprint, runDir, opts.resumeHint);
    loadWeightsInto(model, resumeFrom);
    await loadOptimizerState(optimizer, resumeFrom, model.trainableWeights.length);
    state.best = bestOnDisk(bestDir) ?? state.best;
  }
  const resumedAt = state.epochsDone;
  let dataNote: string | undefined;
  if (resumeFrom && typeof opts.data !== 'function' && state.epochsDone < epochs) {
    if (opts.data.skipBatches) await opts.data.skipBatches(state.step);
    else dataNote = `resumed at step ${state.step} with a batch source that cannot skip: later batches differ from an uninterrupted run`;
  }
  const runInfo = {
    name: opts.name,
    config: opts.config ?? {},
    train: { epochs, batchesPerEpoch: stepsPerEpoch, optimizer: optimizerCfg, schedule, lossKind: opts.lossKind ?? 'mse',
      auxWeight: opts.auxWeight ?? DEFAULT_AUX_WEIGHT, kd: opts.teacher ? (opts.kd ?? null) : null, validateEvery,
      preciseBnBatches: preciseBn?.batches ?? 0, ...(opts.forwardOnly ? { forwardOnly: true } : {}) },
    model: { name: model.name, params: model.countParams(), outputs: model.outputs.map((o) => o.shape) },
    backend: tf.getBackend(),
  };
  const writeRun = (status: string, extra: Record<string, unknown> = {}) =>
    writeJsonAtomic(path.join(runDir, RUN_JSON), {
      ...runInfo,
      status,
      epochsDone: state.epochsDone,
      step: state.step,
      best: state.best ?? null,
      seconds: round(state.seconds),
      updated: new Date().toISOString(),
      ...(dataNote ? { dataNote } : {}),
      history: state.history,
      ...extra,
    });

  const t0 = Date.now();
  progress({ type: 'start', runDir, startEpoch: state.epochsDone, epochs, resumed: !!resumeFrom, startStep: state.step, totalSteps });
  let status: FitResult['status'] = 'completed';
  let stepSecondsSum = 0;
  let stepsTimed = 0;
  let valSecondsSum = 0;
  let valsTimed = 0;
  const valEpochsLeft = (fromEpoch: number) => {
    let n = 0;
    for (let e = fromEpoch; e < epochs; e++) if (shouldValidate(e, epochs, validateEvery) && opts.validate) n++;
    return n;
  };
  const eta = (stepsLeft: number, fromEpoch: number) =>
    (stepsTimed ? (stepSecondsSum / stepsTimed) * stepsLeft : NaN) + (valsTimed ? (valSecondsSum / valsTimed) * valEpochsLeft(fromEpoch) : 0);

  // A signal only raises a flag (and says so in run.json at once): the loop stops after the step in progress.
  const watch = (opts.handleSignals ?? true)
    ? watchInterrupts((signal) => {
        writeRun('interrupted', { signal, note: `${signal} received at step ${state.step}: stopping after the current step` });
        progress({ type: 'interrupt', signal, step: state.step });
      })
    : undefined;
  /** Saves what an interrupted epoch has done so far, records it, and returns the error `fit` throws. */
  const stopForSignal = async (signal: StopSignal, partial?: TrainState['partial']): Promise<TrainingInterruptedError> => {
    if (partial) {
      state.partial = partial;
      await replaceDir(lastDir, async (tmp) => {
        await saveModel(model, tmp, { run: opts.name, epoch: state.epochsDone, step: state.step, partialEpoch: partial.epoch + 1 });
        await saveOptimizer(optimizer, tmp);
        writeJsonAtomic(path.join(tmp, STATE_JSON), state);
      });
    }
    const where = partial ? `epoch ${partial.epoch + 1}/${epochs}, step ${partial.stepsDone}/${stepsPerEpoch}` : `the end of epoch ${state.epochsDone}/${epochs}`;
    writeRun('interrupted', { signal, resumeAt: { epoch: (partial ? partial.epoch : state.epochsDone) + 1, step: state.step + 1 } });
    progress({ type: 'end', status: 'interrupted', epochsDone: state.epochsDone, elapsed: (Date.now() - t0) / 1000, message: `${signal} at ${where}` });
    return new TrainingInterruptedError(
      signal,
      runDir,
      partial ? partial.epoch + 1 : state.epochsDone,
      state.step,
      `${signal}: training of ${runDir} stopped at ${where} (step ${state.step} of ${totalSteps}); ` +
        `the weights and optimiser state of step ${state.step} are saved in ${lastDir}, and the same run resumes from there`,
    );
  };

  try {
    for (let epoch = state.epochsDone; epoch < epochs; epoch++) {
      const partial = state.partial?.epoch === epoch ? state.partial : undefined;
      state.partial = undefined;
      writeRun('running');
      const source = typeof opts.data === 'function' ? opts.data(epoch) : opts.data;
      const sums: Record<string, number> = { ...(partial?.sums ?? {}) };
      let lossSum = partial?.lossSum ?? 0;
      let lr = optimizerCfg.lr;
      const stepLoss: number[] = [...(partial?.stepLoss ?? [])];
      const startStep = partial?.stepsDone ?? 0;
      // an epoch interrupted part-way continues with its next batch
      if (startStep > 0 && typeof opts.data === 'function') await skipBatches(source, startStep);
      const tEpoch = Date.now() - (partial?.trainSeconds ?? 0) * 1000;
      for (let s = startStep; s < stepsPerEpoch; s++) {
        lr = learningRateAt(schedule, optimizerCfg.lr, state.step, totalSteps);
        setLearningRate(optimizer, lr);
        const tStep = Date.now();
        const batch = await source.nextBatch();
        let r;
        try {
          const teacherForward = opts.teacher && opts.forward ? await opts.forward(opts.teacher, { featureLayer: teacherFeatureLayer }) : undefined;
          r = await trainStep(model, optimizer, batch, {
            lossKind: opts.lossKind, auxWeight: opts.auxWeight, teacher: opts.teacher, teacherForward, kd: opts.kd, step: state.step + 1,
            forwardOnly: opts.forwardOnly,
          });
        } finally {
          tf.dispose([batch.x, batch.y]);
        }
        state.step++;
        // The first step of a call includes kernel warm-up: leave it out of the ETA average when there are others.
        if (s > startStep || epoch > resumedAt) {
          stepSecondsSum += (Date.now() - tStep) / 1000;
          stepsTimed++;
        }
        lossSum += r.loss;
        stepLoss.push(round(r.loss));
        for (const [k, v] of Object.entries(r.parts)) if (v !== undefined) sums[k] = (sums[k] ?? 0) + (v as number);
        progress({
          type: 'step', epoch: epoch + 1, epochs, stepInEpoch: s + 1, stepsPerEpoch, step: state.step, totalSteps,
          loss: r.loss, parts: r.parts as StepParts, lr, elapsed: (Date.now() - t0) / 1000,
          eta: eta(totalSteps - state.step, epoch),
        });
        if (watch?.signal && s + 1 < stepsPerEpoch) {
          (source as { dispose?: () => void }).dispose?.();
          throw await stopForSignal(watch.signal, {
            epoch, stepsDone: s + 1, lossSum, sums, stepLoss, trainSeconds: round((Date.now() - tEpoch) / 1000),
          });
        }
      }
      (source as { dispose?: () => void }).dispose?.();
      const trainSeconds = (Date.now() - tEpoch) / 1000;

      let bnSeconds = 0;
      if (preciseBn) {
        const tBn = Date.now();
        const calib = calibrationData!(epoch);
        await recomputeBatchNormStats(model, calib, preciseBn.batches);
        (calib as { dispose?: () => void }).dispose?.();
        bnSeconds = (Date.now() - tBn) / 1000;
      }

      let val: Record<string, number> | undefined;
      let valSeconds = 0;
      if (opts.validate && shouldValidate(epoch, epochs, validateEvery)) {
        progress({ type: 'validate', epoch: epoch + 1, epochs });
        const tVal = Date.now();
        val = numericFields(await opts.validate(mainOutputModel(model)));
        valSeconds = (Date.now() - tVal) / 1000;
        valSecondsSum += valSeconds;
        valsTimed++;
      }
      const record: EpochRecord = {
        epoch: epoch + 1,
        step: state.step,
        loss: round(lossSum / stepsPerEpoch),
        parts: Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, round(v / stepsPerEpoch)])),
        lr,
        ...(val ? { val } : {}),
        trainSeconds: round(trainSeconds),
        valSeconds: round(valSeconds),
        ...(preciseBn ? { bnSeconds: round(bnSeconds) } : {}),
        stepLoss,
      };
      state.history.push(record);
      state.epochsDone = epoch + 1;
      state.seconds += trainSeconds + bnSeconds + valSeconds;

      // best/ before last/: last/state.json must never name a best that is not on disk.
      if (val && (state.best === undefined || val.accuracy > state.best.accuracy)) {
        const best: BestRecord = { epoch: epoch + 1, step: state.step, accuracy: val.accuracy };
        await replaceDir(bestDir, (tmp) => saveModel(model, tmp, { grasplabBest: best, run: opts.name }));
        state.best = best;
      }
      await replaceDir(lastDir, async (tmp) => {
        await saveModel(model, tmp, { run: opts.name, epoch: epoch + 1, step: state.step });
        await saveOptimizer(optimizer, tmp);
        writeJsonAtomic(path.join(tmp, STATE_JSON), state);
      });
      writeRun(state.epochsDone >= epochs ? 'completed' : 'running');
      progress({ type: 'epoch', record, epochs, bestAccuracy: state.best?.accuracy, eta: eta(totalSteps - state.step, epoch + 1) });

      // a signal during the last step, precise BN, validation or the checkpoint: the epoch is complete and saved
      if (watch?.signal && state.epochsDone < epochs) throw await stopForSignal(watch.signal);
      if (epoch + 1 < epochs && opts.shouldStop?.({ epoch: epoch + 1, history: state.history })) {
        status = 'stopped';
        writeRun('stopped');
        break;
      }
    }
  } catch (e) {
    watch?.dispose();
    if (e instanceof TrainingInterruptedError) {
      optimizer.dispose();
      throw e;
    }
    const diverged = e instanceof TrainingDivergedError;
    const message = e instanceof Error ? e.message : String(e);
    writeRun(diverged ? 'diverged' : 'failed', { error: message });
    progress({ type: 'end', status: diverged ? 'diverged' : 'failed', epochsDone: state.epochsDone, elapsed: (Date.now() - t0) / 1000, message });
    optimizer.dispose();
    throw e;
  }
  watch?.dispose();
  optimizer.dispose();
  if (state.epochsDone >= epochs) writeRun('completed');
  const bestFrom = opts.restoreBest && state.best ? readableCheckpointDir(bestDir) : undefined;
  if (bestFrom) loadWeightsInto(model, bestFrom);
  progress({ type: 'end', status, epochsDone: state.epochsDone, elapsed: (Date.now() - t0) / 1000 });
  return { runDir, status, epochsDone: state.epochsDone, step: state.step, history: state.history, best: state.best, resumedAt };
}

/** Advances a per-epoch source past `n` batches (its own `skipBatches`, else reading and discarding them). */
async function skipBatches(source: BatchSource, n: number): Promise<void> {
  if (source.skipBatches) {
    await source.skipBatches(n);
    return;
  }
  for (let i = 0; i < n; i++) {
    const b = await source.nextBatch();
    tf.dispose([b.x, b.y]);
  }
}

/** The exit status a CLI should end with after `e` (130 / 143 for an interrupted run), else undefined. */
export function interruptedExitCode(e: unknown): number | undefined {
  return e instanceof TrainingInterruptedError ? exitCodeFor(e.signal) : undefined;
}

/** The run.json of a run (for notebooks plotting a finished run), or undefined. */
export function readRun(name: string): Record<string, unknown> | undefined {
  const file = path.join(runDirFor(name), RUN_JSON);
  return fs.existsSync(file) ? readJson<Record<string, unknown>>(file) : undefined;
}

function shouldValidate(epoch: number, epochs: number, every: number): boolean {
  return (epoch + 1) % every === 0 || epoch + 1 === epochs;
}

function bestOnDisk(bestDir: string): BestRecord | undefined {
  const dir = readableCheckpointDir(bestDir);
  const best = dir ? readModelMetadata(dir)?.grasplabBest : undefined;
  return best as BestRecord | undefined;
}

/** Deletes a run's checkpoints and run.json (never anything outside `runDir`; the lock stays). */
function clearRun(runDir: string): void {
  for (const d of [LAST_DIR, BEST_DIR]) {
    for (const suffix of ['', '.tmp', '.old']) removeInside(runDir, path.join(runDir, d + suffix));
  }
  removeInside(runDir, path.join(runDir, RUN_JSON));
}

/** What a resumed run must share with the original: architecture, data per epoch, loss and optimiser settings. */
function makeFingerprint(
  opts: FitOptions,
  batchesPerEpoch: number,
  optimizer: OptimizerConfig,
  schedule: LrSchedule,
  preciseBnBatches: number | null,
): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify({
      weights: opts.model.weights.map((w) => w.shape.join('x')).join(','),
      outputs: opts.model.outputs.map((o) => o.shape),
      batchesPerEpoch,
      optimizer,
      schedule,
      lossKind: opts.lossKind ?? 'mse',
      auxWeight: opts.auxWeight ?? DEFAULT_AUX_WEIGHT,
      teacher: opts.teacher ? opts.teacher.weights.map((w) => w.shape.join('x')).join(',') : null,
      kd: opts.teacher ? (opts.kd ?? null) : null,
      preciseBn: preciseBnBatches,
      config: opts.config ?? {},
    }),
  );
}

/** Refuses a resume whose settings differ from the saved run's, naming each differing key and its two values. */
function checkFingerprint(saved: Record<string, unknown> | undefined, now: Record<string, unknown>, runDir: string, hint?: string): void {
  const changes = configChanges(saved ?? {}, now);
  if (changes.length) {
    throw new RunConfigChangedError(
      runDir,
      changes,
      `cannot resume ${runDir}: it was started with other settings (${describeChanges(changes)}). ` +
        (hint ?? 'Start it over with fit({ resume: false }), or use another run name.'),
    );
  }
}

function numericFields(r: ValidationResult): Record<string, number> {
  if (!(typeof r?.accuracy === 'number' && Number.isFinite(r.accuracy))) {
    throw new ConfigError(`validate() must return { accuracy: number, ... }, got accuracy=${String(r?.accuracy)}`);
  }
  return Object.fromEntries(Object.entries(r as object).filter(([, v]) => typeof v === 'number' && Number.isFinite(v))) as Record<string, number>;
}

function checkPositiveInt(name: string, v: number): void {
  if (!(Number.isInteger(v) && v > 0)) throw new ConfigError(`${name} must be a positive integer, got ${v}`);
}

/** 6 significant digits: enough for curves, keeps JSON small. */
function round(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(6)) : v;
}
