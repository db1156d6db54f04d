import * as tf from '@tensorflow/tfjs';
import * as os from 'os';
import { selectBackend } from '../lib/backend/setup';
import { useFastWasmKernels } from '../lib/backend/wasm_kernels';
import { BenchModelSpec, buildBenchModel } from './models';
import { Summary, summarize } from './stats';

/** What one child process measures: one model on one backend. */
export interface MeasureTask {
  spec: BenchModelSpec;
  /** tfjs backend for selectBackend (GRASPLAB_BACKEND) */
  backend: 'wasm' | 'cpu' | 'tensorflow' | 'tensorflow-gpu';
  /** 'stock' = the wasm backend without grasplab's replacement kernels (the "before" numbers) */
  variant: 'grasplab' | 'stock';
  /** wasm only: 0 = tfjs's single-threaded build, n ≥ 1 = grasplab's threaded build with n threads */
  threads: number;
  inputSize: number;
  batch: number;
  repeats: number;
  warmup: number;
  forward1: boolean;
  forwardB: boolean;
  train: boolean;
  /** total train steps for the leak check (memory after step 10 vs after this step); 0 = no check */
  leakSteps: number;
  /** stop starting new measurements after this many seconds */
  budgetS: number;
}

export interface MeasureResult {
  model: string;
  backend: string;
  variant: string;
  /** wasm threads (0 = stock single-threaded build) */
  threads: number;
  inputSize: number;
  batch: number;
  source: string;
  trainStep: string;
  /** tfjs countParams (trainable + BN moving statistics) */
  params: number;
  /** trainable parameters, as PyTorch counts them (describeModel) */
  trainableParams?: number;
  flops?: number;
  /** ms per image, batch 1 */
  forward1?: Summary;
  /** ms per image, batch `batch` */
  forwardB?: Summary;
  /** ms per optimiser step, batch `batch` */
  trainB?: Summary;
  /**
   * CPU ms per optimiser step (process.cpuUsage, all threads of the process): on a busy machine the
   * single-threaded build's CPU time stays close to its wall time on a quiet one, while wall time stretches.
   */
  trainCpuB?: Summary;
  memory: {
    /** peak resident set size of the process, MB */
    peakRssMB: number;
    /** peak bytes held by tfjs tensors during one training step (tf.profile), MB */
    trainPeakTensorMB?: number;
    /** tf.memory() after the last measurement */
    tensors: number;
    tensorMB: number;
    /** wasm linear memory (it only grows, so this is its peak), MB */
    wasmHeapMB?: number;
  };
  leak?: { checked: boolean; after10?: MemSnap; afterN?: MemSnap; steps?: number; ok?: boolean; note?: string };
  /** top kernels of one profiled training step: [name, ms, calls] */
  kernels?: [string, number, number][];
  notes: string[];
  /** 1/5/15-minute load averages when the measurement ended (other processes competing for the cores) */
  loadavg?: number[];
}

interface MemSnap {
  numTensors: number;
  numBytes: number;
  /** backend-side buffers (catches leaks of kernel intermediates that tf.memory cannot see) */
  dataIds: number;
}

const MB = 1024 * 1024;

export async function measure(task: MeasureTask): Promise<MeasureResult> {
  const started = Date.now();
  const overBudget = () => (Date.now() - started) / 1000 > task.budgetS;
  const notes: string[] = [];
  const threads = task.backend === 'wasm' ? task.threads : 0;
  await selectBackend({
    quiet: true,
    env: { ...process.env, GRASPLAB_BACKEND: task.backend, GRASPLAB_WASM_THREADS: threads > 0 ? String(threads) : '' },
  });
  if (task.variant === 'stock') useFastWasmKernels(false);

  const { model, source, flops, trainableParams } = buildBenchModel(task.spec, task.inputSize);
  const S = task.inputSize;
  const result: MeasureResult = {
    model: task.spec.id,
    backend: tf.getBackend(),
    variant: task.variant,
    threads,
    inputSize: S,
    batch: task.batch,
    source,
    trainStep: '',
    params: model.countParams(),
    trainableParams,
    flops,
    memory: { peakRssMB: 0, tensors: 0, tensorMB: 0 },
    notes,
  };

  const timeForward = async (b: number): Promise<Summary | undefined> => {
    const x = tf.randomUniform([b, S, S, 1], 0, 1, 'float32', 1);
    const samples: number[] = [];
    try {
      for (let i = 0; i < task.warmup + task.repeats; i++) {
        if (i > 0 && overBudget()) {
          notes.push(`forward b=${b}: stopped after ${samples.length} repeats (budget ${task.budgetS}s)`);
          break;
        }
        const t0 = performance.now();
        const y = model.predict(x) as tf.Tensor;
        await y.data(); // a real read-back, as evaluation does
        const ms = performance.now() - t0;
        y.dispose();
        if (i >= task.warmup) samples.push(ms / b);
      }
    } finally {
      x.dispose();
    }
    return samples.length ? summarize(samples) : undefined;
  };

  // A failing phase (e.g. wasm's 4 GB memory limit with the paper-size PSPNets) is noted; earlier results are kept.
  const failed = (phase: string, e: unknown) => {
    const heapMB = wasmHeapMB();
    notes.push(`${phase} failed: ${(e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 200)}` +
      (heapMB !== undefined ? ` (wasm heap ${heapMB.toFixed(0)} MB; wasm32 memory is capped at 4096 MB)` : ''));
  };
  let alive = true;
  try {
    if (task.forward1) result.forward1 = await timeForward(1);
    if (task.forwardB && !overBudget()) result.forwardB = await timeForward(task.batch);
  } catch (e) {
    failed('forward', e);
    alive = false;
  }

  if (alive && task.train && !overBudget()) {
    try {
      await measureTraining();
    } catch (e) {
      failed('train', e);
      alive = false;
    }
  }
  if (alive) {
    model.dispose();
    const mem = tf.memory();
    result.memory.tensors = mem.numTensors;
    result.memory.tensorMB = mem.numBytes / MB;
  }
  result.memory.wasmHeapMB = wasmHeapMB();
  result.memory.peakRssMB = (process.resourceUsage().maxRSS * 1024) / MB;
  result.loadavg = os.loadavg().map((l) => Math.round(l * 100) / 100);
  return result;

  async function measureTraining(): Promise<void> {
    const { step, name } = await trainStepFunction();
    result.trainStep = name;
    const optimizer = tf.train.adam(1e-3);
    const x = tf.randomUniform([task.batch, S, S, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
    const y = tf.randomUniform([task.batch, S, S, 4], -1, 1, 'float32', 3) as tf.Tensor4D;
    const samples: number[] = [];
    const cpuSamples: number[] = [];
    const leak: NonNullable<MeasureResult['leak']> = { checked: false };
    const total = Math.max(task.warmup + task.repeats, task.leakSteps);
    let done = 0;
    for (let i = 1; i <= total; i++) {
      if (i > 1 && overBudget()) {
        notes.push(`train: stopped after ${done} steps (budget ${task.budgetS}s)`);
        break;
      }
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      await step(model, optimizer, x, y);
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      done = i;
      if (i > task.warmup && samples.length < task.repeats) {
        samples.push(ms);
        cpuSamples.push((cpu.user + cpu.system) / 1000);
      }
      if (i === 10) leak.after10 = memSnap();
    }
    result.trainB = samples.length ? summarize(samples) : undefined;
    result.trainCpuB = cpuSamples.length ? summarize(cpuSamples) : undefined;
    if (task.leakSteps > 10 && done >= task.leakSteps && leak.after10) {
      leak.afterN = memSnap();
      leak.steps = done;
      leak.checked = true;
      leak.ok = leak.afterN.numTensors === leak.after10.numTensors && leak.afterN.numBytes === leak.after10.numBytes &&
        leak.afterN.dataIds === leak.after10.dataIds;
    } else {
      leak.note = task.leakSteps > 10 ? `only ${done} of ${task.leakSteps} steps ran` : 'not requested (--leak-steps ≤ 10)';
    }
    result.leak = leak;
    if (!overBudget()) {
      const prof = await tf.profile(async () => {
        await step(model, optimizer, x, y);
      });
      result.memory.trainPeakTensorMB = prof.peakBytes / MB;
      result.kernels = topKernels(prof.kernels);
    }
    tf.dispose([x, y]);
    optimizer.dispose();
  }
}

/** Size of the wasm linear memory (it only grows, so this is its peak), or undefined on other backends. */
function wasmHeapMB(): number | undefined {
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
  return heap ? heap.length / MB : undefined;
}

function memSnap(): MemSnap {
  const m = tf.memory();
  const backend = tf.backend() as unknown as { numDataIds(): number };
  return { numTensors: m.numTensors, numBytes: m.numBytes, dataIds: backend.numDataIds() };
}

type StepFn = (model: tf.LayersModel, opt: tf.Optimizer, x: tf.Tensor4D, y: tf.Tensor4D) => Promise<void>;

/**
 * The project's train step (lib/train/step: GG-CNN loss = Σ of the four per-map MSEs, Adam) when it loads, else a
 * plain Adam step on the MSE over [B,S,S,4].
 */
async function trainStepFunction(): Promise<{ step: StepFn; name: string }> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('../lib/train/step') as {
      trainStep(m: tf.LayersModel, o: tf.Optimizer, b: { x: tf.Tensor4D; y: tf.Tensor4D }, opts?: object): Promise<unknown>;
    };
    if (typeof mod.trainStep === 'function') {
      return { step: async (m, o, x, y) => void (await mod.trainStep(m, o, { x, y }, { lossKind: 'mse' })), name: 'lib/train/step trainStep (mse)' };
    }
  } catch {
    /* fall through */
  }
  return {
    name: 'bench fallback: optimizer.minimize(MSE)',
    step: async (m, o, x, y) => {
      const loss = o.minimize(() => tf.losses.meanSquaredError(y, m.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true);
      await loss!.data();
      loss!.dispose();
    },
  };
}

function topKernels(kernels: { name: string; kernelTimeMs: unknown }[]): [string, number, number][] {
  // tf.profile has awaited kernelTimeMs by now; non-numbers are timer errors
  const agg = new Map<string, [number, number]>();
  for (const k of kernels) {
    // op-level wrappers (e.g. 'fusedConv2d__op' from customGrad) contain the kernels listed separately
    if (k.name.endsWith('__op')) continue;
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const [t, n] = agg.get(k.name) ?? [0, 0];
    agg.set(k.name, [t + ms, n + 1]);
  }
  return [...agg.entries()]
    .sort((a, b) => b[1][0] - a[1][0])
    .slice(0, 12)
    .map(([name, [ms, n]]) => [name, Math.round(ms), n]);
}
