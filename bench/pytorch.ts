import { spawnSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import { PROJECT_ROOT } from '../lib/config/paths';
import type { MeasureResult } from './measure';
import { Summary, summarize } from './stats';

/**
 * The PyTorch side of `npm run bench -- --vs-pytorch`: runs bench/pytorch_twin.py (grasplab's architectures written
 * in PyTorch) with Debian's python3-torch, and compares. Optional: where python or torch is missing the twin is
 * skipped with a message and the bench goes on.
 *
 * Convention for achieved GFLOP/s: FLOPs of a forward pass from lib/models/describe.ts (2 × multiply-adds of the
 * convolutions and dense layers, per image); a training step counts 3 × the forward FLOPs of its batch (forward, input
 * gradients, weight gradients), the usual rule of thumb.
 */

/** Python that has torch: GRASPLAB_PYTHON, else Debian's /usr/bin/python3 (the pyenv python3 on PATH has no torch). */
export function pythonForTorch(env: NodeJS.ProcessEnv = process.env): string {
  return env.GRASPLAB_PYTHON?.trim() || '/usr/bin/python3';
}

export interface TorchTask {
  model: string;
  threads: number;
  batch: number;
  size: number;
  repeats: number;
  warmup: number;
  forward: boolean;
  train: boolean;
}

export interface TorchResult {
  model: string;
  threads: number;
  torch: string;
  /** trainable parameters (PyTorch's sum of p.numel()) */
  params: number;
  batch: number;
  inputSize: number;
  forward1?: Summary;
  forwardB?: Summary;
  trainB?: Summary;
  /** CPU ms per training step (all threads) */
  trainCpuB?: Summary;
  /** load averages when the twin finished */
  loadavg?: number[];
}

export type TorchOutcome = TorchResult | { model: string; threads: number; skipped: string };

const SCRIPT = path.join(PROJECT_ROOT, 'bench', 'pytorch_twin.py');

/** Runs the twin for one model at one thread count (its own process). */
export function runTorchTwin(t: TorchTask, env: NodeJS.ProcessEnv = process.env): TorchOutcome {
  const python = pythonForTorch(env);
  const args = [SCRIPT, '--model', t.model, '--threads', String(t.threads), '--batch', String(t.batch), '--size', String(t.size),
    '--repeats', String(t.repeats), '--warmup', String(t.warmup)];
  if (!t.forward) args.push('--no-forward');
  if (!t.train) args.push('--no-train');
  // OMP/MKL thread variables would override torch.set_num_threads in some builds: pin them to the same count
  const threadsEnv = { OMP_NUM_THREADS: String(t.threads), MKL_NUM_THREADS: String(t.threads) };
  const child = spawnSync(python, args, { encoding: 'utf8', env: { ...env, ...threadsEnv }, maxBuffer: 16 * 1024 * 1024 });
  if (child.error) return { model: t.model, threads: t.threads, skipped: `${python} could not be run (${(child.error as NodeJS.ErrnoException).code ?? child.error.message})` };
  const out = child.stdout ?? '';
  if (child.status === 3 || out.includes('TORCH_MISSING')) {
    return { model: t.model, threads: t.threads, skipped: `PyTorch is not installed for ${python} (Debian: python3-torch; or set GRASPLAB_PYTHON)` };
  }
  const line = out.split('\n').find((l) => l.startsWith('TORCH_RESULT '));
  if (child.status !== 0 || !line) {
    const err = (child.stderr ?? '').trim().split('\n').slice(-2).join(' | ');
    return { model: t.model, threads: t.threads, skipped: `twin failed (exit ${child.status}): ${err.slice(0, 300)}` };
  }
  const raw = JSON.parse(line.slice('TORCH_RESULT '.length)) as Omit<TorchResult, 'forward1' | 'forwardB' | 'trainB' | 'trainCpuB'> &
    { forward1?: number[]; forwardB?: number[]; trainB?: number[]; trainCpuB?: number[] };
  return {
    ...raw,
    forward1: raw.forward1 ? summarize(raw.forward1) : undefined,
    forwardB: raw.forwardB ? summarize(raw.forwardB) : undefined,
    trainB: raw.trainB ? summarize(raw.trainB) : undefined,
    trainCpuB: raw.trainCpuB ? summarize(raw.trainCpuB) : undefined,
    loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** grasplab's wasm thread setting → the PyTorch thread count it is compared with (0 = single-threaded build = 1). */
export function torchThreadsFor(wasmThreads: number): number {
  return Math.max(1, wasmThreads);
}

/** One comparison row: grasplab/PyTorch time ratios (> 1: grasplab slower) and achieved GFLOP/s of both. */
export interface VsTorchRow {
  model: string;
  threads: number;
  paramsEqual: boolean;
  params: { grasplab: number; pytorch: number };
  /** trainCpuB: ratio of CPU time per step (all threads), less disturbed by other processes than wall time */
  ratio: { forward1?: number; forwardB?: number; trainB?: number; trainCpuB?: number };
  ms: { grasplab: { forward1?: number; forwardB?: number; trainB?: number }; pytorch: { forward1?: number; forwardB?: number; trainB?: number } };
  /** forward at batch B and training step at batch B (training = 3 × forward FLOPs) */
  gflops: { grasplab: { forwardB?: number; trainB?: number }; pytorch: { forwardB?: number; trainB?: number } };
}

/** Trainable parameters of a bench result (MeasureResult.params is tfjs's countParams, which adds BN statistics). */
type Ours = Pick<MeasureResult, 'model' | 'threads' | 'batch' | 'flops' | 'forward1' | 'forwardB' | 'trainB' | 'trainCpuB'> & { trainableParams?: number; params: number };

export function compareWithTorch(ours: Ours[], torch: TorchOutcome[]): VsTorchRow[] {
  const rows: VsTorchRow[] = [];
  for (const o of ours) {
    const t = torch.find((r) => r.model === o.model && r.threads === torchThreadsFor(o.threads) && !('skipped' in r)) as TorchResult | undefined;
    if (!t) continue;
    const r = (a?: Summary, b?: Summary) => (a && b ? round2(a.median / b.median) : undefined);
    const gf = (flopsPerImage: number | undefined, s: Summary | undefined, images: number, factor: number, perImage: boolean) =>
      flopsPerImage && s ? round1((factor * flopsPerImage * images) / ((perImage ? s.median * images : s.median) * 1e6)) : undefined;
    const ourParams = o.trainableParams ?? o.params;
    rows.push({
      model: o.model,
      threads: torchThreadsFor(o.threads),
      paramsEqual: ourParams === t.params,
      params: { grasplab: ourParams, pytorch: t.params },
      ratio: { forward1: r(o.forward1, t.forward1), forwardB: r(o.forwardB, t.forwardB), trainB: r(o.trainB, t.trainB), trainCpuB: r(o.trainCpuB, t.trainCpuB) },
      ms: {
        grasplab: { forward1: o.forward1?.median, forwardB: o.forwardB?.median, trainB: o.trainB?.median },
        pytorch: { forward1: t.forward1?.median, forwardB: t.forwardB?.median, trainB: t.trainB?.median },
      },
      gflops: {
        grasplab: { forwardB: gf(o.flops, o.forwardB, o.batch, 1, true), trainB: gf(o.flops, o.trainB, o.batch, 3, false) },
        pytorch: { forwardB: gf(o.flops, t.forwardB, t.batch, 1, true), trainB: gf(o.flops, t.trainB, t.batch, 3, false) },
      },
    });
  }
  return rows;
}

/** The comparison as a text table. */
export function formatComparison(rows: VsTorchRow[], batch: number): string {
  const head = ['model', 'threads', 'params equal', 'fwd b1 ratio', `fwd b${batch} ratio`, `train b${batch} ratio`, 'train CPU-time ratio',
    `train ms ours / torch`, `fwd b${batch} GFLOP/s ours / torch`, `train GFLOP/s ours / torch`];
  const f = (v?: number, d = 0) => (v === undefined ? '—' : v.toFixed(d));
  const table = [head, ...rows.map((r) => [
    r.model, String(r.threads), r.paramsEqual ? `yes (${r.params.grasplab})` : `NO: ${r.params.grasplab} vs ${r.params.pytorch}`,
    f(r.ratio.forward1, 2), f(r.ratio.forwardB, 2), f(r.ratio.trainB, 2), f(r.ratio.trainCpuB, 2),
    `${f(r.ms.grasplab.trainB)} / ${f(r.ms.pytorch.trainB)}`,
    `${f(r.gflops.grasplab.forwardB, 1)} / ${f(r.gflops.pytorch.forwardB, 1)}`,
    `${f(r.gflops.grasplab.trainB, 1)} / ${f(r.gflops.pytorch.trainB, 1)}`,
  ])];
  const widths = head.map((_, c) => Math.max(...table.map((row) => row[c].length)));
  const lines = table.map((row) => row.map((cell, c) => cell.padEnd(widths[c])).join(' | '));
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('-|-'));
  return lines.join('\n');
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
