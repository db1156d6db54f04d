/**
 * The workbook's experiment glue: what every notebook and the CLI do before and around training, in one place so a
 * notebook only wires, displays and asserts. Data → split → loaders → model → fit (validated, checkpointed) → metrics.
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendReport } from './backend/setup';
import { dryRun } from './config/dry_run';
import { currentDataset, type DatasetChoice } from './config/paths';
import { currentProfile, type Profile } from './config/profiles';
import { openDataset, type DatasetEntry, type GraspDataset } from './data/dataset';
import { BatchLoader, RawSampleCache } from './data/loader';
import type { PreprocessOptions } from './data/preprocess';
import { splitEntries } from './data/split';
import { isCompleteSyntheticSet, SYNTHETIC_DEFAULT_SEED, writeSyntheticDataset } from './data/synthetic';
import { detectGraspsInMaps } from './eval/detect';
import { evaluateModel, mapsFromTensor } from './eval/metric';
import { measureLatency } from './eval/timing';
import { dryRunForwardOnly, fitDryRunToMemory } from './models/profile_memory';
import { buildModel, describeModel, inferenceModel, type ModelConfig } from './models/registry';
import { fit, type FitResult } from './train/loop';
import type { EpochRecord, ProgressCallback } from './train/progress';
import type { KdStepOptions } from './train/step';
import type { Grasp, GraspMaps, Sample } from './types';

/** Everything shared by the experiments of one notebook run. */
export interface Workbench {
  profile: Profile;
  backend: BackendReport;
  choice: DatasetChoice;
  dataset: GraspDataset;
  split: { train: DatasetEntry[]; val: DatasetEntry[] };
  /** training augmentation: ggcnn's random quarter rotations and zoom 0.5–1.0 */
  trainPreprocess: PreprocessOptions;
  /** fixed, unaugmented validation samples (so every model is scored on identical inputs) */
  valSamples: Sample[];
  /** seed of the split (and default seed of runs) */
  seed: number;
  /** decoded training samples, shared by every run's per-epoch loaders */
  trainCache: RawSampleCache;
}

export interface WorkbenchOptions {
  /** 'image' (IW, default) or 'object' (OW) split; ggcnn's default `--split 0.9` */
  splitMode?: 'image' | 'object';
  trainFraction?: number;
  seed?: number;
  /** progress of synthetic data generation (default: a line every 10%) */
  log?: (msg: string) => void;
}

/**
 * Selects the backend, makes sure the dataset exists (the synthetic set is generated on first use, deterministic for
 * its seed), opens it, splits it and prepares the validation samples.
 */
export async function openWorkbench(opts: WorkbenchOptions = {}): Promise<Workbench> {
  const log = opts.log ?? ((m: string) => console.log(m));
  const backend = await selectBackend();
  // a dry run whose batch cannot fit the backend's memory runs at the report's batch 2 (and says so)
  const profile = fitDryRunToMemory(currentProfile(), backend.backend, log);
  const choice = currentDataset();
  if (choice.kind === 'synthetic') await ensureSyntheticData(choice.dir, profile.syntheticScenes, log);
  const dataset = await openDataset(choice);
  const seed = opts.seed ?? 1;
  const split = splitEntries(dataset.entries, { mode: opts.splitMode ?? 'image', trainFraction: opts.trainFraction ?? 0.9, seed });
  const valEntries = profile.valImages > 0 ? split.val.slice(0, profile.valImages) : split.val;
  const size = profile.inputSize;
  const valLoader = new BatchLoader(dataset, valEntries, {
    batchSize: 1,
    seed,
    shuffle: false,
    preprocess: { outputSize: size, rotate: 'none', zoom: false },
  });
  const valSamples = await valLoader.samples();
  return {
    profile,
    backend,
    choice,
    dataset,
    split: { train: split.train, val: valEntries },
    trainPreprocess: { outputSize: size, rotate: 'quarter', zoom: true },
    valSamples,
    seed,
    trainCache: new RawSampleCache(TRAIN_CACHE_BYTES),
  };
}

/** Decoded-sample cache of a workbench: the 360 training scenes of the cpu profile (640x480 float32 each) fit. */
const TRAIN_CACHE_BYTES = 512 * 2 ** 20;

/** Writes the synthetic set into `dir` unless a complete one of this size and seed is already there. */
export async function ensureSyntheticData(dir: string, count: number, log: (msg: string) => void = console.log): Promise<void> {
  if (isCompleteSyntheticSet(dir, { count, seed: SYNTHETIC_DEFAULT_SEED })) return;
  log(`generating ${count} synthetic scenes into ${dir} ...`);
  const t0 = Date.now();
  let next = 0.1;
  await writeSyntheticDataset(dir, {
    count,
    seed: SYNTHETIC_DEFAULT_SEED,
    onProgress: (done, total) => {
      if (done / total >= next) {
        log(`  ${done}/${total}`);
        next += 0.1;
      }
    },
  });
  log(`synthetic scenes written in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/** One training run: a model config plus how to train it. */
export interface ExperimentSpec {
  /** run name → `results/runs/<name>/` */
  name: string;
  model: ModelConfig;
  /** seed of weight init and data order (default: the workbench seed) */
  seed?: number;
  /** aux loss weight for models built with `aux: true` (PSPNet default 0.4) */
  auxWeight?: number;
  /** a trained, frozen teacher for knowledge distillation */
  teacher?: tf.LayersModel;
  kd?: KdStepOptions;
  /** defaults from the profile */
  epochs?: number;
  batchesPerEpoch?: number;
  batchSize?: number;
  lr?: number;
  lossKind?: 'mse' | 'smoothL1';
  onProgress?: ProgressCallback | null;
}

/** What a run gives a notebook. */
export interface ExperimentResult {
  name: string;
  spec: Omit<ExperimentSpec, 'teacher' | 'onProgress'>;
  /** the trained model as built (may have aux/feature outputs), with the best validation weights loaded */
  trainModel: tf.LayersModel;
  /** the inference model: main output only `[B,S,S,4]`, sharing weights with `trainModel` */
  model: tf.LayersModel;
  history: EpochRecord[];
  /** best validation accuracy over epochs, and its epoch */
  best?: { epoch: number; accuracy: number };
  params: number;
  /** FLOPs of one 300x300 forward pass */
  flops: number;
  trainSeconds: number;
  runDir: string;
  fit: FitResult;
}

/**
 * Trains (or resumes, or reloads a finished run of the same config) and returns the best-validation model. The
 * training augmentation and data order are seeded; validation is the workbench's fixed `valSamples`.
 */
export async function runExperiment(wb: Workbench, spec: ExperimentSpec): Promise<ExperimentResult> {
  const seed = spec.seed ?? wb.seed;
  const trainModel = buildModel({ seed, ...spec.model, inputSize: spec.model.inputSize ?? wb.profile.inputSize });
  const batchSize = spec.batchSize ?? wb.profile.batchSize;
  const { teacher, onProgress, ...recorded } = spec;
  const forwardOnly = dryRunForwardOnly(wb.profile, wb.backend.backend, trainModel, batchSize, teacher);
  if (forwardOnly) console.log(`grasplab: ${spec.name}: ${forwardOnly}`);
  const result = await fit({
    name: spec.name,
    model: trainModel,
    // a loader per epoch, seeded by (seed, epoch): a resumed run sees the batches an uninterrupted one would; all share
    // the workbench's cache of decoded files
    data: (epoch) => new BatchLoader(wb.dataset, wb.split.train, { batchSize, seed: seed * 1000 + epoch, shuffle: true, preprocess: wb.trainPreprocess, cache: wb.trainCache }),
    epochs: spec.epochs ?? wb.profile.epochs,
    batchesPerEpoch: spec.batchesPerEpoch ?? wb.profile.batchesPerEpoch,
    optimizer: { kind: 'adam', lr: spec.lr ?? 1e-3 },
    lossKind: spec.lossKind,
    auxWeight: spec.auxWeight,
    teacher,
    kd: spec.kd,
    preciseBn: { batches: wb.profile.preciseBnBatches },
    validate: (m) => evaluateModel(m, wb.valSamples),
    restoreBest: true,
    config: { ...recorded, seed, batchSize, profile: wb.profile.name, dataset: wb.choice.kind, valImages: wb.valSamples.length, ...(wb.profile.dryRun ? { dryRun: wb.profile.dryRun } : {}) },
    onProgress,
    forwardOnly: !!forwardOnly,
  });
  const model = trainModel.outputs.length > 1 ? inferenceModel(trainModel) : trainModel;
  const { params, flops } = describeModel(model);
  return {
    name: spec.name,
    spec: { ...recorded, seed },
    trainModel,
    model,
    history: result.history,
    best: result.best ? { epoch: result.best.epoch, accuracy: result.best.accuracy } : undefined,
    params,
    flops,
    trainSeconds: result.history.reduce((s, h) => s + h.trainSeconds, 0),
    runDir: result.runDir,
    fit: result,
  };
}

/** Median forward latency (ms) of one 300x300 depth image at batch 1 on the active backend. */
export async function forwardLatencyMs(model: tf.LayersModel, opts: { runs?: number; warmup?: number } = {}): Promise<number> {
  const size = model.inputs[0].shape[1] ?? 300;
  const x = tf.randomNormal([1, size, size, 1], 0, 0.1, 'float32', 7);
  try {
    const r = await measureLatency(
      async () => {
        const y = model.predict(x) as tf.Tensor | tf.Tensor[];
        const first = Array.isArray(y) ? y[0] : y;
        await first.data();
        tf.dispose(y);
      },
      // a dry run times 2 passes (a PSPNet-R101 forward takes seconds on a CPU)
      dryRun() ? { warmup: opts.warmup ?? 1, runs: opts.runs ?? 2 } : { warmup: opts.warmup ?? 2, runs: opts.runs ?? 10 },
    );
    return r.median;
  } finally {
    x.dispose();
  }
}

/** Predicted maps and top-k grasps for samples (batched, no tensors kept). */
export async function predictSamples(model: tf.LayersModel, samples: Sample[], opts: { topK?: number; batchSize?: number } = {}): Promise<{ maps: GraspMaps[]; grasps: Grasp[][] }> {
  const maps: GraspMaps[] = [];
  const bs = opts.batchSize ?? 4;
  for (let i = 0; i < samples.length; i += bs) {
    const chunk = samples.slice(i, i + bs);
    const size = chunk[0].depth.height;
    const y = tf.tidy(() => {
      const x = tf.tensor4d(concatDepth(chunk), [chunk.length, size, size, 1]);
      const out = model.predict(x) as tf.Tensor4D | tf.Tensor4D[];
      return Array.isArray(out) ? out[0] : out;
    });
    maps.push(...(await mapsFromTensor(y)));
    y.dispose();
  }
  return { maps, grasps: maps.map((m) => detectGraspsInMaps(m, { maxGrasps: opts.topK ?? 1 })) };
}

function concatDepth(samples: Sample[]): Float32Array {
  const n = samples[0].depth.data.length;
  const out = new Float32Array(samples.length * n);
  samples.forEach((s, i) => out.set(s.depth.data, i * n));
  return out;
}

/** One row of a model comparison table. */
export interface ComparisonRow {
  model: string;
  params: number;
  GFLOPs: number;
  'accuracy %': number;
  correct: number;
  'val images': number;
  'forward ms (batch 1)': number;
  'train s': number;
  [k: string]: string | number;
}

/** Scores trained runs on the workbench's validation images and times their forward pass (same inputs for all). */
export async function compareRuns(wb: Workbench, runs: { label: string; result: ExperimentResult }[]): Promise<ComparisonRow[]> {
  const rows: ComparisonRow[] = [];
  for (const { label, result } of runs) {
    // The run's best-epoch score was measured on these same validation images with the weights the model now holds
    // (runExperiment restores the best epoch); re-evaluating would only repeat it.
    const best = result.fit.best;
    const ev = best && result.fit.history.find((h) => h.epoch === best.epoch)?.val?.total === wb.valSamples.length
      ? { accuracy: best.accuracy, correct: Math.round(best.accuracy * wb.valSamples.length), total: wb.valSamples.length }
      : await evaluateModel(result.model, wb.valSamples);
    rows.push({
      model: label,
      params: result.params,
      GFLOPs: result.flops / 1e9,
      'accuracy %': 100 * ev.accuracy,
      correct: ev.correct,
      'val images': ev.total,
      'forward ms (batch 1)': await forwardLatencyMs(result.model),
      'train s': result.trainSeconds,
    });
  }
  return rows;
}

/** Mean and sample standard deviation (0 for a single value). */
export function meanStd(values: number[]): { mean: number; std: number; n: number } {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / Math.max(1, n);
  const std = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

/** One batch from the training split (augmented like training), for diagnostics; caller disposes x and y. */
export async function trainingBatch(wb: Workbench, seed = 99): Promise<{ x: tf.Tensor4D; y: tf.Tensor4D }> {
  const b = await new BatchLoader(wb.dataset, wb.split.train, { batchSize: wb.profile.batchSize, seed, shuffle: true, preprocess: wb.trainPreprocess }).nextBatch();
  return { x: b.x, y: b.y };
}

/** A cheap fingerprint of a model's weights (sum of |w| per tensor, summed): equal before/after ⇔ untouched in practice. */
export function weightChecksum(model: tf.LayersModel): number {
  return tf.tidy(() => model.getWeights().reduce((s, w) => s + tf.sum(tf.abs(w)).dataSync()[0], 0));
}
