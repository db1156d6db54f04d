import type { ExperimentSpec } from '../experiment';
import type { Profile } from '../config/profiles';
import type { ModelConfig } from '../models/registry';

/**
 * The evidence plan: which runs decide the report's claims C1–C5 and how each claim is compared. Everything here is
 * a function of the profile (sizes) and is fixed before any run starts (results/reference/PREREGISTRATION.md records
 * it); the claims are scored on the held-out test split, checkpoints chosen on validation.
 */

export type RunKind =
  | 'ggcnn'
  | 'pspnet'
  | 'pspnet-b2'
  | 'pspnet-aux'
  | 'teacher'
  | 'student'
  | 'student-kd-pixel'
  | 'student-kd-pixel-pair'
  | 'compress'
  | 'ggcnn-prior'
  | 'pspnet-prior';

/** One job of the plan: a training run, or (kind 'compress') the quantised exports of a finished run. */
export interface ReferenceRun {
  /** folder name under results/reference/runs/ */
  id: string;
  kind: RunKind;
  seed: number;
  /** what `runExperiment` gets (without the teacher model, which the worker loads from `teacher`'s best checkpoint) */
  spec: Omit<ExperimentSpec, 'teacher' | 'onProgress' | 'runDir' | 'monitor'>;
  /** runs that must finish first (the KD teacher; the run a 'compress' job exports) */
  after: string[];
  /** epochs of the run (resolved from the profile; 1 for 'compress') */
  epochs: number;
  /** training images seen (epochs × steps × batch); 0 for 'compress' */
  imagesSeen: number;
}

/** Where a claim's per-image verdicts come from: a run's test verdicts, or one of its exports (`<run>@uint8`). */
export type VerdictSource = string;

export interface ClaimPlan {
  id: 'C1' | 'C2' | 'C3' | 'C4' | 'C5';
  claim: string;
  /** what the report says */
  report: string;
  /** the sign of treatment − baseline the claim predicts */
  direction: 1 | -1;
  /** the verdict that would confirm the claim (C5 predicts no loss: `no effect ≥ 5`) */
  expected: string;
  baseline: { label: string; sources: VerdictSource[] };
  treatment: { label: string; sources: VerdictSource[] };
  /** other variants shown beside the claim (not part of its verdict) */
  beside?: { label: string; sources: VerdictSource[] }[];
}

/**
 * A comparison registered after the claims were decided (PREREGISTRATION.md says when and why): it does not change
 * its claim's verdict and is not in claims.json; details.json and the claim's notebook section show it beside.
 */
export interface FollowUpPlan extends Omit<ClaimPlan, 'id' | 'expected' | 'beside'> {
  id: string;
  /** the claim it follows up */
  of: ClaimPlan['id'];
  /** why it exists, one sentence */
  why: string;
}

export interface ReferencePlan {
  profile: string;
  seeds: number[];
  runs: ReferenceRun[];
  claims: ClaimPlan[];
  followUps: FollowUpPlan[];
}

/** Weight formats C5 compares with float32 (uint8 is the treatment; float16 shown beside). */
export const COMPRESSION_FORMATS = ['uint8', 'float16'] as const;

/** The plan for a profile (the `reference` profile is the one the claims are decided with). */
export function referencePlan(p: Profile): ReferencePlan {
  const seeds = p.seeds;
  const psp: ModelConfig = { name: 'pspnet', resnetDepth: p.pspnet.depth, widthMultiplier: p.pspnet.widthMultiplier };
  const stu = p.kdStudent ?? p.pspnet;
  const student: ModelConfig = { name: 'pspnet', resnetDepth: stu.depth, widthMultiplier: stu.widthMultiplier };
  const teacherCfg: ModelConfig = { name: 'pspnet', resnetDepth: p.teacher.depth, widthMultiplier: p.teacher.widthMultiplier };
  const b = p.batchSize;
  const steps = p.batchesPerEpoch;
  // batch 2 sees the same images per epoch as batch b: b/2 times the steps (and precise BN over the same images)
  const smallBatch = 2;
  const stepsSmall = Math.round((steps * b) / smallBatch);
  const runs: ReferenceRun[] = [];
  const add = (id: string, kind: RunKind, seed: number, spec: ReferenceRun['spec'], after: string[] = []) => {
    const epochs = kind === 'compress' ? 1 : (spec.epochs ?? p.epochs);
    const imagesSeen = kind === 'compress' ? 0 : epochs * (spec.batchesPerEpoch ?? steps) * (spec.batchSize ?? b);
    runs.push({ id, kind, seed, spec, after, epochs, imagesSeen });
  };
  // the teacher first: KD students wait for it
  add('teacher-s1', 'teacher', 1, { name: 'teacher-s1', model: teacherCfg, seed: 1, epochs: p.teacher.epochs });
  for (const s of seeds) {
    add(`ggcnn-s${s}`, 'ggcnn', s, { name: `ggcnn-s${s}`, model: { name: 'ggcnn' }, seed: s });
    add(`pspnet-s${s}`, 'pspnet', s, { name: `pspnet-s${s}`, model: psp, seed: s });
    add(`pspnet-b2-s${s}`, 'pspnet-b2', s, {
      name: `pspnet-b2-s${s}`, model: psp, seed: s, batchSize: smallBatch, batchesPerEpoch: stepsSmall,
      preciseBnBatches: Math.round((p.preciseBnBatches * b) / smallBatch),
    });
    add(`pspnet-aux0.4-s${s}`, 'pspnet-aux', s, { name: `pspnet-aux0.4-s${s}`, model: { ...psp, aux: true }, seed: s, auxWeight: 0.4 });
    add(`student-s${s}`, 'student', s, { name: `student-s${s}`, model: student, seed: s });
    add(`student-kd-pixel-s${s}`, 'student-kd-pixel', s, { name: `student-kd-pixel-s${s}`, model: student, seed: s, kd: { pixel: 1, pair: 0 } }, ['teacher-s1']);
    add(`student-kd-pixel-pair-s${s}`, 'student-kd-pixel-pair', s, { name: `student-kd-pixel-pair-s${s}`, model: student, seed: s, kd: { pixel: 1, pair: 1 } }, ['teacher-s1']);
    add(`compress-s${s}`, 'compress', s, { name: `compress-s${s}`, model: psp, seed: s }, [`pspnet-s${s}`]);
  }
  // follow-up of C1 (registered 2026-12-03): both networks with their output biases at the targets' background, so
  // GG-CNN leaves the plateau its zero biases keep it on; PSPNet first in each seed (the longer run)
  for (const s of seeds) {
    add(`pspnet-prior-s${s}`, 'pspnet-prior', s, { name: `pspnet-prior-s${s}`, model: { ...psp, headBias: 'prior' }, seed: s });
    add(`ggcnn-prior-s${s}`, 'ggcnn-prior', s, { name: `ggcnn-prior-s${s}`, model: { name: 'ggcnn', headBias: 'prior' }, seed: s });
  }
  // pilot follow-up of C3 (registered 2026-12-03): its first seed's two runs at 3× the images, to see where the curves
  // flatten; the aux run first (the longer one)
  const pilotSeed = seeds[0];
  const longEpochs = 3 * p.epochs;
  add(`pspnet-aux0.4-long-s${pilotSeed}`, 'pspnet-aux', pilotSeed, {
    name: `pspnet-aux0.4-long-s${pilotSeed}`, model: { ...psp, aux: true }, seed: pilotSeed, auxWeight: 0.4, epochs: longEpochs,
  });
  add(`pspnet-long-s${pilotSeed}`, 'pspnet', pilotSeed, { name: `pspnet-long-s${pilotSeed}`, model: psp, seed: pilotSeed, epochs: longEpochs });
  const per = (prefix: string, suffix = '') => seeds.map((s) => `${prefix}-s${s}${suffix}`);
  const stuName = `PSPNet-R${stu.depth}×${stu.widthMultiplier}`;
  const pspName = `PSPNet-R${p.pspnet.depth}×${p.pspnet.widthMultiplier}`;
  const claims: ClaimPlan[] = [
    {
      id: 'C1',
      claim: "replacing GG-CNN's network by PSPNet-ResNet improves accuracy",
      report: 'PSPNet 88 % vs GG-CNN 83 % (Cornell)',
      direction: 1,
      expected: 'supported',
      baseline: { label: 'GG-CNN', sources: per('ggcnn') },
      treatment: { label: `${pspName} (notebook 03)`, sources: per('pspnet') },
    },
    {
      id: 'C2',
      claim: 'batch size matters for PSPNet: batch 8 trains a better network than batch 2 at the same number of images seen',
      report: 'trained with batch 2 on a laptop; expects batch 8 to be better',
      direction: 1,
      expected: 'supported',
      baseline: { label: `${pspName}, batch 2`, sources: per('pspnet-b2') },
      treatment: { label: `${pspName}, batch ${b}`, sources: per('pspnet') },
    },
    {
      id: 'C3',
      claim: "PSPNet's auxiliary head on layer3 (loss = main + 0.4·aux) improves the trained network",
      report: 'aux weight 0.4 (semseg) improves the replacement network',
      direction: 1,
      expected: 'supported',
      baseline: { label: `${pspName}, aux weight 0`, sources: per('pspnet') },
      treatment: { label: `${pspName}, aux weight 0.4`, sources: per('pspnet-aux0.4') },
    },
    {
      id: 'C4',
      claim: 'pixel-wise distillation from a larger PSPNet teacher improves a student (≤ 1/4 of its parameters) over the same student trained alone',
      report: 'loss = student-vs-label + student-vs-teacher (pixel-wise KD) improves the small network',
      direction: 1,
      expected: 'supported',
      baseline: { label: `${stuName} alone`, sources: per('student') },
      treatment: { label: `${stuName} + pixel KD`, sources: per('student-kd-pixel') },
      beside: [
        { label: `${stuName} + pixel & pair KD`, sources: per('student-kd-pixel-pair') },
        { label: `teacher PSPNet-R${p.teacher.depth}×${p.teacher.widthMultiplier}`, sources: ['teacher-s1'] },
      ],
    },
    {
      id: 'C5',
      claim: 'the model can be compressed for the application: uint8 weights keep float32 accuracy at a quarter of the size',
      report: "the report's end point: a compressed model in the application",
      direction: 1,
      expected: 'no effect ≥ 5',
      baseline: { label: `${pspName} float32`, sources: per('pspnet') },
      treatment: { label: `${pspName} uint8`, sources: per('pspnet', '@uint8') },
      beside: [{ label: `${pspName} float16`, sources: per('pspnet', '@float16') }],
    },
  ];
  const followUps: FollowUpPlan[] = [
    {
      id: 'C1-prior',
      of: 'C1',
      why: "C1's GG-CNN never left the constant-map plateau of its zero output biases; with both networks' biases at the targets' background the comparison measures the architectures",
      claim: "replacing GG-CNN's network by PSPNet-ResNet improves accuracy, both networks' output biases started at the targets' background",
      report: 'PSPNet 88 % vs GG-CNN 83 % (Cornell)',
      direction: 1,
      baseline: { label: 'GG-CNN, prior bias', sources: per('ggcnn-prior') },
      treatment: { label: `${pspName}, prior bias`, sources: per('pspnet-prior') },
    },
    {
      id: 'C3-long',
      of: 'C3',
      why: "a pilot at 3× the images on C3's first seed (the seed its effect rests on): where do the curves flatten, and does the aux head's gap persist",
      claim: "PSPNet's auxiliary head on layer3 (loss = main + 0.4·aux) improves the trained network, after 3× the images (one seed)",
      report: 'aux weight 0.4 (semseg) improves the replacement network',
      direction: 1,
      baseline: { label: `${pspName}, aux weight 0, ${(longEpochs * steps * b).toLocaleString('en-US')} images`, sources: [`pspnet-long-s${pilotSeed}`] },
      treatment: { label: `${pspName}, aux weight 0.4, ${(longEpochs * steps * b).toLocaleString('en-US')} images`, sources: [`pspnet-aux0.4-long-s${pilotSeed}`] },
    },
  ];
  return { profile: p.name, seeds, runs, claims, followUps };
}

/** The run id and export format of a verdict source (`pspnet-s1@uint8` → pspnet-s1, uint8). */
export function parseSource(source: VerdictSource): { run: string; format?: string } {
  const [run, format] = source.split('@');
  return format ? { run, format } : { run };
}
