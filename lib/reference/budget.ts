import * as os from 'os';
import * as tf from '@tensorflow/tfjs';
import type { Profile } from '../config/profiles';
import { buildModel } from '../models/registry';
import { createOptimizer } from '../train/optimizer';
import { trainStep } from '../train/step';
import { scoreModel } from '../experiment';
import type { Sample } from '../types';
import type { ReferencePlan, ReferenceRun, RunKind } from './plan';

/** Measured cost of one kind of run: a training step at its batch size, and scoring one image (forward + metric). */
export interface KindTiming {
  trainStepSeconds: number;
  batchSize: number;
  evalImageSeconds: number;
}

export interface Timings {
  /** where the numbers come from: 'measured …' (with date, load, backend) or the fallback's source */
  source: string;
  kinds: Partial<Record<RunKind, KindTiming>>;
}

/**
 * Fallback when nothing was measured: single-threaded wasm on this 2-core machine, quiet (README performance table,
 * 2026-11-29: PSPNet-R18×0.25 4.53 s, R34×0.25 8.34 s, GG-CNN 1.24 s per batch-8 step; forward ~0.12/0.18/0.05 s per
 * image plus ~0.03 s of post-processing and matching). Kinds not in the table are scaled from FLOPs.
 */
export const FALLBACK_TIMINGS: Timings = {
  source: 'README performance table, 2026-11-29, wasm single-threaded, quiet machine (scaled by FLOPs where not measured)',
  kinds: {
    ggcnn: { trainStepSeconds: 1.24, batchSize: 8, evalImageSeconds: 0.08 },
    'ggcnn-prior': { trainStepSeconds: 1.24, batchSize: 8, evalImageSeconds: 0.08 },
    pspnet: { trainStepSeconds: 4.53, batchSize: 8, evalImageSeconds: 0.15 },
    'pspnet-prior': { trainStepSeconds: 4.53, batchSize: 8, evalImageSeconds: 0.15 },
    'pspnet-b2': { trainStepSeconds: 4.53 / 4 * 1.2, batchSize: 2, evalImageSeconds: 0.15 },
    'pspnet-aux': { trainStepSeconds: 4.53 * 1.08, batchSize: 8, evalImageSeconds: 0.15 },
    teacher: { trainStepSeconds: 8.34, batchSize: 8, evalImageSeconds: 0.21 },
    student: { trainStepSeconds: 4.53 * 0.3, batchSize: 8, evalImageSeconds: 0.07 },
    'student-kd-pixel': { trainStepSeconds: 4.53 * 0.3 + 8 * 0.18, batchSize: 8, evalImageSeconds: 0.07 },
    'student-kd-pixel-pair': { trainStepSeconds: 4.53 * 0.3 + 8 * 0.18 + 0.3, batchSize: 8, evalImageSeconds: 0.07 },
  },
};

export interface RunEstimate {
  id: string;
  kind: RunKind;
  imagesSeen: number;
  trainSeconds: number;
  /** validation every epoch, precise BN, test scoring (compress: scoring its exports) */
  evalSeconds: number;
  /** of which scoring the test split once at the end */
  testSeconds: number;
  seconds: number;
}

export interface BudgetEstimate {
  timings: Timings;
  runs: RunEstimate[];
  cpuSeconds: number;
  cpuHours: number;
}

/**
 * CPU time of every job of the plan from per-kind timings, single-threaded: training steps + validation each epoch
 * + precise-BN batches (≈ a third of a step each: a forward pass) + scoring the test split. Budgets are fixed in
 * images seen, so a faster step shortens the estimate, never the training.
 */
export function estimateBudget(plan: ReferencePlan, profile: Profile, timings: Timings, valImages: number): BudgetEstimate {
  const runs = plan.runs.map((r) => estimateRun(r, plan, profile, timings, valImages));
  const cpuSeconds = runs.reduce((s, r) => s + r.seconds, 0);
  return { timings, runs, cpuSeconds, cpuHours: cpuSeconds / 3600 };
}

function estimateRun(r: ReferenceRun, plan: ReferencePlan, profile: Profile, timings: Timings, valImages: number): RunEstimate {
  const t = (k: RunKind) => timings.kinds[k] ?? FALLBACK_TIMINGS.kinds[k]!;
  if (r.kind === 'compress') {
    // uint8 and float16 scored (and float32 once, for the first seed), plus latency runs
    const scored = r.seed === plan.seeds[0] ? 3 : 2;
    const evalSeconds = scored * profile.testImages * t('pspnet').evalImageSeconds + 3 * 25 * t('pspnet').evalImageSeconds;
    return { id: r.id, kind: r.kind, imagesSeen: 0, trainSeconds: 0, evalSeconds, testSeconds: evalSeconds, seconds: evalSeconds };
  }
  const k = t(r.kind);
  const batch = r.spec.batchSize ?? profile.batchSize;
  const steps = r.imagesSeen / batch;
  const stepSeconds = k.trainStepSeconds * (batch / k.batchSize);
  const trainSeconds = steps * stepSeconds;
  const bnBatches = r.spec.preciseBnBatches ?? profile.preciseBnBatches;
  const testSeconds = profile.testImages * k.evalImageSeconds;
  const evalSeconds = r.epochs * (valImages * k.evalImageSeconds + (r.spec.model.name === 'ggcnn' ? 0 : (bnBatches * stepSeconds) / 3)) + testSeconds;
  return { id: r.id, kind: r.kind, imagesSeen: r.imagesSeen, trainSeconds, evalSeconds, testSeconds, seconds: trainSeconds + evalSeconds };
}

/** Synthetic-looking 300×300 samples for timing the metric (a box and a cylinder, one rectangle each). */
function timingSamples(size: number, n: number): Sample[] {
  return Array.from({ length: n }, (_, i) => {
    const data = new Float32Array(size * size);
    for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) {
      const box = Math.abs(r - size * 0.45) < size * 0.08 && Math.abs(c - size * (0.35 + 0.02 * i)) < size * 0.15;
      data[r * size + c] = box ? -0.05 : 0.01 * Math.sin(r / 9 + c / 13);
    }
    const cy = size * 0.45;
    const cx = size * (0.35 + 0.02 * i);
    return { id: `t${i}`, depth: { height: size, width: size, data }, grasps: [[[cy - 10, cx - 30], [cy - 10, cx + 30], [cy + 10, cx + 30], [cy + 10, cx - 30]]] };
  });
}

/**
 * Measures every kind's training-step and scoring time on this machine now (random weights, random batches at the
 * run's batch size and the profile's input size, KD with its teacher's forward pass): `warmup` untimed then `steps`
 * timed steps, the median kept. Takes a few minutes at reference sizes; say the machine's load beside the result.
 */
export async function measureTimings(plan: ReferencePlan, profile: Profile, opts: { steps?: number; warmup?: number; log?: (m: string) => void } = {}): Promise<Timings> {
  const steps = opts.steps ?? 3;
  const warmup = opts.warmup ?? 1;
  const log = opts.log ?? (() => {});
  const S = profile.inputSize;
  const kinds: Timings['kinds'] = {};
  const samples = timingSamples(S, 8);
  const load0 = os.loadavg()[0];
  for (const run of plan.runs) {
    if (run.kind === 'compress' || kinds[run.kind]) continue;
    const batch = run.spec.batchSize ?? profile.batchSize;
    const model = buildModel({ seed: 1, ...run.spec.model, inputSize: S });
    const teacherRun = run.spec.kd ? plan.runs.find((r) => r.id === run.after[0]) : undefined;
    const teacher = teacherRun ? buildModel({ seed: 2, ...teacherRun.spec.model, inputSize: S }) : undefined;
    const opt = createOptimizer({ kind: 'adam', lr: 1e-3 });
    const times: number[] = [];
    for (let i = 0; i < warmup + steps; i++) {
      const x = tf.randomNormal([batch, S, S, 1], 0, 0.1, 'float32', i) as tf.Tensor4D;
      const y = tf.randomUniform([batch, S, S, 4], 0, 1, 'float32', i) as tf.Tensor4D;
      const t0 = performance.now();
      await trainStep(model, opt, { x, y }, { auxWeight: run.spec.auxWeight, teacher, kd: run.spec.kd });
      if (i >= warmup) times.push((performance.now() - t0) / 1000);
      tf.dispose([x, y]);
    }
    times.sort((a, b) => a - b);
    const inference = model.outputs.length > 1 ? tf.model({ inputs: model.inputs, outputs: model.outputs[0] }) : model;
    await scoreModel(inference, samples.slice(0, 2));
    const e0 = performance.now();
    await scoreModel(inference, samples);
    const evalImageSeconds = (performance.now() - e0) / 1000 / samples.length;
    kinds[run.kind] = { trainStepSeconds: times[Math.floor(times.length / 2)], batchSize: batch, evalImageSeconds };
    log(`${run.kind}: train step (batch ${batch}) ${kinds[run.kind]!.trainStepSeconds.toFixed(2)} s, scoring ${(1000 * evalImageSeconds).toFixed(0)} ms/image`);
    opt.dispose();
    model.dispose();
    teacher?.dispose();
  }
  const load = ((load0 + os.loadavg()[0]) / 2).toFixed(2);
  return { source: `measured ${new Date().toISOString()} on ${tf.getBackend()}, ${os.cpus().length} cores, 1-min load ~${load}`, kinds };
}
