/**
 * The workbook's experiment glue: what every notebook and the CLI do before and around training, in one place so a
 * notebook only wires, displays and asserts. Data → split → loaders → model → fit (validated, checkpointed) → metrics.
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendReport } from './backend/setup';
import { dryRun } from './config/dry_run';
import { currentDataset, PROJECT_ROOT, type DatasetChoice } from './config/paths';
import { currentProfile, type Profile } from './config/profiles';
import { openDataset, type DatasetEntry, type GraspDataset } from './data/dataset';
import { BatchLoader, RawSampleCache } from './data/loader';
import type { PreprocessOptions } from './data/preprocess';
import { splitEntries } from './data/split';
import { ensureSyntheticSet, isCompleteSyntheticSet, SYNTHETIC_DEFAULT_SEED } from './data/synthetic';
import { currentSyntheticConfig, syntheticConfigName, type SyntheticConfig } from './config/synthetic';
import { ensureSyntheticTestSplit, syntheticTestDir, testSplitFingerprint } from './data/test_split';
import { detectGraspsInMaps } from './eval/detect';
import { evaluateModel, mapsFromBatch, type EvaluateOptions, type EvaluationResult } from './eval/metric';
import { comparePaired } from './eval/paired_comparison';
import { scoreTestSplit, type TestScore } from './eval/test_record';
import { measureLatency } from './eval/timing';
import { defaultForwardEngine, type ForwardEngine } from './export/forward_engine';
import { depthBatch } from './models/predictor';
import { dryRunForwardOnly, fitDryRunToMemory } from './models/profile_memory';
import { buildModel, describeModel, inferenceModel, type ModelConfig } from './models/registry';
import { fit, type FitResult } from './train/loop';
import { keyedRunName } from './train/run_key';
import type { EpochRecord, ProgressCallback } from './train/progress';
import type { KdStepOptions } from './train/step';
import type { Grasp, GraspMaps, Sample } from './types';

/** Everything shared by the experiments of one notebook run. */
export interface Workbench {
  profile: Profile;
  backend: BackendReport;
  choice: DatasetChoice;
  dataset: GraspDataset;
  /**
   * `test`: the held-out synthetic test split (lib/data/test_split.ts; the profile's `testImages` first scenes), entries
   * of `testDataset`; never trained on nor used to choose a checkpoint. Empty for real datasets, which keep their
   * image-wise/object-wise train/validation split.
   */
  split: { train: DatasetEntry[]; val: DatasetEntry[]; test: DatasetEntry[] };
  /** the dataset the test entries belong to (synthetic: `<data dir>-test`) */
  testDataset?: GraspDataset;
  /** fixed, unaugmented test samples, preprocessed like `valSamples`; loaded on the first call, then kept */
  testSamples(): Promise<Sample[]>;
  /** training augmentation: ggcnn's random quarter rotations and zoom 0.5–1.0 */
  trainPreprocess: PreprocessOptions;
  /** fixed, unaugmented validation samples (so every model is scored on identical inputs) */
  valSamples: Sample[];
  /** seed of the split (and default seed of runs) */
  seed: number;
  /** decoded training samples, shared by every run's per-epoch loaders */
  trainCache: RawSampleCache;
  /** forward-only passes (validation, KD teacher, latency): ONNX Runtime where installed, else tfjs */
  forward: ForwardEngine;
}

export interface WorkbenchOptions {
  /** 'image' (IW, default) or 'object' (OW) split; ggcnn's default `--split 0.9` */
  splitMode?: 'image' | 'object';
  trainFraction?: number;
  seed?: number;
  /** progress of synthetic data generation (default: a line every 10%) */
  log?: (msg: string) => void;
  /** memory for decoded training scenes shared by all runs (default 512 MiB: the cpu profile's 360 fit) */
  trainCacheBytes?: number;
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
  if (choice.kind === 'synthetic') await ensureSyntheticData(choice.dir, profile.syntheticScenes, log, choice.synthetic?.config);
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
  const forward = defaultForwardEngine();
  log(`grasplab: forward passes (validation, KD teacher, latency) on ${forward.description}${forward.note ? ` (${forward.note})` : ''}`);
  const testDataset = choice.kind === 'synthetic' ? await openSyntheticTestSplit(choice.dir, profile.testImages, log, choice.synthetic?.config) : undefined;
  const testEntries = testDataset ? testDataset.entries.slice(0, profile.testImages) : [];
  let testSamples: Promise<Sample[]> | undefined;
  return {
    profile,
    backend,
    choice,
    dataset,
    split: { train: split.train, val: valEntries, test: testEntries },
    testDataset,
    testSamples: () =>
      (testSamples ??= testDataset
        ? new BatchLoader(testDataset, testEntries, { batchSize: 1, seed, shuffle: false, cacheBytes: 0, preprocess: { outputSize: size, rotate: 'none', zoom: false } }).samples()
        : Promise.resolve([])),
    trainPreprocess: { outputSize: size, rotate: 'quarter', zoom: true },
    valSamples,
    seed,
    trainCache: new RawSampleCache(opts.trainCacheBytes ?? TRAIN_CACHE_BYTES),
    forward,
  };
}

/** Decoded-sample cache of a workbench: the 360 training scenes of the cpu profile (640x480 float32 each) fit. */
const TRAIN_CACHE_BYTES = 512 * 2 ** 20;

/** What defines the workbench's test split, recorded with every test score. */
export function testFingerprint(wb: Workbench): Record<string, unknown> {
  return { ...testSplitFingerprint(wb.split.test.length), inputSize: wb.profile.inputSize };
}

/** Generates the first `count` scenes of the synthetic test split beside `trainDir` when missing, and opens them. */
async function openSyntheticTestSplit(trainDir: string, count: number, log: (msg: string) => void, config?: SyntheticConfig): Promise<GraspDataset> {
  const dir = syntheticTestDir(trainDir);
  let next = 0.25;
  await ensureSyntheticTestSplit(dir, count, {
    config,
    onProgress: (done, total) => {
      if (done === 1) log(`generating ${total} synthetic test scenes into ${dir} ...`);
      if (done / total >= next) {
        log(`  ${done}/${total}`);
        next += 0.25;
      }
    },
  });
  return openDataset({ kind: 'synthetic', dir });
}

/**
 * The workbook's one scoring path — validation after every epoch, the test split, comparisons, the CLI — so a faster
 * forward pass plugged in here serves them all: the rectangle metric of every image (lib/eval/metric), the forward
 * passes on `engine` (default: the process's engine, ONNX Runtime where installed, else tfjs; lib/export/forward_engine).
 */
export async function scoreModel(model: tf.LayersModel, samples: readonly Sample[], opts: EvaluateOptions = {}, engine: ForwardEngine = defaultForwardEngine()): Promise<EvaluationResult> {
  return evaluateModel(await engine.predictor(model), samples, opts);
}

/**
 * Writes the synthetic set into `dir` unless a complete one of this size, seed and generator configuration (default:
 * `GRASPLAB_SYNTHETIC`'s preset) is already there. `currentDataset().dir` is the configuration's own folder.
 */
export async function ensureSyntheticData(dir: string, count: number, log: (msg: string) => void = console.log, config: SyntheticConfig = currentSyntheticConfig().config): Promise<void> {
  if (isCompleteSyntheticSet(dir, { count, seed: SYNTHETIC_DEFAULT_SEED, config })) return;
  log(`generating ${count} synthetic scenes (generator ${syntheticConfigName(config)}) into ${dir} ...`);
  const t0 = Date.now();
  let next = 0.1;
  await ensureSyntheticSet(dir, {
    count,
    seed: SYNTHETIC_DEFAULT_SEED,
    config,
    onProgress: (done, total) => {
      if (done / total >= next) {
        log(`  ${done}/${total}`);
        next += 0.1;
      }
    },
  });
  const secs = (Date.now() - t0) / 1000;
  log(`synthetic scenes written in ${secs.toFixed(1)} s (${((1000 * secs) / count).toFixed(0)} ms per scene)`);
}

/** One training run: a model config plus how to train it. */
export interface ExperimentSpec {
  /**
   * readable run name: the run's folder is `results/runs/<name>-<key>`, the key a short hash of everything that
   * defines the run (lib/train/run_key.ts), so another profile, seed, dataset or setting is another run
   */
  name: string;
  /** use `name` itself as the folder (the CLI's `--run-name`); a run there with other settings is then refused */
  exactName?: boolean;
  /** false: start the run over, deleting its checkpoints (default true: reload a finished run, resume an interrupted one) */
  resume?: boolean;
  /** what the user should do when an `exactName` run holds other settings (default: a notebook user's options) */
  resumeHint?: string;
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
  /** precise-BN batches after each epoch (default: the profile's; a smaller batch size may use more, for equal images) */
  preciseBnBatches?: number;
  /** run folder (default `<results>/runs/<name>`): the evidence runs keep theirs under results/reference/runs */
  runDir?: string;
  onProgress?: ProgressCallback | null;
  /**
   * more image sets scored after every epoch beside validation, e.g. `{ real: <real Cornell samples> }`: recorded in the
   * epoch history as `realAccuracy`/`realCorrect`/`realTotal` (a learning curve on those images), never used to choose
   * the checkpoint, and not part of the run's config
   */
  monitor?: Record<string, readonly Sample[]>;
}

/** What a run gives a notebook. */
export interface ExperimentResult {
  name: string;
  spec: Omit<ExperimentSpec, 'teacher' | 'onProgress' | 'runDir' | 'monitor'>;
  /** the trained model as built (may have aux/feature outputs), with the best validation weights loaded */
  trainModel: tf.LayersModel;
  /** the inference model: main output only `[B,S,S,4]`, sharing weights with `trainModel` */
  model: tf.LayersModel;
  history: EpochRecord[];
  /** best validation accuracy over epochs, and its epoch */
  best?: { epoch: number; accuracy: number };
  /** the best-validation checkpoint scored on the workbench's test split (undefined when it has none) */
  test?: TestScore;
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
  const { teacher, onProgress, runDir, monitor, resume, exactName, resumeHint, ...recorded } = spec;
  // the folder: the name as given (CLI --run-name, an explicit runDir), else the name plus the configuration's key
  const folder = exactName || runDir ? spec.name : keyedRunName(spec.name, runConfig(wb, spec, seed, batchSize));
  const forwardOnly = dryRunForwardOnly(wb.profile, wb.backend.backend, trainModel, batchSize, teacher);
  if (forwardOnly) console.log(`grasplab: ${spec.name}: ${forwardOnly}`);
  const result = await fit({
    name: folder,
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
    forward: wb.forward.predictor,
    preciseBn: { batches: spec.preciseBnBatches ?? wb.profile.preciseBnBatches },
    validate: async (m) => {
      const val = await scoreModel(m, wb.valSamples);
      const monitored: Record<string, number> = {};
      for (const [key, samples] of Object.entries(monitor ?? {})) {
        const r = await scoreModel(m, samples);
        Object.assign(monitored, { [`${key}Accuracy`]: r.accuracy, [`${key}Correct`]: r.correct, [`${key}Total`]: r.total });
      }
      return { ...val, ...monitored };
    },
    restoreBest: true,
    runDir,
    // what a resume must match (the key above covers more; this stays as runs saved so far recorded it)
    config: {
      ...recorded, seed, batchSize, profile: wb.profile.name, dataset: wb.choice.kind,
      ...(wb.choice.synthetic ? { syntheticSet: wb.choice.synthetic.name } : {}), valImages: wb.valSamples.length,
      ...(wb.profile.dryRun ? { dryRun: wb.profile.dryRun } : {}),
    },
    resume,
    resumeHint: resumeHint ?? NOTEBOOK_RESUME_HINT,
    onProgress,
    forwardOnly: !!forwardOnly,
  });
  const model = trainModel.outputs.length > 1 ? inferenceModel(trainModel) : trainModel;
  const { params, flops } = describeModel(model);
  const testSamples = await wb.testSamples();
  // the best checkpoint's test verdicts, once per run (test.json in the run folder), for paired statistics later
  const test = testSamples.length
    ? await scoreTestSplit(result.runDir, { best: result.best, samples: testSamples, fingerprint: testFingerprint(wb), score: (s) => scoreModel(model, s) })
    : undefined;
  return {
    name: folder,
    spec: { ...recorded, seed },
    trainModel,
    model,
    history: result.history,
    best: result.best ? { epoch: result.best.epoch, accuracy: result.best.accuracy } : undefined,
    test,
    params,
    flops,
    trainSeconds: result.history.reduce((s, h) => s + h.trainSeconds, 0),
    runDir: result.runDir,
    fit: result,
  };
}

/**
 * What to do when a run folder holds a run of other settings that its key does not cover (in practice: the code that
 * builds or trains the model changed since the run was saved).
 */
const NOTEBOOK_RESUME_HINT =
  'The code that builds or trains this model has probably changed since. In a notebook: delete that folder and rerun the cell ' +
  '(or run `npm run reproduce`, which starts every run fresh).';

/**
 * Everything that defines a run of `runExperiment`, hashed into its folder name's key: profile, dataset (kind and
 * folder), split, the model and training settings as resolved (epochs included), seed, and the KD teacher's weights.
 */
export function runConfig(wb: Workbench, spec: ExperimentSpec, seed: number, batchSize: number): Record<string, unknown> {
  return {
    profile: wb.profile.name,
    dataset: wb.choice.kind,
    dataDir: projectRelative(wb.choice.dir),
    syntheticSet: wb.choice.synthetic?.name ?? null,
    split: { seed: wb.seed, train: wb.split.train.length, val: wb.valSamples.length },
    model: { ...spec.model, inputSize: spec.model.inputSize ?? wb.profile.inputSize },
    seed,
    batchSize,
    epochs: spec.epochs ?? wb.profile.epochs,
    batchesPerEpoch: spec.batchesPerEpoch ?? wb.profile.batchesPerEpoch,
    lr: spec.lr ?? 1e-3,
    lossKind: spec.lossKind ?? 'mse',
    auxWeight: spec.auxWeight ?? null,
    kd: spec.teacher ? (spec.kd ?? null) : null,
    teacher: spec.teacher ? { params: spec.teacher.countParams(), weightSum: Number(weightChecksum(spec.teacher).toPrecision(6)) } : null,
    preciseBnBatches: spec.preciseBnBatches ?? wb.profile.preciseBnBatches,
  };
}

/** `p` relative to the project root when inside it (so run keys survive moving the checkout), else absolute. */
function projectRelative(p: string): string {
  const rel = path.relative(PROJECT_ROOT, p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : p;
}

/**
 * Median forward latency (ms) of one 300x300 depth image at batch 1 (maps read back), on the forward engine
 * (default: ONNX Runtime where installed, else tfjs on the active backend; `engine.description` says which).
 */
export async function forwardLatencyMs(model: tf.LayersModel, opts: { runs?: number; warmup?: number; engine?: ForwardEngine } = {}): Promise<number> {
  const size = model.inputs[0].shape[1] ?? 300;
  const predictor = await (opts.engine ?? defaultForwardEngine()).predictor(model);
  const x = tf.tidy(() => tf.randomNormal([1, size, size, 1], 0, 0.1, 'float32', 7).dataSync() as Float32Array);
  // a dry run times 2 passes (a PSPNet-R101 forward takes seconds on a CPU)
  const counts = dryRun() ? { warmup: opts.warmup ?? 1, runs: opts.runs ?? 2 } : { warmup: opts.warmup ?? 2, runs: opts.runs ?? 10 };
  const r = await measureLatency(() => predictor.predict({ data: x, shape: [1, size, size, 1] }), counts);
  return r.median;
}

/** Predicted maps and top-k grasps for samples (batched, on the forward engine; no tensors kept). */
export async function predictSamples(model: tf.LayersModel, samples: Sample[], opts: { topK?: number; batchSize?: number; engine?: ForwardEngine } = {}): Promise<{ maps: GraspMaps[]; grasps: Grasp[][] }> {
  const maps: GraspMaps[] = [];
  const bs = opts.batchSize ?? 4;
  const predictor = await (opts.engine ?? defaultForwardEngine()).predictor(model);
  for (let i = 0; i < samples.length; i += bs) {
    const out = await predictor.predict(depthBatch(samples.slice(i, i + bs).map((s) => s.depth), 'predictSamples'));
    maps.push(...mapsFromBatch(out.maps));
  }
  return { maps, grasps: maps.map((m) => detectGraspsInMaps(m, { maxGrasps: opts.topK ?? 1 })) };
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
  /** what ran the timed forward pass */
  'forward engine': string;
  'train s': number;
  [k: string]: string | number;
}

/** `[lo, hi]` with one decimal, for table cells. */
function fmtInterval(lo: number, hi: number): string {
  return `[${lo.toFixed(1)}, ${hi.toFixed(1)}]`;
}

/**
 * Scores trained runs on the workbench's validation images and times their forward pass (same inputs for all). With a
 * test split, each row also shows the run's test accuracy with its Wilson 95 % interval and, against the first row
 * (the baseline), the paired difference on the same test images with its bootstrap 95 % interval and McNemar's p.
 */
export async function compareRuns(wb: Workbench, runs: { label: string; result: ExperimentResult }[]): Promise<ComparisonRow[]> {
  const rows: ComparisonRow[] = [];
  const baseline = runs[0]?.result.test;
  for (const { label, result } of runs) {
    // The run's best-epoch score was measured on these same validation images with the weights the model now holds
    // (runExperiment restores the best epoch); re-evaluating would only repeat it.
    const best = result.fit.best;
    const ev = best && result.fit.history.find((h) => h.epoch === best.epoch)?.val?.total === wb.valSamples.length
      ? { accuracy: best.accuracy, correct: Math.round(best.accuracy * wb.valSamples.length), total: wb.valSamples.length }
      : await scoreModel(result.model, wb.valSamples);
    const row: ComparisonRow = {
      model: label,
      params: result.params,
      GFLOPs: result.flops / 1e9,
      'accuracy %': 100 * ev.accuracy,
      correct: ev.correct,
      'val images': ev.total,
      'forward ms (batch 1)': await forwardLatencyMs(result.model, { engine: wb.forward }),
      'forward engine': wb.forward.kind,
      'train s': result.trainSeconds,
    };
    const t = result.test;
    if (t) {
      row['test accuracy %'] = 100 * t.accuracy;
      row['test 95% CI'] = fmtInterval(100 * t.ci95[0], 100 * t.ci95[1]);
      row['test images'] = t.total;
      if (baseline && runs[0].result !== result && baseline.total === t.total) {
        const c = comparePaired([{ baseline: baseline.success, treatment: t.success }]);
        row[`Δ test vs ${runs[0].label}`] = c.deltaPoints;
        row['Δ 95% CI'] = fmtInterval(c.ci95[0], c.ci95[1]);
        row['p McNemar'] = Number(c.pMcnemar.toPrecision(3));
      } else {
        row[`Δ test vs ${runs[0].label}`] = 0;
        row['Δ 95% CI'] = 'baseline';
        row['p McNemar'] = '';
      }
    }
    rows.push(row);
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
