import * as tf from '@tensorflow/tfjs';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BackendCapabilityError, ConfigError } from '../errors';

/**
 * Multi-threaded tfjs wasm backend in Node (opt-in, experimental).
 *
 * tfjs-backend-wasm ships a threaded SIMD build (pthreads → worker_threads) but never uses it in Node: its
 * `WASM_HAS_MULTITHREAD_SUPPORT` flag is hard-wired false there (tfjs#3830), and its loader hands the pthread workers a
 * `blob:` URL, which Node's Worker cannot load. This module loads the threaded build itself:
 *  - the worker script (shipped as a string) is written to a temp .cjs file and given to emscripten's `locateFile`;
 *  - the C++ side caps threads at `emscripten_num_logical_cores() / 2` (it assumes hyper-threading), which is 1 on a
 *    2-core machine, so `os.cpus()` reports twice the cores only while the module initialises;
 *  - the result replaces the 'wasm' backend under the same name, so every wasm kernel (tfjs's and grasplab's) applies.
 * XNNPACK then splits convolutions and GEMMs over `threads` (the calling thread is one of them).
 */

let registered: number | undefined;

/** Threads of the registered threaded 'wasm' backend, or undefined when the stock single-threaded one is used. */
export function wasmThreadsInUse(): number | undefined {
  return registered;
}

/**
 * `GRASPLAB_WASM_THREADS=n` → n (1..8), unset/empty → undefined (the stock single-threaded build).
 * @throws BackendCapabilityError on anything else
 */
export function wasmThreadsFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.GRASPLAB_WASM_THREADS?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!(Number.isInteger(n) && n >= 1 && n <= 8)) {
    throw new ConfigError(`GRASPLAB_WASM_THREADS=${raw}: use an integer 1..8 (or leave it unset for the single-threaded build)`);
  }
  return n;
}

/**
 * Loads the threaded build and registers it as the 'wasm' backend, replacing the stock factory; call it before the
 * wasm backend is first used (tensors on an already running wasm backend would be lost). Idempotent for the same
 * thread count. Returns the thread count XNNPACK reports.
 */
export async function registerThreadedWasm(threads: number): Promise<number> {
  if (registered === threads) return threads;
  if (registered !== undefined) throw new BackendCapabilityError(`the threaded wasm backend already runs with ${registered} threads; restart to change it`);
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= 8)) {
    throw new BackendCapabilityError(`wasm threads must be an integer in 1..8 (8 pthread workers are pre-spawned), got ${threads}`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wasmPkg = require('@tensorflow/tfjs-backend-wasm') as {
    BackendWasm: new (module: unknown) => tf.KernelBackend;
    setThreadsCount(n: number): void;
  };
  const dir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const factory = require(path.join(dir, 'tfjs-backend-wasm-threaded-simd.js')) as (cfg: object) => Promise<EmscriptenModule>;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { wasmWorkerContents } = require(path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string };
  const workerFile = path.join(os.tmpdir(), `grasplab-tfjs-wasm-worker-${process.pid}.cjs`);
  // the shipped string holds "\n" escapes that became real newlines inside string literals (tfjs fixes it the same way)
  fs.writeFileSync(workerFile, wasmWorkerContents.replace(/\n/g, '\\n'));
  process.once('exit', () => fs.rmSync(workerFile, { force: true }));

  // the module object emscripten's require('os') returns (a TS namespace import is a read-only copy)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const osModule = require('os') as { cpus: typeof os.cpus };
  const realCpus = osModule.cpus;
  osModule.cpus = () => [...realCpus(), ...realCpus()];
  let module: EmscriptenModule;
  try {
    module = await factory({
      locateFile: (p: string, prefix: string) =>
        p.endsWith('.worker.js') ? workerFile : p.endsWith('.wasm') ? path.join(dir, 'tfjs-backend-wasm-threaded-simd.wasm') : prefix + p,
    });
  } finally {
    osModule.cpus = realCpus;
  }
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  wasmPkg.setThreadsCount(threads);
  const backend = new wasmPkg.BackendWasm(module);
  const actual = (module.tfjs.getThreadsCount as () => number)();
  // XNNPACK's pool threads live for the whole process and emscripten ref()s their workers, which would keep Node
  // from ever exiting; they only wait for work, so let the process exit around them.
  for (const w of module.PThread?.runningWorkers ?? []) w.unref?.();
  // findBackendFactory, not findBackend: the latter would start initialising the single-threaded build
  if (tf.findBackendFactory('wasm')) tf.removeBackend('wasm');
  tf.registerBackend('wasm', () => backend, 2);
  registered = actual;
  return actual;
}

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => unknown;
  tfjs: Record<string, (...a: number[]) => unknown>;
  PThread?: { runningWorkers: { unref?: () => void }[] };
}
