import * as fs from 'fs';
import type * as tf from '@tensorflow/tfjs';
import { ConfigError, DataFormatError } from '../errors';
import type { MapPredictor } from '../models/predictor';
import { defaultForwardEngine, type ForwardEngine } from './forward_engine';
import { onnxRuntimeAvailable, OrtPredictor } from './onnx_runtime';
import { loadModelFromDir } from './save';

/** A model opened for forward passes by the CLI (`eval`, `predict`, `latency`). */
export interface OpenedModel {
  predictor: MapPredictor;
  /** the tfjs model, when the source was a model folder */
  model?: tf.LayersModel;
  /** 'onnx' for a `.onnx` file, 'tfjs' for a model folder (model.json + shards) */
  format: 'onnx' | 'tfjs';
  /** frees the session / the tfjs model */
  release(): Promise<void>;
}

/**
 * Opens `source` for forward passes: an exported `.onnx` file runs on ONNX Runtime; a tfjs model folder (a training
 * checkpoint or a tfjs export) is loaded with tfjs and run by `engine` (default: ONNX Runtime where installed, else
 * tfjs). The caller must have selected a tfjs backend (lib/backend `selectBackend`) for model folders.
 */
export async function openForForward(source: string, engine: ForwardEngine = defaultForwardEngine()): Promise<OpenedModel> {
  if (source.toLowerCase().endsWith('.onnx')) {
    if (!fs.existsSync(source)) throw new DataFormatError(source, 'no such ONNX model file');
    const ort = onnxRuntimeAvailable();
    if (!ort.ok) throw new ConfigError(`${source}: running an .onnx model needs ONNX Runtime, but ${ort.reason}; use the tfjs export (model folder) instead`);
    const predictor = await OrtPredictor.fromFile(source);
    return { predictor, format: 'onnx', release: () => predictor.release() };
  }
  const model = await loadModelFromDir(source);
  try {
    const predictor = await engine.predictor(model);
    return {
      predictor,
      model,
      format: 'tfjs',
      release: async () => {
        await engine.release();
        model.dispose();
      },
    };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
