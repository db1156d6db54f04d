import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { DataFormatError } from '../errors';
import { removeInside } from '../config/safe_remove';
// loading a model needs its custom layer classes registered
import '../models/custom_layers';
import { BYTES_PER_VALUE, encodeValues, type QuantizationSpec, type WeightFormat } from './quantize';

/** tfjs-converter's default shard size: 4 MB per `groupN-shardKofM.bin` (browsers cache files of that size well). */
export const SHARD_BYTES = 4 * 1024 * 1024;
export const MODEL_JSON = 'model.json';

/** A manifest entry as written to model.json (tfjs's type lacks the converter's `original_dtype`). */
export type ManifestEntry = Omit<tf.io.WeightsManifestEntry, 'quantization'> & { quantization?: QuantizationSpec };

/** What grasplab records about an export under `userDefinedMetadata.grasplab` in model.json. */
export interface ExportMetadata {
  weightFormat: WeightFormat;
  /** channel order of the output map tensor, `[B,H,W,4]` */
  outputChannels: string[];
  /** input `[H, W, C]` the model was built for, if fixed */
  inputShape?: (number | null)[];
  /** free-form provenance (run name, model config, ...) supplied by the caller */
  source?: Record<string, unknown>;
}

export interface ExportOptions {
  /** default 'float32' */
  format?: WeightFormat;
  /** default SHARD_BYTES */
  shardBytes?: number;
  /** stored as `userDefinedMetadata.grasplab.source` */
  source?: Record<string, unknown>;
}

export interface ExportResult {
  dir: string;
  format: WeightFormat;
  /** file names written, model.json first */
  files: string[];
  modelJsonBytes: number;
  weightBytes: number;
  totalBytes: number;
  /** number of weight tensors / scalar values stored */
  tensors: number;
  values: number;
}

/**
 * Writes `model` in the standard TensorFlow.js layers format: `dir/model.json` (topology + weights manifest) and
 * `group1-shard{k}of{n}.bin`, which stock `tf.loadLayersModel` reads from a URL (browser) or through
 * `loadModelFromDir` (Node). Weights are stored as `format` with the converter's manifest `quantization` entries.
 *
 * Why not `model.save(...)`: tfjs's JS save path cannot quantise (`encodeWeights` has a "TODO: Support
 * quantization"), so only the topology and the weight names/values are taken from a save handler and the weight
 * data and manifest are written here. The training config is dropped: an export is for inference, and a custom loss
 * named in it would make loading fail.
 * Creates `dir` if needed; overwrites an existing model.json and removes stale shards of an earlier export.
 *
 * @example await exportModel(model, 'results/exports/ggcnn-uint8', { format: 'uint8' })
 */
export async function exportModel(model: tf.LayersModel, dir: string, opts: ExportOptions = {}): Promise<ExportResult> {
  const format = opts.format ?? 'float32';
  const shardBytes = opts.shardBytes ?? SHARD_BYTES;
  if (!(shardBytes > 0)) throw new RangeError(`exportModel: shardBytes must be > 0, got ${shardBytes}`);
  const artifacts = await topologyAndWeights(model);
  const specs = artifacts.weightSpecs ?? [];

  // Decode tfjs's own float32 weight data so the names, order and values are exactly what model.save would store.
  const named = tf.io.decodeWeights(artifacts.weightData ?? new ArrayBuffer(0), specs);
  const entries: ManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  let values = 0;
  try {
    for (const spec of specs) {
      const t = named[spec.name];
      const entry: ManifestEntry = { name: spec.name, shape: spec.shape, dtype: spec.dtype };
      if (spec.dtype === 'float32') {
        const enc = encodeValues(t.dataSync() as Float32Array, format, spec.name);
        if (enc.quantization) entry.quantization = enc.quantization;
        chunks.push(enc.bytes);
      } else {
        // Integer/bool weights (none in our models) are stored unquantised, as tfjs wrote them.
        chunks.push(new Uint8Array((t.dataSync() as Int32Array | Uint8Array).slice().buffer));
      }
      values += t.size;
      entries.push(entry);
    }
  } finally {
    tf.dispose(Object.values(named));
  }

  const data = concat(chunks);
  const nShards = Math.max(1, Math.ceil(data.byteLength / shardBytes));
  const shardNames = Array.from({ length: nShards }, (_, k) => `group1-shard${k + 1}of${nShards}.bin`);
  const meta: ExportMetadata = {
    weightFormat: format,
    outputChannels: ['pos', 'cos', 'sin', 'width'],
    inputShape: inputShapeOf(model),
    ...(opts.source ? { source: opts.source } : {}),
  };
  const modelJson = {
    format: 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: `grasplab export (${format})`,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: shardNames, weights: entries }],
    userDefinedMetadata: { grasplab: meta },
  };

  fs.mkdirSync(dir, { recursive: true });
  removeStaleShards(dir);
  const jsonText = JSON.stringify(modelJson);
  fs.writeFileSync(path.join(dir, MODEL_JSON), jsonText);
  // Weights may straddle shard boundaries: tfjs concatenates all shards of a group before decoding (as for the converter).
  for (let k = 0; k < nShards; k++) {
    fs.writeFileSync(path.join(dir, shardNames[k]), data.subarray(k * shardBytes, Math.min(data.byteLength, (k + 1) * shardBytes)));
  }
  const modelJsonBytes = Buffer.byteLength(jsonText);
  return {
    dir,
    format,
    files: [MODEL_JSON, ...shardNames],
    modelJsonBytes,
    weightBytes: data.byteLength,
    totalBytes: modelJsonBytes + data.byteLength,
    tensors: entries.length,
    values,
  };
}

/** The artifacts `model.save` would write (topology + float32 weights), captured in memory. */
async function topologyAndWeights(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!captured || captured.modelTopology == null) throw new Error('exportModel: model.save produced no topology');
  if (Array.isArray(captured.weightData)) captured.weightData = tf.io.concatenateArrayBuffers(captured.weightData);
  return captured;
}

function inputShapeOf(model: tf.LayersModel): (number | null)[] | undefined {
  const shape = model.inputs[0]?.shape;
  return shape ? shape.slice(1) : undefined;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

function removeStaleShards(dir: string): void {
  for (const f of fs.readdirSync(dir)) if (/^group\d+-shard\d+of\d+\.bin$/.test(f)) removeInside(dir, path.join(dir, f));
}

/**
 * An IOHandler that reads an exported model folder from disk with Node fs (tfjs-node's `file://` handler is not
 * available here). It hands tfjs the parsed manifest and the concatenated shard bytes through
 * `tf.io.getModelArtifactsForJSON`, the same route tfjs's http loader takes, so weights are decoded, and dequantised,
 * by tfjs-core's standard `decodeWeights`. Every problem is a DataFormatError naming the file.
 */
export function dirLoadHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const modelJson = readModelJson(dir);
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => readWeights(dir, manifest));
    },
  };
}

/**
 * Loads an exported (or saved) layers model from `dir` (`model.json` + shards); grasplab's custom layers are
 * registered by this module's import of `lib/models/custom_layers`. Caller disposes the model.
 */
export async function loadModelFromDir(dir: string): Promise<tf.LayersModel> {
  const handler = dirLoadHandler(dir);
  try {
    return await tf.loadLayersModel(handler);
  } catch (e) {
    if (e instanceof DataFormatError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    // e.g. "Unknown layer: X" when a custom layer class was not registered, or a topology/weights mismatch.
    throw new DataFormatError(path.join(dir, MODEL_JSON), `tfjs could not build the model: ${msg}`);
  }
}

/** Reads and checks `dir/model.json`. */
export function readModelJson(dir: string): tf.io.ModelJSON {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new DataFormatError(dir, 'no such model folder (expected model.json + group1-shard*.bin, as written by `grasplab export`)');
  }
  const file = path.join(dir, MODEL_JSON);
  if (!fs.existsSync(file)) throw new DataFormatError(file, 'missing: the model folder has no model.json (was it exported with `grasplab export`?)');
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DataFormatError(file, `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const mj = json as Partial<tf.io.ModelJSON>;
  if (typeof json !== 'object' || json === null || mj.modelTopology == null) {
    throw new DataFormatError(file, 'not a TensorFlow.js model.json: no modelTopology');
  }
  if (!Array.isArray(mj.weightsManifest)) throw new DataFormatError(file, 'not a TensorFlow.js model.json: no weightsManifest');
  return mj as tf.io.ModelJSON;
}

/** The grasplab metadata of an export, if model.json has it. */
export function exportMetadata(modelJson: tf.io.ModelJSON): ExportMetadata | undefined {
  return modelJson.userDefinedMetadata?.grasplab as ExportMetadata | undefined;
}

/** Reads every shard of the manifest, checking that their total size is what the weight specs need. */
function readWeights(dir: string, manifest: tf.io.WeightsManifestConfig): [tf.io.WeightsManifestEntry[], ArrayBuffer] {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  const file = path.join(dir, MODEL_JSON);
  for (const group of manifest) {
    let groupBytes = 0;
    for (const p of group.paths) {
      const shard = path.join(dir, p);
      if (!fs.existsSync(shard)) throw new DataFormatError(shard, `missing weight shard listed in ${MODEL_JSON}`);
      const b = fs.readFileSync(shard);
      buffers.push(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
      groupBytes += b.byteLength;
    }
    const expected = group.weights.reduce((n, w) => n + storedBytes(w as ManifestEntry, file), 0);
    if (groupBytes !== expected) {
      throw new DataFormatError(
        path.join(dir, group.paths[0] ?? MODEL_JSON),
        `weight shards hold ${groupBytes} bytes but the manifest describes ${expected} (truncated or mismatched shard?)`,
      );
    }
    specs.push(...group.weights);
  }
  const all = concat(buffers);
  return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer];
}

/** Bytes a manifest entry occupies in the shards. */
function storedBytes(w: ManifestEntry, file: string): number {
  const n = w.shape.reduce((a, b) => a * b, 1);
  if (w.quantization) {
    const q = w.quantization.dtype as string;
    if (q !== 'uint8' && q !== 'uint16' && q !== 'float16') {
      throw new DataFormatError(file, `weight '${w.name}' has unsupported quantization dtype '${q}'`);
    }
    return n * BYTES_PER_VALUE[q];
  }
  const per: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
  if (!(w.dtype in per)) throw new DataFormatError(file, `weight '${w.name}' has unsupported dtype '${w.dtype}'`);
  return n * per[w.dtype];
}
