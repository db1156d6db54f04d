import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors';
import { tfjsPredictor, type MapPredictor, type PredictorFactory } from '../models/predictor';
import { onnxRuntimeAvailable, ortSettings, OrtPredictor, type OrtOptions } from './onnx_runtime';

/**
 * The engine for forward-only work — validation after each epoch, test-split scoring, `grasplab eval` / `predict`,
 * the KD teacher during student training, latency tables: ONNX Runtime where `onnxruntime-node` is installed, tfjs
 * otherwise. `GRASPLAB_FORWARD=onnxruntime|tfjs|auto` (default auto) chooses. Training itself always runs on tfjs.
 *
 * ONNX Runtime predictors are built from the model's weights at the time of the call and cached per model until any
 * of its weights changes (a tfjs Variable's data is replaced on every update, which the cache checks), so asking
 * again after every epoch costs one export + session only when the weights did change.
 */
export type ForwardEngineKind = 'onnxruntime' | 'tfjs';

export interface ForwardEngine {
  readonly kind: ForwardEngineKind;
  /** e.g. `onnxruntime-node 1.30.0 (cpu, 2 threads)` or `tfjs (wasm)` */
  readonly description: string;
  /** why this is not ONNX Runtime (when kind is tfjs) */
  readonly note?: string;
  /** a predictor for the model at its current weights (owned by the engine: do not release it) */
  readonly predictor: PredictorFactory;
  /** frees cached sessions */
  release(): Promise<void>;
}

/** Most models whose sessions stay cached (a notebook compares a handful; older ones are released). */
const CACHE_SIZE = 6;

/**
 * Chooses the forward engine from `GRASPLAB_FORWARD` (auto: ONNX Runtime if it loads). `onnxruntime` forced but not
 * installed is a ConfigError; auto falls back to tfjs and says why in `note`.
 */
export function selectForwardEngine(opts: OrtOptions & { env?: NodeJS.ProcessEnv; prefer?: ForwardEngineKind | 'auto' } = {}): ForwardEngine {
  const env = opts.env ?? process.env;
  const wanted = (opts.prefer ?? (env.GRASPLAB_FORWARD?.trim() || 'auto')) as ForwardEngineKind | 'auto';
  if (!['auto', 'onnxruntime', 'tfjs'].includes(wanted)) throw new ConfigError(`GRASPLAB_FORWARD=${wanted}: use auto, onnxruntime or tfjs`);
  if (wanted === 'tfjs') return tfjsEngine('GRASPLAB_FORWARD=tfjs');
  const ort = onnxRuntimeAvailable();
  if (!ort.ok) {
    if (wanted === 'onnxruntime') throw new ConfigError(`GRASPLAB_FORWARD=onnxruntime but ${ort.reason}`);
    return tfjsEngine(ort.reason);
  }
  return onnxRuntimeEngine({ ...opts, env });
}

/** The tfjs engine (model.predict on the active tfjs backend). */
export function tfjsEngine(note?: string): ForwardEngine {
  return {
    kind: 'tfjs',
    get description() {
      return `tfjs (${tf.getBackend()})`;
    },
    note,
    predictor: async (model, o) => tfjsPredictor(model, o),
    release: async () => {},
  };
}

/** The ONNX Runtime engine; throws ConfigError when onnxruntime-node is not available. */
export function onnxRuntimeEngine(opts: OrtOptions = {}): ForwardEngine {
  const ort = onnxRuntimeAvailable();
  if (!ort.ok) throw new ConfigError(`ONNX Runtime is not available: ${ort.reason}`);
  const s = ortSettings(opts);
  const cache: { model: tf.LayersModel; featureLayer?: string; stamp: object[]; predictor: OrtPredictor }[] = [];
  const stampOf = (model: tf.LayersModel) => model.weights.map((w) => (w.read() as unknown as { dataId: object }).dataId);
  const same = (a: object[], b: object[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  return {
    kind: 'onnxruntime',
    description: `onnxruntime-node ${ort.version} (${s.provider}, ${s.threads} thread${s.threads === 1 ? '' : 's'})`,
    async predictor(model, o = {}): Promise<MapPredictor> {
      const stamp = stampOf(model);
      const i = cache.findIndex((c) => c.model === model && c.featureLayer === o.featureLayer);
      if (i >= 0) {
        const hit = cache[i];
        cache.splice(i, 1);
        if (same(hit.stamp, stamp)) {
          cache.push(hit);
          return hit.predictor;
        }
        await hit.predictor.release();
      }
      const predictor = await OrtPredictor.fromModel(model, { ...opts, ...s, featureLayer: o.featureLayer });
      cache.push({ model, featureLayer: o.featureLayer, stamp, predictor });
      while (cache.length > CACHE_SIZE) await cache.shift()!.predictor.release();
      return predictor;
    },
    async release() {
      for (const c of cache.splice(0)) await c.predictor.release();
    },
  };
}

let shared: ForwardEngine | undefined;

/**
 * The process-wide engine chosen by `selectForwardEngine()` from the environment at first use (shared so that its
 * session cache is shared by everything that uses it).
 */
export function defaultForwardEngine(): ForwardEngine {
  shared ??= selectForwardEngine();
  return shared;
}
