import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from './backend/setup';
import { resultsDir, type DatasetKind } from './config/paths';
import { currentProfile } from './config/profiles';
import { resolveDatasetChoice, defaultEvalSplit, requireTestSplit, type EvalSplit } from './data/dataset_choice';
import { openDataset, type DatasetEntry } from './data/dataset';
import { splitEntries } from './data/split';
import { ensureSyntheticTestSplit } from './data/test_split';
import { ConfigError } from './errors';
import { evaluateDatasetEntries } from './eval/dataset_eval';
import { jacquardOutputLines } from './eval/jacquard_output';
import { openWorkbench, runExperiment } from './experiment';
import { readDepthFile } from './export/depth_file';
import { type InputFit } from './export/depth_input';
import { measureModelLatency } from './export/latency';
import { resolveModelFolder, type ModelFolder } from './export/model_folder';
import { ONNX_EXPORT_FORMATS, onnxExportPath, saveOnnx } from './export/onnx';
import { openForForward, type OpenedModel } from './export/open_model';
import { renderOverlayPng } from './export/overlay';
import { graspReport, modelInputSize, predictGrasps } from './export/predict';
import { parseWeightFormat, WEIGHT_FORMATS, type WeightFormat } from './export/quantize';
import { exportModel, loadModelFromDir } from './export/save';
import { importTorchModel } from './export/import_model';
import { writeMapsNpy } from './export/maps_file';
// Registers grasplab's custom layer classes, which deserialising its models needs.
import { describeModel, inferenceModel, type ModelConfig, type ModelName } from './models/registry';
import { BEST_DIR } from './train/loop';
import { checkRunName } from './train/run_dir';
import { consoleProgress } from './train/progress';
import { DOCTOR, EVAL, EXPORT, IMPORT, LATENCY, PREDICT, TRAIN } from './cli/commands';
import { doctorCommand } from './cli/doctor';
import { prepareOutputFile } from './cli/output';
import { runCli, STD_IO, type CliIO, type Runners } from './cli/run';
import type { Parsed } from './cli/spec';
import { dryRun } from './config/dry_run';

/**
 * `grasplab` command bodies: train / eval / export / predict / latency / import / doctor. Run as `npx grasplab ...`
 * (bin/grasplab.js) or `npm run cli -- ...`. Options, help and usage errors come from the table in
 * lib/cli/commands.ts (parsed before this module loads); each body gets its parsed options. Every command prints its
 * result to stdout as JSON, so it can be piped; progress and notes go to stderr. Exit codes: 0 ok, 1 failed (the
 * message names the file and the problem), 2 bad usage (lib/cli/run.ts).
 */

export type { CliIO } from './cli/run';

/** Command name → body. A new command: its spec in lib/cli/commands.ts, its body here. */
export const RUNNERS: Runners = {
  train: trainCommand,
  eval: evalCommand,
  export: exportCommand,
  predict: predictCommand,
  latency: latencyCommand,
  doctor: doctorCommand,
  import: importCommand,
};

/** Runs one CLI invocation; returns the exit code (0 ok, 1 failed, 2 bad usage). */
export async function main(argv: string[], io: CliIO = STD_IO): Promise<number> {
  return runCli(argv, io, () => RUNNERS);
}

// ---- model loading --------------------------------------------------------------------------------------------

/**
 * Loads the model a user named (`--model PATH`: a model folder, checkpoint, run folder or models/ name; see
 * lib/export/model_folder.ts). Custom layers are registered by importing lib/models/registry.
 */
async function loadModel(given: string): Promise<tf.LayersModel> {
  if (isOnnxPath(given)) throw new ConfigError(`--model ${given}: an ONNX file can be evaluated, predicted with and timed, but not exported again; give the model folder it came from`);
  // the path first: a wrong path fails before a backend loads
  const folder = resolveModelFolder(given);
  await selectBackend({ quiet: true });
  return loadModelFromDir(folder.dir);
}

type OnnxExportFormat = keyof typeof ONNX_EXPORT_FORMATS;

/** True for an exported ONNX model file (`grasplab export --format onnx`), which only forward passes can use. */
function isOnnxPath(given: string): boolean {
  return given.toLowerCase().endsWith('.onnx');
}

/**
 * Opens the model a user named for forward passes (eval, predict, latency): an exported `.onnx` file runs on ONNX
 * Runtime; a model folder is loaded with tfjs and run by the forward engine (ONNX Runtime where installed, else tfjs;
 * GRASPLAB_FORWARD=tfjs forces tfjs). `folder` is undefined for an .onnx file.
 */
async function openModelForForward(given: string): Promise<{ opened: OpenedModel; folder?: ModelFolder; dir: string }> {
  // the path first: a wrong path fails before a backend loads
  const folder = isOnnxPath(given) ? undefined : resolveModelFolder(given);
  await selectBackend({ quiet: true });
  const opened = await openForForward(folder ? folder.dir : given);
  return { opened, folder, dir: folder ? folder.dir : path.resolve(given) };
}

// ---- predict --------------------------------------------------------------------------------------------------

async function predictCommand({ values, positionals }: Parsed<typeof PREDICT.options>, io: CliIO): Promise<number> {
  const modelDir = values.model;
  const image = positionals[0];
  const fit = (values.resize ? 'resize' : values.crop) as InputFit;
  const topK = values['top-k'];
  const detect = {
    ...(values.threshold !== undefined ? { thresholdAbs: values.threshold } : {}),
    ...(values['min-distance'] !== undefined ? { minDistance: values['min-distance'] } : {}),
  };
  if (values.overlay) prepareOutputFile(values.overlay, '--overlay');
  if (values['maps-out']) prepareOutputFile(values['maps-out'], '--maps-out');

  // Read the image before the model: a bad image is the commoner mistake and is cheaper to report.
  const { depth, encoding } = await readDepthFile(image);
  const { opened } = await openModelForForward(modelDir);
  try {
    const pred = await predictGrasps(opened.predictor, depth, { topK, fit, detect, source: image, preprocess: !values['no-preprocess'] });
    if (values['maps-out']) writeMapsNpy(values['maps-out'], pred.maps);
    if (values.overlay) {
      const f = pred.prepared.frame;
      fs.writeFileSync(values.overlay, renderOverlayPng(depth, pred.grasps, fit === 'none' ? undefined : { top: f.top, left: f.left, height: f.winH, width: f.winW }));
    }
    if (pred.grasps.length === 0) io.err(`grasplab predict: no grasp quality peak above the threshold (${detect.thresholdAbs ?? 0.2}) in ${image}`);
    io.out(
      JSON.stringify(
        {
          image,
          imageSize: [depth.height, depth.width],
          encoding,
          model: modelDir,
          backend: tf.getBackend(),
          engine: opened.predictor.engine,
          fit,
          inputWindow: pred.prepared.frame,
          inpaintedPixels: pred.prepared.filled,
          grasps: pred.grasps.map((g, k) => graspReport(g, k + 1)),
          timingsMs: roundAll(pred.timings),
          overlay: values.overlay ?? null,
          mapsOut: values['maps-out'] ?? null,
        },
        null,
        2,
      ),
    );
    return 0;
  } finally {
    await opened.release();
  }
}

function roundAll(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Number(v.toFixed(1))]));
}

// ---- export ---------------------------------------------------------------------------------------------------

async function exportCommand({ values }: Parsed<typeof EXPORT.options>, io: CliIO): Promise<number> {
  const modelDir = values.model;
  const out = values.out;
  const all = values.format === 'all';
  const onnxFormat = values.format in ONNX_EXPORT_FORMATS ? (values.format as OnnxExportFormat) : undefined;
  const formats: WeightFormat[] = all ? [...WEIGHT_FORMATS] : onnxFormat ? [] : [parseWeightFormat(values.format)];
  const onnxFormats: OnnxExportFormat[] = all ? (Object.keys(ONNX_EXPORT_FORMATS) as OnnxExportFormat[]) : onnxFormat ? [onnxFormat] : [];
  const source = resolveModelFolder(modelDir);
  if (path.resolve(out) === source.dir) throw new ConfigError('--out must differ from --model (the export would overwrite its source)');
  // a single ONNX export may name its file (FILE.onnx); every other export writes folders
  const outIsOnnxFile = onnxFormat !== undefined && isOnnxPath(out);
  if (!outIsOnnxFile && fs.existsSync(out) && !fs.statSync(out).isDirectory()) throw new ConfigError(`--out ${out} is a file; export writes a folder (model.json + weight shards, or model.onnx)`);
  const loaded = await loadModel(modelDir);
  // An aux-head model exports its main output only: deployment needs no aux maps.
  const model = inferenceModel(loaded);
  if (model !== loaded) io.err(`grasplab export: ${modelDir} has ${loaded.outputs.length} outputs; exporting the first (main) one`);
  try {
    const rows: Record<string, unknown>[] = [];
    for (const format of formats) {
      const dir = all ? path.join(out, format) : out;
      const r = await exportModel(model, dir, { format, source: { exportedFrom: source.dir } });
      rows.push({ format, dir, files: r.files, totalBytes: r.totalBytes, weightBytes: r.weightBytes, tensors: r.tensors, values: r.values });
    }
    for (const format of onnxFormats) {
      const file = onnxExportPath(all ? path.join(out, format) : out);
      const r = saveOnnx(model, file, { weights: ONNX_EXPORT_FORMATS[format], source: { exportedFrom: source.dir } });
      rows.push({ format, file, totalBytes: r.bytes, input: r.info.input, outputs: r.info.outputs, ops: r.info.ops });
    }
    io.out(JSON.stringify(rows.length === 1 ? rows[0] : rows, null, 2));
    return 0;
  } finally {
    loaded.dispose();
  }
}

// ---- latency --------------------------------------------------------------------------------------------------

async function latencyCommand({ values }: Parsed<typeof LATENCY.options>, io: CliIO): Promise<number> {
  const modelDir = values.model;
  // a dry run times 2 runs after 1 warm-up unless told otherwise
  const dry = dryRun();
  const runs = dry ? Math.min(values.runs, 2) : values.runs;
  const warmup = dry ? Math.min(values.warmup, 1) : values.warmup;
  const { opened } = await openModelForForward(modelDir);
  try {
    const lat = await measureModelLatency(opened.predictor, { runs, warmup });
    const brief = (s: { median: number; p10: number; p90: number }) => ({ median: +s.median.toFixed(1), p10: +s.p10.toFixed(1), p90: +s.p90.toFixed(1) });
    io.out(JSON.stringify({ model: modelDir, backend: tf.getBackend(), engine: lat.backend, size: lat.size, runs, forwardMs: brief(lat.forward), predictMs: brief(lat.predict) }, null, 2));
    return 0;
  } finally {
    await opened.release();
  }
}

// ---- train / eval ---------------------------------------------------------------------------------------------

/**
 * Seed of the train/validation split. The notebooks' workbench (lib/experiment `openWorkbench`) splits with its
 * default seed 1 whatever the run seeds are, so every run, CLI or notebook, is scored on the same images.
 */
const SPLIT_SEED = 1;
/** ggcnn's `--split 0.9`, as the workbench */
const TRAIN_FRACTION = 0.9;

/** Runs `fn` with GRASPLAB_PROFILE set to `profile` (the workbench reads the profile from the environment). */
async function withProfile<T>(profile: string | undefined, fn: () => Promise<T>): Promise<T> {
  if (profile === undefined) return fn();
  currentProfile({ GRASPLAB_PROFILE: profile }); // validates the name
  const saved = process.env.GRASPLAB_PROFILE;
  process.env.GRASPLAB_PROFILE = profile;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.GRASPLAB_PROFILE;
    else process.env.GRASPLAB_PROFILE = saved;
  }
}

async function trainCommand({ values }: Parsed<typeof TRAIN.options>, io: CliIO): Promise<number> {
  const name = values.model as ModelName;
  const profile = currentProfile({ ...process.env, GRASPLAB_PROFILE: values.profile });
  const seed = values.seed ?? profile.seeds[0];
  const auxWeight = values['aux-weight'];
  const modelCfg: ModelConfig = { name, ...(values['head-bias'] === 'prior' ? { headBias: 'prior' as const } : {}) };
  if (name === 'pspnet') {
    modelCfg.resnetDepth = (values.depth ?? profile.pspnet.depth) as ModelConfig['resnetDepth'];
    modelCfg.widthMultiplier = values['width-mult'] ?? profile.pspnet.widthMultiplier;
    if (auxWeight !== undefined && auxWeight > 0) modelCfg.aux = true;
  }
  // a dry run (GRASPLAB_DRY_RUN) takes the profile's token epochs whatever --epochs says
  if (profile.dryRun && values.epochs !== undefined) io.err(`grasplab train: ${profile.dryRun}: --epochs ${values.epochs} ignored`);
  const epochs = profile.dryRun ? profile.epochs : (values.epochs ?? profile.epochs);
  const pspTag = name === 'pspnet' ? `-r${modelCfg.resnetDepth}-w${modelCfg.widthMultiplier}${modelCfg.aux ? `-aux${auxWeight}` : ''}` : '';
  // --run-name is the folder name itself; the default name gets the run's key (lib/train/run_key.ts) appended
  const given = values['run-name'];
  const exactName = given !== undefined;
  const biasTag = modelCfg.headBias ? `-${modelCfg.headBias}` : '';
  const runName = given !== undefined ? checkRunName(given, '--run-name') : `cli-${name}${pspTag}${biasTag}-${profile.name}-s${seed}${profile.dryRun ? '-dryrun' : ''}`;

  await selectBackend({ quiet: true });
  return withProfile(values.profile, async () => {
    // The notebooks' data pipeline: synthetic set generated on first use, image-wise split, fixed validation samples.
    const wb = await openWorkbench({ seed: SPLIT_SEED, trainFraction: TRAIN_FRACTION, log: (m) => io.err(m) });
    // the workbench's profile: a dry run may have lowered the batch to fit the backend's memory
    const batchSize = values['batch-size'] ?? wb.profile.batchSize;
    io.err(
      `grasplab train: ${runName}: ${name} on ${wb.choice.kind} (${wb.split.train.length} train / ${wb.valSamples.length} val images), ` +
        `profile ${profile.name}${profile.dryRun ? ` (${wb.profile.dryRun})` : ''}, batch ${batchSize}, backend ${tf.getBackend()}`,
    );
    const res = await runExperiment(wb, {
      name: runName,
      exactName,
      // --fresh: runExperiment deletes the earlier run's checkpoints (guarded) and starts over
      resume: !values.fresh,
      resumeHint: 'Add --fresh to start this run over (its checkpoints are deleted), or choose another --run-name.',
      model: modelCfg,
      seed,
      auxWeight,
      epochs,
      batchSize,
      // progress to stderr, so stdout carries only the JSON summary
      onProgress: consoleProgress({ stream: io === STD_IO ? process.stderr : { write: (t: string) => io.err(t.replace(/\n$/, '')) } }),
    });
    res.trainModel.dispose();
    const bestDir = path.join(res.runDir, BEST_DIR);
    io.out(
      JSON.stringify(
        {
          run: path.basename(res.runDir),
          runDir: res.runDir,
          status: res.fit.status,
          epochsDone: res.fit.epochsDone,
          steps: res.fit.step,
          best: res.best ?? null,
          params: res.params,
          flops: res.flops,
          trainSeconds: Number(res.trainSeconds.toFixed(1)),
          bestModelDir: fs.existsSync(path.join(bestDir, 'model.json')) ? bestDir : null,
        },
        null,
        2,
      ),
    );
    return 0;
  });
}

async function evalCommand({ values, given }: Parsed<typeof EVAL.options>, io: CliIO): Promise<number> {
  const modelDir = values.model;
  // a wrong model path is reported before the dataset is read
  if (isOnnxPath(modelDir)) {
    if (!fs.existsSync(modelDir)) throw new ConfigError(`--model ${modelDir}: no such ONNX model file`);
  } else resolveModelFolder(modelDir);
  const topK = values['top-k'];
  const dry = dryRun();
  const limit = values.limit ?? (dry ? dry.evalImages : undefined);
  if (dry && values.limit === undefined) io.err(`grasplab eval: ${dry.note}: scoring the first ${limit} images`);
  // GRASPLAB_DATASET describes GRASPLAB_DATA_DIR; a folder named on the command line describes itself (detected)
  const folderGiven = given.has('data-dir');
  const kind = given.has('dataset') || !folderGiven ? (values.dataset as DatasetKind | undefined) : undefined;
  const choice = resolveDatasetChoice({ kind, dir: values['data-dir'] });
  const split: EvalSplit = (values.split as EvalSplit | undefined) ?? defaultEvalSplit(choice, folderGiven);
  // the test split lives in its own folder; the others are cut from the dataset folder (image-wise, as training).
  // The synthetic one is generated on first use; a profile scores its first `testImages` scenes (--limit: the first N).
  const source = split === 'test' ? requireTestSplit(choice) : choice;
  const testCount = split === 'test' && choice.kind === 'synthetic' ? (limit ?? currentProfile().testImages) : undefined;
  if (testCount !== undefined) await ensureSyntheticTestSplit(source.dir, testCount);
  const out = values.out ?? defaultEvalOut(modelDir, choice.kind, split);
  prepareOutputFile(out, '--out');
  if (values['jacquard-output']) prepareOutputFile(values['jacquard-output'], '--jacquard-output');
  const ds = await openDataset(source);
  const splitSpec = { mode: 'image' as const, trainFraction: TRAIN_FRACTION, seed: values['split-seed'] };
  const splitEntriesOf = (): DatasetEntry[] => (split === 'train' || split === 'val' ? splitEntries(ds.entries, splitSpec)[split] : ds.entries);
  const entries = splitEntriesOf();
  const scored = (testCount ?? limit) !== undefined ? entries.slice(0, testCount ?? limit) : entries;

  const { opened, folder, dir } = await openModelForForward(modelDir);
  try {
    const size = modelInputSize(opened.predictor);
    io.err(`grasplab eval: ${scored.length} of ${entries.length} ${split} images of ${source.dir} (${choice.kind}${choice.detected ? ', detected' : ''}), backend ${tf.getBackend()}`);
    let next = 0.1;
    const res = await evaluateDatasetEntries(opened.predictor, ds, scored, {
      outputSize: size,
      topK,
      batchSize: values['batch-size'],
      iouThreshold: values['iou-threshold'],
      angleTolerance: (values['angle-threshold'] * Math.PI) / 180,
      onProgress: (done, total) => {
        if (total >= 50 && done / total >= next) {
          io.err(`  ${done}/${total}`);
          next = Math.floor((done / total) * 10 + 1) / 10;
        }
      },
    });
    const report = {
      model: {
        path: modelDir,
        dir,
        kind: folder ? folder.kind : 'onnx',
        card: folder?.card ?? null,
        params: opened.model ? describeModel(inferenceModel(opened.model)).params : null,
        inputSize: size,
      },
      dataset: { kind: choice.kind, dir: choice.dir, split, ...(split === 'test' ? { testDir: source.dir } : {}), ...(split === 'train' || split === 'val' ? { splitSeed: splitSpec.seed, trainFraction: TRAIN_FRACTION } : {}), images: entries.length },
      metric: { iouThreshold: values['iou-threshold'], angleThresholdDeg: values['angle-threshold'], topK },
      backend: tf.getBackend(),
      engine: opened.predictor.engine,
      accuracy: res.accuracy,
      correct: res.correct,
      total: res.total,
      perImage: res.perImage,
    };
    fs.writeFileSync(out, JSON.stringify(report, null, 1));
    if (values['jacquard-output']) {
      const lines = jacquardOutputLines(res.perImage, { outputSize: size, maxGrasps: topK });
      fs.writeFileSync(values['jacquard-output'], lines.join('\n') + (lines.length ? '\n' : ''));
    }
    io.out(
      JSON.stringify({ accuracy: res.accuracy, correct: res.correct, total: res.total, dataset: choice.kind, dataDir: source.dir, split, model: dir, engine: opened.predictor.engine, out, jacquardOutput: values['jacquard-output'] ?? null }, null, 2),
    );
    return 0;
  } finally {
    await opened.release();
  }
}

/**
 * `<results>/eval/<model>-<dataset>-<split>.json`: never inside the model folder (models/ is committed; a training run
 * replaces its checkpoint folders wholesale). A checkpoint `runs/NAME/best` is named `NAME-best`.
 */
function defaultEvalOut(modelPath: string, kind: string, split: string): string {
  const abs = path.resolve(modelPath.replace(/[\\/]model\.json$/, ''));
  const base = path.basename(abs);
  const name = base === BEST_DIR || base === 'last' ? `${path.basename(path.dirname(abs))}-${base}` : base;
  return path.join(resultsDir(), 'eval', `${name}-${kind}-${split}.json`);
}

// ---- import ---------------------------------------------------------------------------------------------------

async function importCommand({ values }: Parsed<typeof IMPORT.options>, io: CliIO): Promise<number> {
  const from = values.from;
  const out = values.out;
  const name = values.model as ModelName;
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) throw new ConfigError(`--out ${out} is a file; import writes a model folder (model.json + weight files)`);
  await selectBackend({ quiet: true });
  const r = await importTorchModel({
    from,
    out,
    model: name,
    depth: values.depth as ModelConfig['resnetDepth'] | undefined,
    widthMultiplier: values['width-mult'],
    aux: values.aux,
    backboneOnly: values['backbone-only'],
    seed: values.seed,
  });
  io.out(
    JSON.stringify(
      { out: r.out, modelConfig: r.modelConfig, params: r.params, files: r.files, usedKeys: r.loaded, ignoredKeys: r.ignored, unusedKeys: r.unused, layersLeftInitialised: r.leftInitialised },
      null,
      2,
    ),
  );
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
