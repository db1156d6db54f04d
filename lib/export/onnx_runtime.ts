import * as fs from 'fs';
import * as os from 'os';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, DataFormatError, ShapeError } from '../errors';
import { checkMaps, checkPredictorInput, type MapPredictor, type NhwcBatch, type PredictorOutput } from '../models/predictor';
import { MAP_CHANNELS } from '../types';
import { exportOnnx, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME, type OnnxWeights } from './onnx';

/**
 * ONNX Runtime (`onnxruntime-node`, an optionalDependency) as a forward engine: sessions over grasplab's ONNX export
 * (lib/export/onnx.ts) behind the `MapPredictor` interface. The package is loaded lazily with `require` so that
 * grasplab works — on tfjs — where it is not installed; its API is declared below for the same reason.
 *
 * Settings (environment): `GRASPLAB_ORT_THREADS` (intra-op threads, default min(4, cores)),
 * `GRASPLAB_ORT_PROVIDER=cpu|cuda` (default cpu; cuda needs the CUDA provider libraries, see README "ONNX"),
 * `GRASPLAB_ORT_SPIN=1` lets idle ONNX Runtime threads spin (off by default: spinning threads take the cores the tfjs
 * training steps between two ORT calls need; measured 1.8x the CPU time for the same work).
 */

/** The parts of the onnxruntime-node API grasplab uses. */
interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
  dispose?(): void;
}
interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface OrtModule {
  InferenceSession: { create(model: Uint8Array | string, options?: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  env: { versions?: { node?: string; common?: string } };
}

export type OrtProvider = 'cpu' | 'cuda';

export interface OrtOptions {
  /** intra-op threads (default GRASPLAB_ORT_THREADS, else min(4, cores)) */
  threads?: number;
  /** execution provider (default GRASPLAB_ORT_PROVIDER, else cpu); cuda falls back to cpu for unsupported ops */
  provider?: OrtProvider;
  /** let idle threads spin (default GRASPLAB_ORT_SPIN=1, else off) */
  spin?: boolean;
  env?: NodeJS.ProcessEnv;
}

let loaded: { ort: OrtModule; version: string } | { reason: string } | undefined;

/**
 * `onnxruntime-node` if it can be loaded, else why not (not installed, or its native binding fails). Cached.
 * @example const r = loadOnnxRuntime(); if ('ort' in r) console.log(r.version);
 */
export function loadOnnxRuntime(): { ort: OrtModule; version: string } | { reason: string } {
  if (!loaded) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const ort = require('onnxruntime-node') as OrtModule;
      loaded = { ort, version: ort.env?.versions?.node ?? 'unknown' };
    } catch (e) {
      const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
      loaded = { reason: /Cannot find module 'onnxruntime-node'/.test(msg) ? 'onnxruntime-node is not installed (an optional dependency)' : `onnxruntime-node does not load: ${msg}` };
    }
  }
  return loaded;
}

/** Whether ONNX Runtime can run here: its version, or the reason when not. */
export function onnxRuntimeAvailable(): { ok: boolean; version?: string; reason?: string } {
  const r = loadOnnxRuntime();
  return 'ort' in r ? { ok: true, version: r.version } : { ok: false, reason: r.reason };
}

function requireOrt(): { ort: OrtModule; version: string } {
  const r = loadOnnxRuntime();
  if (!('ort' in r)) throw new ConfigError(`ONNX Runtime is not available: ${r.reason}. Install it with \`npm install onnxruntime-node\`, or use the tfjs engine (GRASPLAB_FORWARD=tfjs).`);
  return r;
}

/** Resolves the options from the environment; throws ConfigError on bad values. */
export function ortSettings(opts: OrtOptions = {}): { threads: number; provider: OrtProvider; spin: boolean } {
  const env = opts.env ?? process.env;
  let threads = opts.threads;
  if (threads === undefined && env.GRASPLAB_ORT_THREADS) {
    threads = Number(env.GRASPLAB_ORT_THREADS);
    if (!(Number.isInteger(threads) && threads >= 1)) throw new ConfigError(`GRASPLAB_ORT_THREADS=${env.GRASPLAB_ORT_THREADS}: expected an integer ≥ 1`);
  }
  threads ??= Math.max(1, Math.min(4, os.cpus().length));
  const provider = (opts.provider ?? (env.GRASPLAB_ORT_PROVIDER || 'cpu')) as OrtProvider;
  if (provider !== 'cpu' && provider !== 'cuda') throw new ConfigError(`GRASPLAB_ORT_PROVIDER=${provider}: use cpu or cuda`);
  const spin = opts.spin ?? env.GRASPLAB_ORT_SPIN === '1';
  return { threads, provider, spin };
}

/** A model run by ONNX Runtime: `[B,S,S,1]` depth → `[B,S,S,4]` maps (+ one feature output). */
export class OrtPredictor implements MapPredictor {
  private released = false;

  private constructor(
    private readonly ort: OrtModule,
    private readonly session: OrtSession,
    readonly engine: string,
    readonly inputSize: number,
    readonly featureLayer: string | undefined,
    /** where the graph came from (a file, or `<model name> (in memory)`), for messages */
    readonly source: string,
  ) {}

  /**
   * A session over `model` exported at its current weights (main output; `featureLayer` as a second output).
   * @example const p = await OrtPredictor.fromModel(model); const { maps } = await p.predict(batch); await p.release();
   */
  static async fromModel(model: tf.LayersModel, opts: OrtOptions & { featureLayer?: string; weights?: OnnxWeights } = {}): Promise<OrtPredictor> {
    const { bytes } = exportOnnx(model, { weights: opts.weights, extraOutputs: opts.featureLayer ? [opts.featureLayer] : [] });
    return OrtPredictor.fromBytes(bytes, `${model.name} (in memory)`, opts, opts.featureLayer);
  }

  /** A session over an exported `.onnx` file (grasplab's layout: input `depth`, output `maps`). */
  static async fromFile(file: string, opts: OrtOptions = {}): Promise<OrtPredictor> {
    if (!fs.existsSync(file)) throw new DataFormatError(file, 'no such ONNX model file');
    return OrtPredictor.fromBytes(new Uint8Array(fs.readFileSync(file)), file, opts);
  }

  static async fromBytes(bytes: Uint8Array, source: string, opts: OrtOptions = {}, featureLayer?: string): Promise<OrtPredictor> {
    const { ort, version } = requireOrt();
    const s = ortSettings(opts);
    let session: OrtSession;
    try {
      session = await ort.InferenceSession.create(bytes, {
        executionProviders: s.provider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
        intraOpNumThreads: s.threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        ...(s.spin ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
      });
    } catch (e) {
      const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
      const hint = s.provider === 'cuda' ? ' (the CUDA provider needs its libraries: see README "ONNX", or set GRASPLAB_ORT_PROVIDER=cpu)' : '';
      throw new DataFormatError(source, `ONNX Runtime cannot load it: ${msg}${hint}`);
    }
    const meta = (session as unknown as { inputMetadata?: { name: string; shape?: readonly (number | string)[] }[] }).inputMetadata;
    const inShape = meta?.find((m) => m.name === ONNX_INPUT_NAME)?.shape;
    if (!session.inputNames.includes(ONNX_INPUT_NAME) || !session.outputNames.includes(ONNX_OUTPUT_NAME) || !inShape || typeof inShape[1] !== 'number' || inShape[1] !== inShape[2] || inShape[3] !== 1) {
      await session.release();
      throw new DataFormatError(source, `not a grasplab model: expected input '${ONNX_INPUT_NAME}' [batch,S,S,1] and output '${ONNX_OUTPUT_NAME}' [batch,S,S,${MAP_CHANNELS.length}], got inputs ${session.inputNames.map((n) => `'${n}'`).join(', ')} [${inShape ?? '?'}] and outputs ${session.outputNames.map((n) => `'${n}'`).join(', ')}`);
    }
    const engine = `onnxruntime-node ${version} (${s.provider}, ${s.threads} thread${s.threads === 1 ? '' : 's'})`;
    return new OrtPredictor(ort, session, engine, inShape[1] as number, featureLayer, source);
  }

  async predict(x: NhwcBatch): Promise<PredictorOutput> {
    if (this.released) throw new ConfigError(`ONNX Runtime session of ${this.source} was released`);
    checkPredictorInput(x, this.inputSize, this.source);
    const input = new this.ort.Tensor('float32', x.data, x.shape);
    const out = await this.session.run({ [ONNX_INPUT_NAME]: input });
    try {
      const maps = batchOf(out[ONNX_OUTPUT_NAME], ONNX_OUTPUT_NAME);
      checkMaps(maps, x, this.source);
      if (!this.featureLayer) return { maps };
      return { maps, features: batchOf(out[this.featureLayer], this.featureLayer) };
    } finally {
      input.dispose?.();
      for (const t of Object.values(out)) t.dispose?.();
    }
  }

  /** Frees the session (native memory). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.session.release();
  }
}

function batchOf(t: OrtTensor | undefined, name: string): NhwcBatch {
  if (!t || !(t.data instanceof Float32Array) || t.dims.length !== 4) {
    throw new ShapeError(`ONNX Runtime output '${name}' is missing or not a 4-D float32 tensor`);
  }
  // CPU tensors' data is a plain JS array: it stays valid after the tensor object is disposed
  return { data: t.data, shape: [...t.dims] as NhwcBatch['shape'] };
}
