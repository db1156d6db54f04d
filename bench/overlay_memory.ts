/**
 * Memory of `grasplab predict --overlay` repeated in one process (issue 16, item 9): N calls of predictGrasps +
 * renderOverlayPng on a 480x640 depth image with a GG-CNN, then N calls of the overlay alone in a synchronous loop.
 * Prints growth per call of external (Buffer/ArrayBuffer) memory, RSS and tfjs tensors after a GC.
 * Usage: node --expose-gc --import tsx bench/overlay_memory.ts [N=100]
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../lib/backend/setup';
import { createImage } from '../lib/data/image';
import { renderOverlayPng } from '../lib/export/overlay';
import { predictGrasps } from '../lib/export/predict';
import { buildModel } from '../lib/models/registry';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const N = Number(process.argv[2] ?? 100);

/** Bytes of the wasm backend's heap (it only grows; RSS follows it), 0 on other backends. */
function wasmHeap(): number {
  const b = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return b.wasm?.HEAPU8?.byteLength ?? 0;
}

function snapshot(): { ext: number; heap: number; rss: number; wasm: number; tensors: number } {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return { ext: m.external / 1e6, heap: m.heapUsed / 1e6, rss: m.rss / 1e6, wasm: wasmHeap() / 1e6, tensors: tf.memory().numTensors };
}

function perCall(a: ReturnType<typeof snapshot>, b: ReturnType<typeof snapshot>, n: number): string {
  const kb = (k: 'ext' | 'heap' | 'rss' | 'wasm') => `${(((b[k] - a[k]) * 1000) / n).toFixed(1)} KB/call`;
  return `external ${kb('ext')}, JS heap ${kb('heap')}, wasm heap ${kb('wasm')} (${b.wasm.toFixed(0)} MB), RSS ${kb('rss')}, tensors ${b.tensors - a.tensors}`;
}

async function main(): Promise<void> {
  await selectBackend({ quiet: true });
  const depth = createImage(480, 640, 0.7);
  for (let i = 0; i < depth.data.length; i++) depth.data[i] = 0.65 + 0.05 * Math.sin(i / 997) + (i % 640 > 300 && i % 640 < 340 ? -0.05 : 0);
  const model = buildModel({ name: 'ggcnn', seed: 1 });
  const run = async () => {
    const pred = await predictGrasps(model, depth, { topK: 3, fit: 'center' });
    const f = pred.prepared.frame;
    renderOverlayPng(depth, pred.grasps, { top: f.top, left: f.left, height: f.winH, width: f.winW });
  };
  for (let i = 0; i < 3; i++) await run();
  let a = snapshot();
  for (let i = 0; i < N; i++) await run();
  console.log(`predict + overlay, ${N} calls: ${perCall(a, snapshot(), N)}`);
  const grasps = [{ center: [240, 320] as [number, number], angle: 0.3, length: 60, width: 30 }];
  a = snapshot();
  for (let i = 0; i < N; i++) renderOverlayPng(depth, grasps); // no await: nothing deferred may pile up
  console.log(`overlay alone, synchronous loop, ${N} calls: ${perCall(a, snapshot(), N)}`);
  model.dispose();
}
void main();
