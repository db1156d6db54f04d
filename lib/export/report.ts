import * as fs from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';
import * as tf from '@tensorflow/tfjs';
import { PROJECT_ROOT } from '../config/paths';
import type { DatasetEntry, GraspDataset } from '../data/dataset';
import { writeDepthTiff } from '../data/tiff';
import { evaluateModel } from '../eval/metric';
import type { LatencyOptions } from '../eval/timing';
import type { MapName, Sample } from '../types';
import { compareFormats } from './compare';
import { measureModelLatency } from './latency';
import { modelInputSize } from './predict';
import { WEIGHT_FORMATS, type WeightFormat } from './quantize';
import { loadModelFromDir } from './save';

/**
 * The deployment comparison of notebook 06: each trained model exported in each weight format, reloaded through
 * tfjs's standard loader and scored (size, validation accuracy, drift of the output maps); batch-1 latency of the
 * exports per tfjs backend; and the export to ship.
 */

/** A trained model to export. */
export interface DeployCandidate {
  /** folder name under the export root, e.g. `ggcnn` → `<root>/ggcnn/<format>/` */
  key: string;
  /** name shown in tables */
  label: string;
  /** inference model: one `[B,S,S,1] → [B,S,S,4]` output */
  model: tf.LayersModel;
  /** provenance stored in each model.json (`userDefinedMetadata.grasplab.source`) */
  source?: Record<string, unknown>;
}

/** One model in one weight format, as exported and reloaded. */
export interface ExportRow {
  key: string;
  model: string;
  format: WeightFormat;
  dir: string;
  params: number;
  /** model.json + shards, bytes */
  totalBytes: number;
  /** shards only, bytes */
  weightBytes: number;
  /** totalBytes / the float32 export's totalBytes */
  sizeRatio: number;
  /** rectangle-metric accuracy of the reloaded export on the validation samples (fraction) */
  accuracy: number;
  correct: number;
  total: number;
  /** accuracy − accuracy of the same model's float32 export (fraction; negative = lost) */
  accuracyDelta: number;
  /** max / mean |export − in-memory float32 model| over the output maps of the first `diffImages` samples */
  maxAbsDiff: number;
  meanAbsDiff: number;
  perChannel: Record<MapName, number>;
  diffImages: number;
  /** largest weight error after tfjs's dequantisation */
  maxWeightError: number;
}

/**
 * Exports every candidate in every format under `root/<key>/<format>/`, reloads each export with stock
 * `tf.loadLayersModel` (lib/export `loadModelFromDir`) and measures it: on-disk size, rectangle-metric accuracy on all
 * `samples`, and the output-map difference to the in-memory float32 model on the first `diffImages` samples (the
 * maps are compared pixel by pixel, which costs two forward passes per image: a subset is enough to see the drift).
 * Leaks no tensors; the candidates' models are not disposed.
 */
export async function compareExports(
  candidates: readonly DeployCandidate[],
  samples: readonly Sample[],
  root: string,
  opts: { formats?: readonly WeightFormat[]; diffImages?: number; batchSize?: number } = {},
): Promise<ExportRow[]> {
  if (samples.length === 0) throw new RangeError('compareExports: no validation samples');
  const formats = opts.formats ?? WEIGHT_FORMATS;
  const diffSamples = samples.slice(0, Math.max(1, opts.diffImages ?? 8));
  const rows: ExportRow[] = [];
  for (const c of candidates) {
    const x = depthTensor(diffSamples, modelInputSize(c.model));
    let compared;
    try {
      compared = await compareFormats(c.model, x, path.join(root, c.key), formats, { source: c.source, batchSize: opts.batchSize });
    } finally {
      x.dispose();
    }
    const params = c.model.countParams();
    const modelRows: ExportRow[] = [];
    for (const f of compared) {
      const loaded = await loadModelFromDir(f.dir);
      let ev;
      try {
        ev = await evaluateModel(loaded, samples, { batchSize: opts.batchSize });
      } finally {
        loaded.dispose();
      }
      modelRows.push({
        key: c.key,
        model: c.label,
        format: f.format,
        dir: f.dir,
        params,
        totalBytes: f.totalBytes,
        weightBytes: f.weightBytes,
        sizeRatio: f.sizeRatio,
        accuracy: ev.accuracy,
        correct: ev.correct,
        total: ev.total,
        accuracyDelta: 0,
        maxAbsDiff: f.output.maxAbs,
        meanAbsDiff: f.output.meanAbs,
        perChannel: f.output.perChannel,
        diffImages: diffSamples.length,
        maxWeightError: f.maxWeightError,
      });
    }
    const base = modelRows.find((r) => r.format === 'float32') ?? modelRows[0];
    for (const r of modelRows) r.accuracyDelta = r.accuracy - base.accuracy;
    rows.push(...modelRows);
  }
  return rows;
}

/** The samples' normalised depth as `[N,S,S,1]` (caller disposes). */
function depthTensor(samples: readonly Sample[], size: number): tf.Tensor4D {
  const buf = new Float32Array(samples.length * size * size);
  samples.forEach((s, i) => {
    if (s.depth.height !== size || s.depth.width !== size) {
      throw new RangeError(`compareExports: sample '${s.id}' is ${s.depth.height}x${s.depth.width}, the model takes ${size}x${size}`);
    }
    buf.set(s.depth.data, i * size * size);
  });
  return tf.tensor4d(buf, [samples.length, size, size, 1]);
}

/**
 * The export to ship: the smallest one (bytes on disk) whose accuracy is within `maxAccuracyDrop` (fraction, default
 * 0.05) of the most accurate export; ties go to the more accurate.
 */
export function chooseDeployment<R extends Pick<ExportRow, 'accuracy' | 'totalBytes'>>(rows: readonly R[], opts: { maxAccuracyDrop?: number } = {}): R {
  if (rows.length === 0) throw new RangeError('chooseDeployment: no exports to choose from');
  const drop = opts.maxAccuracyDrop ?? 0.05;
  const best = Math.max(...rows.map((r) => r.accuracy));
  // a small epsilon: accuracies are ratios of counts, `best − drop` may not be exact in floating point
  const ok = rows.filter((r) => r.accuracy >= best - drop - 1e-9);
  return [...ok].sort((a, b) => a.totalBytes - b.totalBytes || b.accuracy - a.accuracy)[0];
}

// ---- backends ------------------------------------------------------------------------------------------------------

/**
 * tfjs backends that can run in this process, in grasplab's order of preference: `tensorflow` (tfjs-node, only if it
 * was installed and loaded by `selectBackend`), `wasm`, `cpu`. The browser's `webgl`/`webgpu` are not tried: Node has
 * neither. The active backend is listed first and is active again on return.
 */
export async function availableBackends(candidates: readonly string[] = ['tensorflow', 'wasm', 'cpu']): Promise<string[]> {
  const active = tf.getBackend();
  const ok = [active];
  for (const name of candidates) {
    if (name === active || !tf.findBackendFactory(name)) continue;
    try {
      if (await tf.setBackend(name)) ok.push(name);
    } catch {
      /* registered but cannot start here: not available */
    }
  }
  await tf.setBackend(active);
  return ok;
}

/**
 * Runs `fn` with `backend` active and restores the previous backend afterwards, also on error. Tensors made inside
 * live on `backend`: dispose them inside `fn`.
 */
export async function withBackend<T>(backend: string, fn: () => Promise<T>): Promise<T> {
  const previous = tf.getBackend();
  if (!(await tf.setBackend(backend))) throw new Error(`withBackend: tfjs backend '${backend}' cannot start`);
  try {
    return await fn();
  } finally {
    await tf.setBackend(previous);
  }
}

/** Batch-1 latency of one export on one backend (milliseconds), or why it was not measured. */
export interface ExportLatency {
  key: string;
  model: string;
  format: WeightFormat;
  backend: string;
  /** median / p10 / p90: forward pass on a ready `[1,S,S,1]` tensor until the maps are downloaded */
  forwardMs: number;
  forwardP10: number;
  forwardP90: number;
  /** median / p10 / p90: lib/export `predictGrasps` (inpaint, normalise, forward, post-processing, peak detection) */
  predictMs: number;
  predictP10: number;
  predictP90: number;
  runs: number;
  /** set when the export was not timed on this backend (the time fields are NaN) */
  skipped?: string;
}

export interface BackendLatencyOptions extends LatencyOptions {
  /**
   * Seconds all the exports together may take on this backend (default: no limit). Before timing an export, its
   * first warm-up call (one forward pass, timed) estimates what the rest would cost; an export that would overrun the
   * budget is skipped, and so are all after it (pass them fastest first).
   */
  budgetSeconds?: number;
}

/**
 * Times each export (`dir` from `compareExports`) on `backend`, batch 1, with lib/export `measureModelLatency` (what
 * `grasplab latency` prints): the model is loaded on that backend, measured and disposed; the previous backend is
 * active again on return. Exports over the time budget are reported as skipped rather than timed.
 */
export async function measureExportLatency(
  exports: readonly Pick<ExportRow, 'key' | 'model' | 'format' | 'dir'>[],
  backend: string,
  opts: BackendLatencyOptions = {},
): Promise<ExportLatency[]> {
  const runs = Math.max(1, Math.floor(opts.runs ?? 10));
  const warmup = Math.max(1, Math.floor(opts.warmup ?? 2));
  const budgetMs = (opts.budgetSeconds ?? Infinity) * 1000;
  return withBackend(backend, async () => {
    const out: ExportLatency[] = [];
    const t0 = performance.now();
    let overBudget: string | undefined;
    for (const e of exports) {
      const base = { key: e.key, model: e.model, format: e.format, backend, runs };
      const nan = { forwardMs: NaN, forwardP10: NaN, forwardP90: NaN, predictMs: NaN, predictP10: NaN, predictP90: NaN };
      if (!overBudget && performance.now() - t0 >= budgetMs) overBudget = `not timed: the ${opts.budgetSeconds} s budget on ${backend} is spent`;
      if (overBudget) {
        out.push({ ...base, ...nan, runs: 0, skipped: overBudget });
        continue;
      }
      const model = await loadModelFromDir(e.dir);
      try {
        // the first warm-up call, timed. A prediction costs about one forward pass more than a forward pass, so the
        // remaining calls (warm-up − 1 and runs, each forward and predict) cost about 2·(warmup − 1 + runs) of it.
        const probeMs = await timeForward(model);
        const remainingMs = 2 * (warmup - 1 + runs) * probeMs;
        if (performance.now() - t0 + remainingMs > budgetMs) {
          const why = `one forward pass takes ${(probeMs / 1000).toFixed(1)} s on ${backend}: ${runs} runs would overrun the ${opts.budgetSeconds} s budget`;
          out.push({ ...base, ...nan, runs: 0, skipped: why });
          overBudget = `not timed: ${e.model} ${e.format} was already over the ${opts.budgetSeconds} s budget on ${backend}`;
          continue;
        }
        const lat = await measureModelLatency(model, { warmup: warmup - 1, runs });
        out.push({
          ...base,
          forwardMs: lat.forward.median,
          forwardP10: lat.forward.p10,
          forwardP90: lat.forward.p90,
          predictMs: lat.predict.median,
          predictP10: lat.predict.p10,
          predictP90: lat.predict.p90,
        });
      } finally {
        model.dispose();
      }
    }
    return out;
  });
}

/** Milliseconds of one batch-1 forward pass on zeros, maps downloaded. */
async function timeForward(model: tf.LayersModel): Promise<number> {
  const size = modelInputSize(model);
  const x = tf.zeros([1, size, size, 1]);
  try {
    const t0 = performance.now();
    const y = tf.tidy(() => {
      const out = model.predict(x);
      return Array.isArray(out) ? out[0] : out;
    });
    await y.data();
    y.dispose();
    return performance.now() - t0;
  } finally {
    x.dispose();
  }
}

/** One line of notebook 06's size / accuracy / latency table (plain numbers, for display and CSV). */
export interface ExportSummaryRow {
  model: string;
  /** a tfjs weight format, or an ONNX export (lib/export/onnx_report) */
  format: string;
  params: number;
  'size KB': number;
  '× float32 size': number;
  'accuracy %': number;
  'Δ accuracy (pts)': number;
  'max |Δ map|': number;
  'mean |Δ map|': number;
  backend: string;
  'forward ms': number;
  'predict ms': number;
  [k: string]: string | number;
}

/** Joins the export rows with their latency on `backend` (NaN where not timed there). */
export function exportSummary(rows: readonly ExportRow[], latency: readonly ExportLatency[], backend: string): ExportSummaryRow[] {
  return rows.map((r) => {
    const l = latency.find((x) => x.key === r.key && x.format === r.format && x.backend === backend);
    return {
      model: r.model,
      format: r.format,
      params: r.params,
      'size KB': r.totalBytes / 1024,
      '× float32 size': r.sizeRatio,
      'accuracy %': 100 * r.accuracy,
      'Δ accuracy (pts)': 100 * r.accuracyDelta,
      'max |Δ map|': r.maxAbsDiff,
      'mean |Δ map|': r.meanAbsDiff,
      backend,
      'forward ms': l?.forwardMs ?? NaN,
      'predict ms': l?.predictMs ?? NaN,
    };
  });
}

// ---- handing the export to an application -------------------------------------------------------------------------

/**
 * A depth image file of `entry` for the CLI: the dataset's own depth TIFF when it has one (Cornell/synthetic
 * `pcdNNNNd.tiff`, Jacquard `*_perfect_depth.tiff`), else its depth written as a float32 TIFF (metres) into `outDir`
 * (e.g. Cornell read from point clouds).
 */
export async function depthFileFor(ds: GraspDataset, entry: DatasetEntry, outDir: string): Promise<string> {
  const files = ds.files(entry);
  const own = files.depthTiff ?? files.depth;
  if (own && fs.existsSync(own)) return own;
  const raw = await ds.load(entry);
  const file = path.join(outDir, `${entry.id.replace(/[^\w.-]+/g, '_')}_depth.tiff`);
  fs.mkdirSync(outDir, { recursive: true });
  await writeDepthTiff(file, raw.depth);
  return file;
}

/** `p` relative to the project root when it lies inside it (for commands a reader copies), else absolute. */
export function projectPath(p: string): string {
  const rel = path.relative(PROJECT_ROOT, path.resolve(p));
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : path.resolve(p);
}

/**
 * grasplab's own layer classes (`Grasplab*`) an export's topology uses. An application must register them before
 * `tf.loadLayersModel` (importing lib/models/registry does), or loading fails with "Unknown layer".
 */
export function grasplabLayerClasses(modelJson: tf.io.ModelJSON): string[] {
  const found = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'class_name' && typeof x === 'string' && x.startsWith('Grasplab')) found.add(x);
        else walk(x);
      }
    }
  };
  walk(modelJson.modelTopology);
  return [...found].sort();
}
