import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from './backend/setup';
import { currentDataset } from './config/paths';
import { currentProfile } from './config/profiles';
import { openDataset } from './data/dataset';
import { BatchLoader } from './data/loader';
import { splitEntries } from './data/split';
import { ensureSyntheticTestSplit, syntheticTestDir } from './data/test_split';
import { ConfigError, GrasplabError, TrainingInterruptedError } from './errors';
import { jacquardOutputLines } from './eval/jacquard_output';
import { evaluateModel } from './eval/metric';
import { openWorkbench, runExperiment } from './experiment';
import { readDepthFile } from './export/depth_file';
import { INPUT_FITS, type InputFit } from './export/depth_input';
import { measureModelLatency } from './export/latency';
import { ONNX_EXPORT_FORMATS, onnxExportPath, saveOnnx } from './export/onnx';
import { openForForward } from './export/open_model';
import { renderOverlayPng } from './export/overlay';
import { graspReport, modelInputSize, predictGrasps } from './export/predict';
import { parseWeightFormat, WEIGHT_FORMATS, type WeightFormat } from './export/quantize';
import { exportModel, loadModelFromDir } from './export/save';
import { importTorchModel } from './export/import_model';
import { writeMapsNpy } from './export/maps_file';
// Registers grasplab's custom layer classes, which deserialising its models needs.
import { inferenceModel, MODEL_NAMES, type ModelConfig, type ModelName } from './models/registry';
import { profileFromFlag } from './config/profiles';
import { exitCodeFor, resumeCommandHint } from './train/interrupt';
import { BEST_DIR } from './train/loop';
import { checkRunName } from './train/run_dir';
import { consoleProgress } from './train/progress';

/**
 * `grasplab` command line: train / eval / export / predict / latency. Run as `npx grasplab ...` (bin/grasplab.js)
 * or `npm run cli -- ...`. Every command prints its result to stdout as JSON, so it can be piped; progress and notes
 * go to stderr. Exit codes: 0 ok, 1 failed (the message names the file and the problem), 2 bad usage.
 */

export interface CliIO {
  out(s: string): void;
  err(s: string): void;
}

const STD_IO: CliIO = {
  out: (s) => process.stdout.write(s + '\n'),
  err: (s) => process.stderr.write(s + '\n'),
};

const USAGE: Record<string, string> = {
  train: `grasplab train --model ggcnn|ggcnn2|pspnet [--depth 18|34|50|101] [--width-mult 0.25] [--aux-weight 0.4]
               [--profile smoke|cpu|paper] [--epochs N] [--batch-size B] [--run-name NAME] [--seed S] [--fresh]
    Trains like the notebooks (lib/experiment) on the dataset named by GRASPLAB_DATASET / GRASPLAB_DATA_DIR
    (image-wise 90/10 split, seed 1) and writes results/runs/NAME/ (best/, last/, run.json; default NAME:
    cli-<model>-<profile>-s<seed>-<config key>); an interrupted run (Ctrl-C: exit 130) resumes unless --fresh. --aux-weight adds PSPNet's aux head. Defaults come from the profile (--profile or
    GRASPLAB_PROFILE, default cpu).`,
  eval: `grasplab eval --model-dir DIR|MODEL.onnx [--split val|test] [--out FILE.json] [--jacquard-output FILE] [--top-k 1]
               [--batch-size 4] [--split-seed 1] [--limit N]
    Rectangle-metric accuracy on the whole validation split of the current dataset (the split every training run
    uses), or (--split test, synthetic data) on the held-out test split: its first --limit scenes, default the
    profile's testImages. Per-image verdicts to --out (default: eval-<DIR name>.json beside DIR). Forward passes run
    on ONNX Runtime where it is installed (GRASPLAB_FORWARD=tfjs forces tfjs); DIR may be an exported .onnx file.`,
  export: `grasplab export --model-dir DIR --out DIR|FILE.onnx [--format float32|float16|uint16|uint8|onnx|onnx-float16|onnx-int8|all]
    Writes model.json + group1-shard*.bin (tfjs layers format), or with --format onnx* an ONNX model (opset 17,
    input 'depth' [batch,S,S,1], output 'maps' [batch,S,S,4]) to FILE.onnx or DIR/model.onnx
    (--format all: one sub-folder per format).`,
  predict: `grasplab predict --model DIR|MODEL.onnx IMAGE [--top-k 3] [--overlay out.png] [--crop none|center|resize] [--resize]
               [--threshold 0.2] [--min-distance 20] [--no-preprocess] [--maps-out FILE.npy]
    IMAGE: float32 TIFF in metres, 16-bit PNG in millimetres, or .npy float array in metres. Prints the top-k grasps
    as JSON (centre [row, col] px, angle rad/deg, opening px, jaw px, quality). --no-preprocess: IMAGE (.npy, S×S)
    is the network input itself (no inpainting, crop or normalisation). --maps-out: the raw network maps as .npy
    float32 [S,S,4], channels pos, cos, sin, width.`,
  import: `grasplab import --from STATE.npz --model ggcnn|ggcnn2|pspnet [--depth 18|34|50|101] [--width-mult W] [--aux]
               [--backbone-only] [--seed S] --out DIR
    A PyTorch state dict saved as .npz (see README) → a model folder for eval, predict and export. pspnet: hszhao/semseg
    module names plus the report's conv0 and *_output convs; depth, width and aux are read off the dict (given values
    must agree). --backbone-only loads the ResNet only (e.g. semseg's pretrained resnet50_v2) and reports the keys used.`,
  latency: `grasplab latency --model DIR|MODEL.onnx [--runs 10] [--warmup 2]
    Batch-1 milliseconds per S×S depth image: forward pass, and the whole prediction with post-processing.`,
};

function usage(cmd?: string): string {
  if (cmd && USAGE[cmd]) return `usage: ${USAGE[cmd]}`;
  return `usage: grasplab <command> [options]\n\n${Object.values(USAGE).join('\n\n')}`;
}

/** Runs one CLI invocation; returns the exit code (0 ok, 1 failed, 2 bad usage). */
export async function main(argv: string[], io: CliIO = STD_IO): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'predict':
        return await predictCommand(rest, io);
      case 'export':
        return await exportCommand(rest, io);
      case 'latency':
        return await latencyCommand(rest, io);
      case 'train':
        return await trainCommand(rest, io);
      case 'eval':
        return await evalCommand(rest, io);
      case 'import':
        return await importCommand(rest, io);
      case 'help':
      case '--help':
      case '-h':
        io.out(usage(rest[0]));
        return 0;
      case undefined:
        io.err(usage());
        return 2;
      default:
        io.err(`grasplab: unknown command '${cmd}'\n${usage()}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof TrainingInterruptedError) {
      io.err(`grasplab ${cmd}: ${e.message}\n${resumeCommandHint(argv)}`);
      return exitCodeFor(e.signal);
    }
    if (e instanceof GrasplabError) {
      io.err(`grasplab ${cmd}: ${e.name}: ${e.message}`);
      return 1;
    }
    if (isParseArgsError(e)) {
      io.err(`grasplab ${cmd}: ${(e as Error).message}\n${usage(cmd)}`);
      return 2;
    }
    throw e;
  }
}

function isParseArgsError(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

// ---- option helpers -------------------------------------------------------------------------------------------

function requireOpt(v: string | undefined, name: string, cmd: string): string {
  if (v === undefined || v === '') throw new ConfigError(`--${name} is required\n${usage(cmd)}`);
  return v;
}

function numberOpt(v: string | undefined, name: string, dflt: number, check: { int?: boolean; min?: number } = {}): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || (check.int && !Number.isInteger(n)) || (check.min !== undefined && n < check.min)) {
    throw new ConfigError(`--${name} ${v}: expected ${check.int ? 'an integer' : 'a number'}${check.min !== undefined ? ` ≥ ${check.min}` : ''}`);
  }
  return n;
}

/** Loads an exported or saved model folder (custom layers are registered by importing lib/models/registry). */
async function loadModel(dir: string): Promise<tf.LayersModel> {
  await selectBackend({ quiet: true });
  return loadModelFromDir(dir);
}

// ---- predict --------------------------------------------------------------------------------------------------

async function predictCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      'top-k': { type: 'string' },
      overlay: { type: 'string' },
      crop: { type: 'string' },
      resize: { type: 'boolean' },
      threshold: { type: 'string' },
      'min-distance': { type: 'string' },
      'no-preprocess': { type: 'boolean' },
      'maps-out': { type: 'string' },
    },
  });
  const modelDir = requireOpt(values.model, 'model', 'predict');
  if (values['no-preprocess'] && (values.crop !== undefined || values.resize)) throw new ConfigError('--no-preprocess takes the S×S network input as it is: no --crop/--resize');
  if (positionals.length !== 1) throw new ConfigError(`expected exactly one IMAGE, got ${positionals.length}\n${usage('predict')}`);
  const image = positionals[0];
  const fit = (values.resize ? 'resize' : values.crop ?? 'none') as InputFit;
  if (!INPUT_FITS.includes(fit)) throw new ConfigError(`--crop ${values.crop}: use one of ${INPUT_FITS.join(', ')}`);
  if (values.resize && values.crop && values.crop !== 'resize') throw new ConfigError(`--resize and --crop ${values.crop} contradict each other`);
  const topK = numberOpt(values['top-k'], 'top-k', 3, { int: true, min: 1 });
  const detect = {
    ...(values.threshold !== undefined ? { thresholdAbs: numberOpt(values.threshold, 'threshold', 0.2) } : {}),
    ...(values['min-distance'] !== undefined ? { minDistance: numberOpt(values['min-distance'], 'min-distance', 20, { int: true, min: 0 }) } : {}),
  };

  // Read the image before the model: a bad image is the commoner mistake and is cheaper to report.
  const { depth, encoding } = await readDepthFile(image);
  await selectBackend({ quiet: true });
  const opened = await openForForward(modelDir);
  try {
    const pred = await predictGrasps(opened.predictor, depth, { topK, fit, detect, source: image, preprocess: !values['no-preprocess'] });
    if (values['maps-out']) writeMapsNpy(values['maps-out'], pred.maps);
    if (values.overlay) {
      const f = pred.prepared.frame;
      fs.mkdirSync(path.dirname(path.resolve(values.overlay)), { recursive: true });
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

async function exportCommand(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { 'model-dir': { type: 'string' }, out: { type: 'string' }, format: { type: 'string' } },
  });
  const modelDir = requireOpt(values['model-dir'], 'model-dir', 'export');
  const out = requireOpt(values.out, 'out', 'export');
  const onnxFormats = Object.keys(ONNX_EXPORT_FORMATS) as (keyof typeof ONNX_EXPORT_FORMATS)[];
  const all = values.format === 'all';
  const onnxFormat = values.format && values.format in ONNX_EXPORT_FORMATS ? (values.format as keyof typeof ONNX_EXPORT_FORMATS) : undefined;
  const formats: WeightFormat[] = all ? [...WEIGHT_FORMATS] : onnxFormat ? [] : [parseWeightFormat(values.format ?? 'float32')];
  if (path.resolve(out) === path.resolve(modelDir)) throw new ConfigError('--out must differ from --model-dir (the export would overwrite its source)');
  const loaded = await loadModel(modelDir);
  // An aux-head model exports its main output only: deployment needs no aux maps.
  const model = inferenceModel(loaded);
  if (model !== loaded) io.err(`grasplab export: ${modelDir} has ${loaded.outputs.length} outputs; exporting the first (main) one`);
  try {
    const rows: Record<string, unknown>[] = [];
    for (const format of formats) {
      const dir = all ? path.join(out, format) : out;
      const r = await exportModel(model, dir, { format, source: { exportedFrom: path.resolve(modelDir) } });
      rows.push({ format, dir, files: r.files, totalBytes: r.totalBytes, weightBytes: r.weightBytes, tensors: r.tensors, values: r.values });
    }
    for (const format of all ? onnxFormats : onnxFormat ? [onnxFormat] : []) {
      const file = onnxExportPath(all ? path.join(out, format) : out);
      const r = saveOnnx(model, file, { weights: ONNX_EXPORT_FORMATS[format], source: { exportedFrom: path.resolve(modelDir) } });
      rows.push({ format, file, totalBytes: r.bytes, input: r.info.input, outputs: r.info.outputs, ops: r.info.ops });
    }
    io.out(JSON.stringify(rows.length === 1 ? rows[0] : rows, null, 2));
    return 0;
  } finally {
    loaded.dispose();
  }
}

// ---- latency --------------------------------------------------------------------------------------------------

async function latencyCommand(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({ args, options: { model: { type: 'string' }, runs: { type: 'string' }, warmup: { type: 'string' } } });
  const modelDir = requireOpt(values.model, 'model', 'latency');
  const runs = numberOpt(values.runs, 'runs', 10, { int: true, min: 1 });
  const warmup = numberOpt(values.warmup, 'warmup', 2, { int: true, min: 0 });
  await selectBackend({ quiet: true });
  const opened = await openForForward(modelDir);
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

async function trainCommand(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: 'string' },
      depth: { type: 'string' },
      'width-mult': { type: 'string' },
      'aux-weight': { type: 'string' },
      profile: { type: 'string' },
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      'run-name': { type: 'string' },
      seed: { type: 'string' },
      fresh: { type: 'boolean' },
    },
  });
  const name = requireOpt(values.model, 'model', 'train') as ModelName;
  if (!MODEL_NAMES.includes(name)) throw new ConfigError(`--model ${name}: use one of ${MODEL_NAMES.join(', ')}`);
  const profile = values.profile ? profileFromFlag(values.profile) : currentProfile();
  const seed = numberOpt(values.seed, 'seed', profile.seeds[0], { int: true });
  const auxWeight = values['aux-weight'] === undefined ? undefined : numberOpt(values['aux-weight'], 'aux-weight', 0.4, { min: 0 });
  const modelCfg: ModelConfig = { name };
  if (name === 'pspnet') {
    modelCfg.resnetDepth = numberOpt(values.depth, 'depth', profile.pspnet.depth, { int: true }) as ModelConfig['resnetDepth'];
    modelCfg.widthMultiplier = numberOpt(values['width-mult'], 'width-mult', profile.pspnet.widthMultiplier, { min: 0 });
    if (auxWeight !== undefined && auxWeight > 0) modelCfg.aux = true;
  } else if (values.depth !== undefined || values['width-mult'] !== undefined || auxWeight !== undefined) {
    throw new ConfigError(`--depth, --width-mult and --aux-weight only apply to --model pspnet`);
  }
  const batchSize = numberOpt(values['batch-size'], 'batch-size', profile.batchSize, { int: true, min: 1 });
  const epochs = numberOpt(values.epochs, 'epochs', profile.epochs, { int: true, min: 1 });
  const pspTag = name === 'pspnet' ? `-r${modelCfg.resnetDepth}-w${modelCfg.widthMultiplier}${modelCfg.aux ? `-aux${auxWeight}` : ''}` : '';
  // --run-name is the folder name itself; the default name gets the run's key (lib/train/run_key.ts) appended
  const runName = values['run-name'] !== undefined ? checkRunName(values['run-name'], '--run-name') : `cli-${name}${pspTag}-${profile.name}-s${seed}`;

  await selectBackend({ quiet: true });
  return withProfile(values.profile, async () => {
    // The notebooks' data pipeline: synthetic set generated on first use, image-wise split, fixed validation samples.
    const wb = await openWorkbench({ seed: SPLIT_SEED, trainFraction: TRAIN_FRACTION, log: (m) => io.err(m) });
    io.err(`grasplab train: ${runName}: ${name} on ${wb.choice.kind} (${wb.split.train.length} train / ${wb.valSamples.length} val images), profile ${profile.name}, backend ${tf.getBackend()}`);
    const res = await runExperiment(wb, {
      name: runName,
      exactName: values['run-name'] !== undefined,
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
          run: runName,
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

async function evalCommand(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'model-dir': { type: 'string' },
      out: { type: 'string' },
      'jacquard-output': { type: 'string' },
      'top-k': { type: 'string' },
      'split-seed': { type: 'string' },
      'batch-size': { type: 'string' },
      limit: { type: 'string' },
      split: { type: 'string' },
    },
  });
  const modelDir = requireOpt(values['model-dir'], 'model-dir', 'eval');
  const which = values.split ?? 'val';
  if (which !== 'val' && which !== 'test') throw new ConfigError(`--split ${which}: use val or test`);
  const topK = numberOpt(values['top-k'], 'top-k', 1, { int: true, min: 1 });
  const batchSize = numberOpt(values['batch-size'], 'batch-size', 4, { int: true, min: 1 });
  const limit = numberOpt(values.limit, 'limit', 0, { int: true, min: 0 });
  const split = { mode: 'image' as const, trainFraction: TRAIN_FRACTION, seed: numberOpt(values['split-seed'], 'split-seed', SPLIT_SEED, { int: true }) };
  const choice = currentDataset();
  await selectBackend({ quiet: true });
  const opened = await openForForward(modelDir);
  try {
    const size = modelInputSize(opened.predictor);
    let ds;
    let entries;
    if (which === 'test') {
      if (choice.kind !== 'synthetic') throw new ConfigError(`--split test: only the synthetic dataset has a held-out test split (${choice.kind} folders keep their train/validation split)`);
      const count = limit > 0 ? limit : currentProfile().testImages;
      const dir = syntheticTestDir(choice.dir);
      await ensureSyntheticTestSplit(dir, count);
      ds = await openDataset({ kind: 'synthetic', dir });
      entries = ds.entries.slice(0, count);
    } else {
      ds = await openDataset(choice);
      entries = splitEntries(ds.entries, split).val;
    }
    // the workbench's validation preprocessing (no augmentation), over the whole split unless --limit
    const loader = new BatchLoader(ds, entries, { batchSize: 1, seed: split.seed, shuffle: false, cacheBytes: 0, preprocess: { outputSize: size, rotate: 'none', zoom: false } });
    const samples = await loader.samples(limit > 0 ? limit : undefined);
    const res = await evaluateModel(opened.predictor, samples, { topK, batchSize });
    // beside the model folder, not inside it: a training run replaces its checkpoint folders wholesale
    const out = values.out ?? path.join(path.dirname(path.resolve(modelDir)), `eval-${path.basename(path.resolve(modelDir))}.json`);
    const report = { modelDir, dataset: choice, split, evalSplit: which, topK, backend: tf.getBackend(), engine: opened.predictor.engine, accuracy: res.accuracy, correct: res.correct, total: res.total, perImage: res.perImage };
    fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    fs.writeFileSync(out, JSON.stringify(report, null, 1));
    if (values['jacquard-output']) {
      const lines = jacquardOutputLines(res.perImage, { outputSize: size, maxGrasps: topK });
      fs.writeFileSync(values['jacquard-output'], lines.join('\n') + (lines.length ? '\n' : ''));
    }
    io.out(JSON.stringify({ accuracy: res.accuracy, correct: res.correct, total: res.total, dataset: choice.kind, split: which, engine: opened.predictor.engine, out, jacquardOutput: values['jacquard-output'] ?? null }, null, 2));
    return 0;
  } finally {
    await opened.release();
  }
}

// ---- import ---------------------------------------------------------------------------------------------------

async function importCommand(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      from: { type: 'string' },
      model: { type: 'string' },
      depth: { type: 'string' },
      'width-mult': { type: 'string' },
      aux: { type: 'boolean' },
      'backbone-only': { type: 'boolean' },
      seed: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const from = requireOpt(values.from, 'from', 'import');
  const out = requireOpt(values.out, 'out', 'import');
  const name = requireOpt(values.model, 'model', 'import') as ModelName;
  if (!MODEL_NAMES.includes(name)) throw new ConfigError(`--model ${name}: use one of ${MODEL_NAMES.join(', ')}`);
  await selectBackend({ quiet: true });
  const r = await importTorchModel({
    from,
    out,
    model: name,
    depth: values.depth === undefined ? undefined : (numberOpt(values.depth, 'depth', 50, { int: true }) as ModelConfig['resnetDepth']),
    widthMultiplier: values['width-mult'] === undefined ? undefined : numberOpt(values['width-mult'], 'width-mult', 1, { min: 0 }),
    aux: values.aux,
    backboneOnly: values['backbone-only'],
    seed: values.seed === undefined ? undefined : numberOpt(values.seed, 'seed', 1, { int: true }),
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
