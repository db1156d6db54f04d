import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradientKernels } from '../lib/backend/wasm_kernels';
import { detectGrasps } from '../lib/eval/detect';
import { decodeDepthImage } from '../lib/export/depth_decode';
import { toSourceGrasp, type InputFit } from '../lib/export/depth_input';
import { overlayRgba } from '../lib/export/overlay';
import { graspReport, modelInputSize, predictGrasps, type Prediction } from '../lib/export/predict';
import type { MapPredictor } from '../lib/models/predictor';
// registers grasplab's custom layer classes (PSPNet), which loading its exports needs
import '../lib/models/custom_layers';
import type { Grasp, Image2D } from '../lib/types';
import { mapToImageData } from './colormap';
import { configureOrtWeb, ortWebPredictor } from './ort_web';

/**
 * grasplab web demo: load an exported model (tfjs layers format) with stock `tf.loadLayersModel`, run it on a depth
 * image chosen by the user or the bundled example, and show the four maps and the best grasps. The pipeline is
 * lib/export `predictGrasps`, the same code the CLI runs (inpaint, fit, normalise, forward, ggcnn post-processing).
 * The same exported model also runs as ONNX (`example/model.onnx`, lib/export/onnx.ts) on ONNX Runtime Web's wasm
 * execution provider, selectable beside TensorFlow.js.
 * URL parameters: `?backend=webgl|wasm|cpu` forces a tfjs backend, `?model=URL` loads another model.json,
 * `?engine=onnx` starts on ONNX Runtime Web, `?onnx=URL` loads another .onnx file.
 */

const EXAMPLE_DIR = 'example/';
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

let model: tf.LayersModel | undefined;
/** which engine runs the forward pass */
let engine: 'tfjs' | 'onnx' = 'tfjs';
let onnxModel: (MapPredictor & { release(): Promise<void> }) | undefined;
/** where the ONNX model comes from (URL, or the bytes of a file the user chose) */
let onnxSource: string | Uint8Array = `${EXAMPLE_DIR}model.onnx`;
let onnxName = 'bundled example (ONNX)';

function setStatus(text: string, state?: 'loading' | 'ready' | 'running' | 'done' | 'error'): void {
  $('status').textContent = text;
  if (state) document.body.dataset.state = state;
}

/**
 * A software WebGL renderer (SwiftShader, llvmpipe: what headless or GPU-less browsers get) runs these convolutions
 * far slower than wasm, so webgl is only chosen on a real GPU. Returns the renderer name if it is software.
 */
function softwareWebgl(): string | undefined {
  const canvas = document.createElement('canvas');
  const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | null;
  if (!gl) return undefined;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  return /swiftshader|llvmpipe|software|basic render/i.test(renderer) ? renderer : undefined;
}

/** webgl (on a GPU), else wasm, else cpu; or the one named by `?backend=`. Returns the backend and why others were skipped. */
async function chooseBackend(wanted: string | null): Promise<{ name: string; skipped: string[] }> {
  // The wasm binaries are copied next to the page by web/build.ts.
  setWasmPaths(new URL('wasm/', document.baseURI).href);
  const order = wanted ? [wanted] : ['webgl', 'wasm', 'cpu'];
  const skipped: string[] = [];
  for (const name of order) {
    if (name === 'webgl' && !wanted) {
      const soft = softwareWebgl();
      if (soft) {
        skipped.push(`webgl: software renderer (${soft}), slower than wasm`);
        continue;
      }
    }
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        if (name === 'wasm') useGrasplabWasmKernels(skipped);
        return { name, skipped };
      }
      skipped.push(`${name}: unavailable`);
    } catch (e) {
      skipped.push(`${name}: ${(e as Error).message}`);
    }
  }
  throw new Error(`no TensorFlow.js backend could start (${skipped.join('; ')})`);
}

/**
 * The wasm kernels grasplab registers in Node (lib/backend): among them a Conv2DBackpropInput several times faster
 * than wasm's own, which GG-CNN's transposed convolutions spend most of their time in. Optional: on failure the stock
 * kernels run.
 */
function useGrasplabWasmKernels(notes: string[]): void {
  try {
    registerWasmGradientKernels();
  } catch (e) {
    notes.push(`grasplab wasm kernels not used: ${(e as Error).message}`);
  }
}

async function useModel(m: tf.LayersModel, name: string): Promise<void> {
  model?.dispose();
  model = m;
  const size = modelInputSize(m);
  // One untimed forward pass: the first call compiles shaders (webgl) or sets up kernels, which is not inference time.
  tf.tidy(() => {
    const y = m.predict(tf.zeros([1, size, size, 1]));
    (Array.isArray(y) ? y[0] : y).dataSync();
  });
  const meta = (m.getUserDefinedMetadata?.() as { grasplab?: { weightFormat?: string; source?: { note?: string } } } | undefined)?.grasplab;
  $('model-name').textContent = `${name} (${size}×${size} input, ${meta?.weightFormat ?? 'float32'} weights, ${m.countParams().toLocaleString()} parameters)`;
  $('model-note').textContent = meta?.source?.note ?? '';
  ($('run-example') as HTMLButtonElement).disabled = false;
  ($('image-file') as HTMLInputElement).disabled = false;
}

function chosenFit(depth: Image2D, size: number): InputFit {
  const v = ($('fit') as HTMLSelectElement).value as InputFit | 'auto';
  if (v !== 'auto') return v;
  if (depth.height === size && depth.width === size) return 'none';
  return depth.height >= size && depth.width >= size ? 'center' : 'resize';
}

/** Switches the forward engine; ONNX Runtime Web is started (and the .onnx model loaded) on first use. */
async function useEngine(wanted: 'tfjs' | 'onnx'): Promise<void> {
  ($('engine') as HTMLSelectElement).value = wanted;
  if (wanted === 'onnx' && !onnxModel) {
    setStatus('Starting ONNX Runtime Web…', 'loading');
    configureOrtWeb(new URL('ort/', document.baseURI).href);
    onnxModel = await ortWebPredictor(onnxSource, onnxName);
    // one untimed run: the first call sets up the kernels
    const s = onnxModel.inputSize;
    await onnxModel.predict({ data: new Float32Array(s * s), shape: [1, s, s, 1] });
  }
  engine = wanted;
  $('engine-info').textContent = wanted === 'onnx' ? `${onnxModel!.engine}, ${onnxName}` : `TensorFlow.js, ${$('backend').textContent}`;
  setStatus('Ready: run the example or choose a depth image.', 'ready');
}

/** What runs the forward pass now: the tfjs model or the ONNX Runtime Web session. */
function runner(): tf.LayersModel | MapPredictor {
  const r = engine === 'onnx' ? onnxModel : model;
  if (!r) throw new Error('no model loaded');
  return r;
}

async function runOn(bytes: Uint8Array, name: string): Promise<void> {
  const m = runner();
  setStatus(`Running on ${name}…`, 'running');
  const { depth } = await decodeDepthImage(bytes, name);
  const size = modelInputSize(m);
  const fit = chosenFit(depth, size);
  const topK = Math.max(1, Math.min(10, Number(($('top-k') as HTMLInputElement).value) || 3));
  const threshold = Number(($('threshold') as HTMLInputElement).value);
  const pred = await predictGrasps(m, depth, { topK, fit, detect: { thresholdAbs: Number.isFinite(threshold) ? threshold : 0.2 }, source: name });
  let grasps = pred.grasps;
  let below = false;
  if (grasps.length === 0) {
    // Nothing passes the threshold (typical of an untrained model): show the best peaks anyway, marked as such.
    below = true;
    grasps = detectGrasps(pred.processed, { maxGrasps: topK, thresholdAbs: -Infinity }).map((g) => toSourceGrasp(g, pred.prepared.frame));
  }
  show(depth, pred, grasps, fit);
  const t = pred.timings;
  $('timing').innerHTML =
    `Engine <b>${engine === 'onnx' ? onnxModel!.engine : `TensorFlow.js ${tf.getBackend()}`}</b>. Inference <b>${t.forwardMs.toFixed(1)} ms</b> (forward pass incl. reading the maps back), ` +
    `whole prediction ${t.totalMs.toFixed(1)} ms (input preparation ${t.prepareMs.toFixed(1)}, post-processing ${t.postprocessMs.toFixed(1)}).`;
  setStatus(
    `${name}: ${depth.height}×${depth.width}, fit '${fit}', ${grasps.length} grasp${grasps.length === 1 ? '' : 's'}` +
      (below ? ` — none above the quality threshold ${threshold}; showing the best peaks anyway` : ''),
    'done',
  );
}

function show(depth: Image2D, pred: Prediction, grasps: Grasp[], fit: InputFit): void {
  const f = pred.prepared.frame;
  const rgba = overlayRgba(depth, grasps, fit === 'none' ? undefined : { top: f.top, left: f.left, height: f.winH, width: f.winW });
  const canvas = $('overlay') as HTMLCanvasElement;
  canvas.width = rgba.width;
  canvas.height = rgba.height;
  canvas.getContext('2d')!.putImageData(new ImageData(rgba.data, rgba.width, rgba.height), 0, 0);

  const maps: [string, Image2D, number, number, boolean][] = [
    ['map-pos', pred.maps.pos, 0, 1, false],
    ['map-cos', pred.maps.cos, -1, 1, true],
    ['map-sin', pred.maps.sin, -1, 1, true],
    ['map-width', pred.maps.width, 0, 1, false],
  ];
  for (const [id, m, lo, hi, div] of maps) {
    const c = $(id) as HTMLCanvasElement;
    c.width = m.width;
    c.height = m.height;
    c.getContext('2d')!.putImageData(mapToImageData(m, lo, hi, div), 0, 0);
  }

  const body = ($('grasps') as HTMLTableElement).tBodies[0];
  body.innerHTML = '';
  grasps.forEach((g, k) => {
    const r = graspReport(g, k + 1);
    const row = body.insertRow();
    for (const v of [r.rank, `${r.center[0]}, ${r.center[1]}`, r.angleDeg, r.opening, r.jaw, r.quality]) row.insertCell().textContent = String(v);
  });
  const result = $('result');
  result.hidden = false;
  result.dataset.grasps = String(grasps.length);
}

async function guarded(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    console.error(e);
    setStatus(`Error: ${(e as Error).message}`, 'error');
  }
}

async function start(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const backend = await chooseBackend(params.get('backend'));
  $('backend').textContent = backend.name + (backend.name === 'wasm' ? ` (${getThreadsCount()} thread${getThreadsCount() === 1 ? '' : 's'})` : '');
  $('backend').title = backend.skipped.join('\n');
  const modelUrl = params.get('model') ?? `${EXAMPLE_DIR}model/model.json`;
  setStatus(`Loading ${modelUrl}…`, 'loading');
  await useModel(await tf.loadLayersModel(modelUrl), params.get('model') ? modelUrl : 'bundled example');
  if (params.get('onnx')) {
    onnxSource = params.get('onnx')!;
    onnxName = onnxSource;
  }
  const onnxOption = ($('engine') as HTMLSelectElement).querySelector('option[value="onnx"]') as HTMLOptionElement;
  const onnxThere = typeof onnxSource !== 'string' || (await fetch(onnxSource, { method: 'HEAD' })).ok;
  onnxOption.disabled = !onnxThere;
  if (!onnxThere) onnxOption.title = `${onnxSource} not found (the example was built without an ONNX export)`;
  $('engine').addEventListener('change', (ev) => guarded(() => useEngine((ev.target as HTMLSelectElement).value as 'tfjs' | 'onnx')));
  await useEngine(params.get('engine') === 'onnx' && onnxThere ? 'onnx' : 'tfjs');

  $('run-example').addEventListener('click', () =>
    guarded(async () => {
      const res = await fetch(`${EXAMPLE_DIR}depth.tiff`);
      if (!res.ok) throw new Error(`example image: HTTP ${res.status}`);
      await runOn(new Uint8Array(await res.arrayBuffer()), 'example depth.tiff');
    }),
  );
  $('image-file').addEventListener('change', (ev) =>
    guarded(async () => {
      const file = (ev.target as HTMLInputElement).files?.[0];
      if (file) await runOn(new Uint8Array(await file.arrayBuffer()), file.name);
    }),
  );
  $('model-files').addEventListener('change', (ev) =>
    guarded(async () => {
      const files = Array.from((ev.target as HTMLInputElement).files ?? []);
      const onnxFile = files.find((f) => f.name.endsWith('.onnx'));
      if (onnxFile) {
        await onnxModel?.release();
        onnxModel = undefined;
        onnxSource = new Uint8Array(await onnxFile.arrayBuffer());
        onnxName = onnxFile.name;
        await useEngine('onnx');
        return;
      }
      const json = files.find((f) => f.name.endsWith('.json'));
      if (!json) throw new Error('choose the model.json together with its .bin shard files');
      setStatus(`Loading ${json.name}…`, 'loading');
      const bins = files.filter((f) => f !== json);
      await useModel(await tf.loadLayersModel(tf.io.browserFiles([json, ...bins])), json.name);
      await useEngine('tfjs');
    }),
  );
}

void guarded(start);
