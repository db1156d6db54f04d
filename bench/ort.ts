import { performance } from 'perf_hooks';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../lib/backend/setup';
import { exportOnnx } from '../lib/export/onnx';
import { onnxRuntimeAvailable, OrtPredictor } from '../lib/export/onnx_runtime';
import { BenchModelSpec, buildBenchModel } from './models';
import { Summary, summarize } from './stats';

/**
 * ONNX Runtime forward timing for the bench (run in a child process of bench/run.ts, like the tfjs measurements):
 * the model exported by lib/export/onnx.ts at its initial weights, one onnxruntime-node session per thread count,
 * ms per image at batch 1 and batch B with the maps read back — what grasplab's forward engine does in evaluation.
 */
export interface OrtTask {
  spec: BenchModelSpec;
  inputSize: number;
  batch: number;
  repeats: number;
  warmup: number;
  /** intra-op thread counts to time (one session each) */
  threads: number[];
  /** ORT's idle-thread spinning (grasplab's default is off) */
  spin: boolean;
  /**
   * also time tfjs-wasm (single-threaded build) and ORT with 1 thread at batch 1 in alternating rounds in this one
   * process: a ratio that other processes' load skews far less than two runs minutes apart
   */
  interleaved: boolean;
}

export interface OrtResult {
  model: string;
  engine: string;
  inputSize: number;
  batch: number;
  onnxBytes: number;
  exportMs: number;
  rows: { threads: number; sessionMs: number; forward1?: Summary; forwardB?: Summary }[];
  /** batch 1, ms per image, alternating rounds (see OrtTask.interleaved) */
  interleaved?: { rounds: number; ort1: Summary; wasm: Summary };
  notes: string[];
}

export async function measureOrt(task: OrtTask): Promise<OrtResult> {
  const avail = onnxRuntimeAvailable();
  if (!avail.ok) throw new Error(`onnxruntime-node: ${avail.reason}`);
  if (task.interleaved) await selectBackend({ quiet: true, env: { ...process.env, GRASPLAB_BACKEND: 'wasm', GRASPLAB_WASM_THREADS: '' } });
  const { model } = buildBenchModel(task.spec, task.inputSize);
  const t0 = performance.now();
  const { bytes } = exportOnnx(model);
  const exportMs = performance.now() - t0;
  const S = task.inputSize;
  const result: OrtResult = { model: task.spec.id, engine: `onnxruntime-node ${avail.version}`, inputSize: S, batch: task.batch, onnxBytes: bytes.length, exportMs, rows: [], notes: task.spin ? ['idle threads spin'] : [] };
  for (const threads of task.threads) {
    const t1 = performance.now();
    const p = await OrtPredictor.fromBytes(bytes, task.spec.id, { threads, spin: task.spin });
    const sessionMs = performance.now() - t1;
    const time = async (b: number): Promise<Summary> => {
      const data = new Float32Array(b * S * S);
      for (let i = 0; i < data.length; i++) data[i] = 0.3 * Math.sin(i * 0.37);
      const x = { data, shape: [b, S, S, 1] as [number, number, number, number] };
      const samples: number[] = [];
      for (let i = 0; i < task.warmup + task.repeats; i++) {
        const t = performance.now();
        await p.predict(x);
        if (i >= task.warmup) samples.push((performance.now() - t) / b);
      }
      return summarize(samples);
    };
    try {
      result.rows.push({ threads, sessionMs, forward1: await time(1), forwardB: await time(task.batch) });
    } finally {
      await p.release();
    }
  }
  if (task.interleaved) result.interleaved = await interleaved(bytes, model, task);
  model.dispose();
  return result;
}

async function interleaved(bytes: Uint8Array, model: tf.LayersModel, task: OrtTask): Promise<NonNullable<OrtResult['interleaved']>> {
  const S = task.inputSize;
  const data = new Float32Array(S * S);
  for (let i = 0; i < data.length; i++) data[i] = 0.3 * Math.sin(i * 0.37);
  const p = await OrtPredictor.fromBytes(bytes, task.spec.id, { threads: 1, spin: task.spin });
  const x = tf.tensor4d(data, [1, S, S, 1]);
  const ort: number[] = [];
  const wasm: number[] = [];
  const rounds = 3;
  const per = Math.max(2, Math.ceil(task.repeats / 2));
  try {
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < task.warmup + per; i++) {
        const t = performance.now();
        await p.predict({ data, shape: [1, S, S, 1] });
        if (i >= task.warmup) ort.push(performance.now() - t);
      }
      for (let i = 0; i < task.warmup + per; i++) {
        const t = performance.now();
        const y = model.predict(x) as tf.Tensor;
        await y.data();
        y.dispose();
        if (i >= task.warmup) wasm.push(performance.now() - t);
      }
    }
  } finally {
    x.dispose();
    await p.release();
  }
  return { rounds, ort1: summarize(ort), wasm: summarize(wasm) };
}
