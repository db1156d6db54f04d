import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors';
import { describeNativeConv, enableNativeConv, type NativeConvStatus } from './native_conv';
import { registerWasmGradientKernels } from './wasm_kernels';
import { registerThreadedWasm, wasmThreadsFromEnv } from './wasm_threads';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

export interface BackendReport {
  /** the tfjs backend now active (`tf.getBackend()`) */
  backend: string;
  /** which of our choices it is */
  choice: BackendName;
  /** why each better choice was skipped */
  skipped: string[];
  /** on the wasm backend: whether grasplab's native conv kernels are on, and why (not) */
  native?: NativeConvStatus;
}

const ORDER: BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
let active: BackendReport | undefined;

/**
 * Selects the fastest available tfjs backend once per process: tfjs-node-gpu (if it loads and sees a GPU), then
 * tfjs-node, then wasm, then cpu. `GRASPLAB_BACKEND=<name>` forces one (and fails loudly if it is unavailable).
 * The native packages are optionalDependencies: they fail to install where libtensorflow cannot be downloaded.
 */
export async function selectBackend(opts: { quiet?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<BackendReport> {
  const env = opts.env ?? process.env;
  const forced = env.GRASPLAB_BACKEND?.trim();
  if (forced && !ORDER.includes(forced as BackendName)) {
    throw new ConfigError(`GRASPLAB_BACKEND=${forced} is not a backend; use one of ${ORDER.join(', ')}`);
  }
  const candidates = forced ? [forced as BackendName] : ORDER;
  // a forced backend other than the active one is selected anew (tfjs switches backends within a process)
  if (active && tf.getBackend() === active.backend && (!forced || forced === active.choice)) return active;
  const skipped: string[] = [];
  for (const choice of candidates) {
    const why = await withoutNewCrashHandlers(() => tryBackend(choice, env));
    if (why === undefined) {
      active = { backend: tf.getBackend(), choice, skipped };
      if (choice === 'wasm') active.native = enableNativeConv(env);
      if (!opts.quiet) {
        console.log(
          `grasplab: tfjs backend '${active.backend}' (${choice})` +
            (active.native ? `, ${describeNativeConv(active.native)}` : '') +
            (skipped.length ? `; skipped: ${skipped.join('; ')}` : ''),
        );
      }
      return active;
    }
    skipped.push(`${choice}: ${why}`);
  }
  throw new ConfigError(`no tfjs backend could be started: ${skipped.join('; ')}`);
}

/**
 * Runs `f` and then removes the `uncaughtException` / `unhandledRejection` process listeners it added.
 * Why: the wasm backend's emscripten glue (stock and threaded builds) installs listeners that rethrow every uncaught
 * error. In a tslab kernel that turns errors tslab logs and survives into a dead kernel (seen: tslab's own zmq
 * "Socket is busy writing" while publishing a status killed a 40-minute notebook run). Without them Node behaves as
 * it would without the wasm backend: scripts still crash on uncaught errors, tslab still logs them.
 */
async function withoutNewCrashHandlers<T>(f: () => Promise<T>): Promise<T> {
  const emitter = process as NodeJS.EventEmitter;
  const events = ['uncaughtException', 'unhandledRejection'];
  const before = events.map((e) => new Set(emitter.listeners(e)));
  try {
    return await f();
  } finally {
    events.forEach((e, i) => {
      for (const l of emitter.listeners(e)) if (!before[i].has(l)) emitter.removeListener(e, l as (...a: unknown[]) => void);
    });
  }
}

/** The report of the last `selectBackend`, if any. */
export function activeBackend(): BackendReport | undefined {
  return active;
}

/** Returns undefined on success, else the reason the backend is unusable. */
async function tryBackend(choice: BackendName, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    switch (choice) {
      case 'tensorflow-gpu':
      case 'tensorflow': {
        const pkg = choice === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
        // The native package registers a 'tensorflow' backend on the tfjs instance it imports; an alias or shim could
        // make the require succeed without it, so check the registry rather than trusting the require.
        require(pkg);
        if (!tf.findBackendFactory('tensorflow')) return `${pkg} loaded but registered no 'tensorflow' backend`;
        if (!(await tf.setBackend('tensorflow'))) return `${pkg}: setBackend('tensorflow') failed`;
        if (choice === 'tensorflow-gpu' && !(await nativeSeesGpu())) return `${pkg} sees no GPU`;
        return undefined;
      }
      case 'wasm': {
        require('@tensorflow/tfjs-backend-wasm');
        // opt-in multi-threaded build (GRASPLAB_WASM_THREADS=n), see wasm_threads.ts
        const threads = wasmThreadsFromEnv(env);
        if (threads !== undefined) {
          // a failing threaded build must not send training to the ~50x slower cpu backend: keep the stock wasm build
          try {
            await registerThreadedWasm(threads);
          } catch (e) {
            console.warn(`grasplab: GRASPLAB_WASM_THREADS=${threads}: the threaded wasm build failed (${firstLine(e)}); using the single-threaded build`);
          }
        }
        if (!(await tf.setBackend('wasm'))) return 'setBackend(wasm) failed';
        registerWasmGradientKernels();
        return undefined;
      }
      case 'cpu':
        return (await tf.setBackend('cpu')) ? undefined : 'setBackend(cpu) failed';
    }
  } catch (e) {
    // a wrong setting (e.g. a mistyped GRASPLAB_WASM_THREADS) is the user's to fix, not a missing backend: stop
    // rather than fall back to the ~50x slower cpu backend with a note among the skipped ones
    if (e instanceof ConfigError) throw e;
    return firstLine(e);
  }
}

async function nativeSeesGpu(): Promise<boolean> {
  // tfjs-node-gpu silently runs on the CPU without CUDA; the device list of the TF session tells.
  try {
    const backend = tf.backend() as unknown as { binding?: { isUsingGpuDevice?: () => boolean } };
    return backend.binding?.isUsingGpuDevice?.() ?? false;
  } catch {
    return false;
  }
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0];
}
