import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { removeInside } from '../config/safe_remove';
// loading a model needs its custom layer classes registered
import '../models/custom_layers';
import { ConfigError, DataFormatError } from '../errors';

/**
 * Model/optimiser files without tfjs-node (whose `file://` handler is unavailable here):
 * - `model.json` in the standard TF.js layers format (`modelTopology`, `weightsManifest: [{paths:['weights.bin'], weights}]`)
 *   + `weights.bin` — `tf.loadLayersModel` in a browser reads the same pair;
 * - `optimizer.json` + `optimizer.bin`: `optimizer.getWeights()` (Adam: iterations, first and second moments).
 * Custom layers round-trip through tfjs's serialization registry; `lib/models/custom_layers` (imported here)
 * registers grasplab's.
 */

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
export const OPTIMIZER_JSON = 'optimizer.json';
export const OPTIMIZER_BIN = 'optimizer.bin';

/** model.json as written here (the TF.js `ModelJSON` layout plus our metadata). */
interface ModelFile {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  userDefinedMetadata?: Record<string, unknown>;
}

/**
 * Saves `model` as `dir/model.json` + `dir/weights.bin` (all weights, including BatchNorm moving statistics).
 * Creates `dir`. `metadata` is stored as `userDefinedMetadata` (JSON).
 */
export async function saveModel(model: tf.LayersModel, dir: string, metadata?: Record<string, unknown>): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = joinWeightData(artifacts.weightData);
      const file: ModelFile = {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology as object,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
        ...(metadata ? { userDefinedMetadata: metadata } : {}),
      };
      fs.writeFileSync(path.join(dir, WEIGHTS_BIN), new Uint8Array(data));
      fs.writeFileSync(path.join(dir, MODEL_JSON), JSON.stringify(file));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}

/** Reads `dir/model.json` + its weight files as tfjs model artifacts (with errors naming the file and the problem). */
export function readModelArtifacts(dir: string): tf.io.ModelArtifacts {
  const jsonPath = path.join(dir, MODEL_JSON);
  const file = readJson<ModelFile>(jsonPath);
  if (!file.modelTopology || !Array.isArray(file.weightsManifest)) {
    throw new DataFormatError(jsonPath, 'not a TF.js layers model.json (needs modelTopology and weightsManifest)');
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of file.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) buffers.push(readBinary(path.join(dir, p)));
  }
  const data = Buffer.concat(buffers);
  checkByteLength(specs, data.byteLength, path.join(dir, file.weightsManifest[0]?.paths[0] ?? WEIGHTS_BIN));
  return {
    modelTopology: file.modelTopology,
    format: file.format,
    generatedBy: file.generatedBy,
    convertedBy: file.convertedBy ?? undefined,
    weightSpecs: specs,
    weightData: toArrayBuffer(data),
    userDefinedMetadata: file.userDefinedMetadata as tf.io.ModelArtifacts['userDefinedMetadata'],
  };
}

/** Loads a model saved by `saveModel` (or any single-group TF.js layers model folder). */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  const artifacts = readModelArtifacts(dir);
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const hint = /Unknown layer|Unknown.*class/i.test(msg) ? ' (import the module that registers the custom layer first)' : '';
    throw new DataFormatError(path.join(dir, MODEL_JSON), `cannot build the model: ${msg}${hint}`);
  }
}

/** `userDefinedMetadata` of a saved model, without building it. */
export function readModelMetadata(dir: string): Record<string, unknown> | undefined {
  return readJson<ModelFile>(path.join(dir, MODEL_JSON)).userDefinedMetadata;
}

/**
 * Copies the weights saved in `dir` into an existing `model` of the same architecture, by position in
 * `model.weights` (tfjs's layer names carry per-process counters, so names differ between processes).
 */
export function loadWeightsInto(model: tf.LayersModel, dir: string): void {
  const artifacts = readModelArtifacts(dir);
  const specs = artifacts.weightSpecs ?? [];
  const file = path.join(dir, WEIGHTS_BIN);
  if (specs.length !== model.weights.length) {
    throw new ConfigError(`${file} holds ${specs.length} weight tensors but model '${model.name}' has ${model.weights.length}; was it saved from a different model?`);
  }
  specs.forEach((s, i) => {
    const want = model.weights[i].shape as number[];
    if (!tf.util.arraysEqual(s.shape, want)) {
      throw new ConfigError(`${file}: weight ${i} (${s.name}) has shape [${s.shape}], model '${model.name}' expects [${want}] for ${model.weights[i].originalName}`);
    }
  });
  const named = tf.io.decodeWeights(artifacts.weightData!, specs);
  try {
    model.setWeights(specs.map((s) => named[s.name]));
  } finally {
    tf.dispose(Object.values(named));
  }
}

/** Saves the optimiser's state (`getWeights()`, e.g. Adam's iteration count and moments) in `dir`. */
export async function saveOptimizer(optimizer: tf.Optimizer, dir: string, extra: Record<string, unknown> = {}): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const named = await optimizer.getWeights();
  try {
    const { data, specs } = await tf.io.encodeWeights(named);
    fs.writeFileSync(path.join(dir, OPTIMIZER_BIN), new Uint8Array(joinWeightData(data)));
    const json = { className: optimizer.getClassName(), config: optimizer.getConfig(), weightSpecs: specs, ...extra };
    fs.writeFileSync(path.join(dir, OPTIMIZER_JSON), JSON.stringify(json));
  } finally {
    // getWeights returns the live state variables plus a fresh 'iter' scalar: dispose only what it created.
    tf.dispose(named.filter((n) => !(n.tensor instanceof tf.Variable)).map((n) => n.tensor));
  }
}

/**
 * Restores state saved by `saveOptimizer` into a freshly created optimiser of the same class (before its first
 * step). The state is positional (one entry per trainable weight, in `model.trainableWeights` order); pass
 * `expectedVariables` (number of trainable weights) to check it fits.
 */
export async function loadOptimizerState(optimizer: tf.Optimizer, dir: string, expectedVariables?: number): Promise<void> {
  const jsonPath = path.join(dir, OPTIMIZER_JSON);
  const json = readJson<{ className: string; weightSpecs: tf.io.WeightsManifestEntry[] }>(jsonPath);
  if (json.className !== optimizer.getClassName()) {
    throw new ConfigError(`${jsonPath} holds ${json.className} state, but the optimiser is ${optimizer.getClassName()}`);
  }
  const specs = json.weightSpecs;
  const slots = specs.length - 1; // minus 'iter'
  if (expectedVariables !== undefined && slots > 0 && slots % expectedVariables !== 0) {
    throw new ConfigError(`${jsonPath} holds state for ${slots} slots, which does not fit ${expectedVariables} trainable weights`);
  }
  const data = readBinary(path.join(dir, OPTIMIZER_BIN));
  checkByteLength(specs, data.byteLength, path.join(dir, OPTIMIZER_BIN));
  const named = tf.io.decodeWeights(toArrayBuffer(data), specs);
  try {
    // setWeights turns each tensor into a new variable that shares (and refcounts) its data, so disposing is safe.
    await optimizer.setWeights(specs.map((s) => ({ name: s.name, tensor: named[s.name] })));
  } finally {
    tf.dispose(Object.values(named));
  }
}

/** Writes JSON via a temp file + rename, so a killed process never leaves a half-written file. */
export function writeJsonAtomic(file: string, data: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(data, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

/**
 * Replaces folder `dir` by what `write(tmpDir)` produces, so `dir` always holds either the old or the new complete
 * checkpoint: write `dir.tmp`, move `dir` to `dir.old`, move `dir.tmp` to `dir`, delete `dir.old`.
 * `readableCheckpointDir` finds `dir.old` if a kill happened between the two moves.
 */
export async function replaceDir(dir: string, write: (tmpDir: string) => Promise<void>): Promise<void> {
  const parent = path.dirname(path.resolve(dir));
  const tmp = `${dir}.tmp`;
  const old = `${dir}.old`;
  removeInside(parent, tmp);
  try {
    await write(tmp);
  } catch (e) {
    removeInside(parent, tmp);
    throw e;
  }
  removeInside(parent, old);
  if (fs.existsSync(dir)) fs.renameSync(dir, old);
  fs.renameSync(tmp, dir);
  removeInside(parent, old);
}

/** `dir` if it exists, else `dir.old` left by an interrupted `replaceDir`, else undefined. */
export function readableCheckpointDir(dir: string): string | undefined {
  if (fs.existsSync(dir)) return dir;
  if (fs.existsSync(`${dir}.old`)) return `${dir}.old`;
  return undefined;
}

export function readJson<T>(file: string): T {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataFormatError(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new DataFormatError(file, `invalid JSON: ${(e as Error).message}`);
  }
}

function readBinary(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new DataFormatError(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

function checkByteLength(specs: tf.io.WeightsManifestEntry[], got: number, file: string): void {
  let want = 0;
  for (const s of specs) {
    if (s.quantization) throw new DataFormatError(file, `weight ${s.name} is quantised; load quantised exports with tf.loadLayersModel`);
    const b = BYTES[s.dtype];
    if (b === undefined) throw new DataFormatError(file, `weight ${s.name} has unsupported dtype ${s.dtype}`);
    want += b * s.shape.reduce((a, d) => a * d, 1);
  }
  if (want !== got) throw new DataFormatError(file, `expected ${want} bytes for ${specs.length} weight tensors, found ${got}`);
}

function joinWeightData(data: tf.io.WeightData | undefined): ArrayBuffer {
  if (data === undefined) return new ArrayBuffer(0);
  return tf.io.CompositeArrayBuffer.join(data);
}

function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}
