import * as ort from 'onnxruntime-web/wasm';
import { checkMaps, checkPredictorInput, type MapPredictor, type NhwcBatch, type PredictorOutput } from '../lib/models/predictor';

/**
 * The exported ONNX model (lib/export/onnx.ts: input `depth` [batch,S,S,1], output `maps` [batch,S,S,4]) in the
 * browser with ONNX Runtime Web's WebAssembly execution provider, behind lib's `MapPredictor` — so the page's
 * pipeline (lib/export `predictGrasps`) is the same for both engines. The runtime's .wasm/.mjs files are copied next
 * to the page by web/build.ts (`ort/`) and loaded from there, never from a CDN.
 */

const INPUT = 'depth';
const OUTPUT = 'maps';

/** Points ONNX Runtime Web at the locally served runtime files; returns the thread count it will use. */
export function configureOrtWeb(baseUrl: string): number {
  ort.env.wasm.wasmPaths = baseUrl;
  // threads need SharedArrayBuffer, i.e. a cross-origin isolated page (web/serve.ts sends COOP/COEP)
  const threads = globalThis.crossOriginIsolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)) : 1;
  ort.env.wasm.numThreads = threads;
  return threads;
}

/** A session over the model at `source` (URL or bytes). */
export async function ortWebPredictor(source: string | Uint8Array, name: string): Promise<MapPredictor & { release(): Promise<void> }> {
  const session = typeof source === 'string'
    ? await ort.InferenceSession.create(source, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' })
    : await ort.InferenceSession.create(source, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const meta = session.inputMetadata.find((m) => m.name === INPUT);
  const shape = meta && meta.isTensor ? meta.shape : undefined;
  if (!shape || typeof shape[1] !== 'number' || shape[1] !== shape[2] || !session.outputNames.includes(OUTPUT)) {
    await session.release();
    throw new Error(`${name}: not a grasplab ONNX model (expected input '${INPUT}' [batch,S,S,1] and output '${OUTPUT}')`);
  }
  const size = shape[1];
  return {
    engine: `ONNX Runtime Web ${ort.env.versions.web ?? ''} (wasm, ${ort.env.wasm.numThreads} thread${ort.env.wasm.numThreads === 1 ? '' : 's'})`,
    inputSize: size,
    async predict(x: NhwcBatch): Promise<PredictorOutput> {
      checkPredictorInput(x, size, name);
      const input = new ort.Tensor('float32', x.data, x.shape);
      const out = await session.run({ [INPUT]: input });
      const y = out[OUTPUT];
      const maps: NhwcBatch = { data: (await y.getData()) as Float32Array, shape: y.dims as NhwcBatch['shape'] };
      checkMaps(maps, x, name);
      input.dispose();
      y.dispose();
      return { maps };
    },
    release: () => session.release(),
  };
}
