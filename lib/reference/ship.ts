import * as fs from 'fs';
import * as path from 'path';
import type { Profile } from '../config/profiles';
import { readTestScore, TEST_JSON } from '../eval/test_record';
import { exportModel } from '../export/save';
import { buildModel, describeModel, inferenceModel } from '../models/registry';
import { loadWeightsInto, readJson, writeJsonAtomic } from '../train/checkpoint';
import { BEST_DIR, RUN_JSON } from '../train/loop';
import type { ReferencePlan, ReferenceRun } from './plan';
import { currentCommit, readProvenance } from './provenance';
import { isDone, modelsDir, referenceRunDir } from './store';

/** The model card written beside each shipped model (`models/<name>/card.json`). */
export const CARD_JSON = 'card.json';

export interface ShippedModel {
  name: string;
  description: string;
  /** candidate runs; the shipped one is the first, or (`chooseBy: 'val'`) the one with the best validation accuracy */
  candidates: string[];
  chooseBy: 'first' | 'val';
}

/**
 * The reference models: C1's baseline and treatment (first seed), the KD teacher, the best KD student, and the GG-CNN
 * of the C1-prior follow-up (first seed).
 */
export function shippedModels(plan: ReferencePlan): ShippedModel[] {
  const s0 = plan.seeds[0];
  return [
    { name: 'ggcnn-reference', description: `GG-CNN, claim C1's baseline (seed ${s0})`, candidates: [`ggcnn-s${s0}`], chooseBy: 'first' },
    { name: 'pspnet-reference', description: `PSPNet of notebook 03, claim C1's treatment and C5's float32 model (seed ${s0})`, candidates: [`pspnet-s${s0}`], chooseBy: 'first' },
    { name: 'teacher-reference', description: 'the KD teacher of claim C4', candidates: ['teacher-s1'], chooseBy: 'first' },
    {
      name: 'kd-student-reference',
      description: 'the pixel-wise KD student of claim C4 with the best validation accuracy over its seeds (chosen on validation, not test)',
      candidates: plan.seeds.map((s) => `student-kd-pixel-s${s}`),
      chooseBy: 'val',
    },
    {
      name: 'ggcnn-prior-reference',
      description: `GG-CNN with its output biases started at the targets' background: follow-up C1-prior's baseline (seed ${s0}), the GG-CNN that leaves the plateau`,
      candidates: [`ggcnn-prior-s${s0}`],
      chooseBy: 'first',
    },
  ];
}

interface RunJson {
  status: string;
  step: number;
  epochsDone: number;
  seconds: number;
  best: { epoch: number; step: number; accuracy: number } | null;
  config: Record<string, unknown>;
  history: { epoch: number; val?: { accuracy: number } }[];
}

export interface ShipResult {
  name: string;
  state: 'shipped' | 'unchanged' | 'pending';
  run?: string;
  dir?: string;
}

/**
 * Exports each reference model whose runs are finished into `models/<name>/` (TF.js layers format, float32, main
 * output only: what `grasplab eval/predict/export` and `tf.loadLayersModel` read) with its card. A model already
 * shipped from the same run and checkpoint is left alone.
 */
export async function shipModels(plan: ReferencePlan, profile: Profile, opts: { dir?: string; log?: (m: string) => void } = {}): Promise<ShipResult[]> {
  const root = opts.dir ?? modelsDir();
  const log = opts.log ?? (() => {});
  const out: ShipResult[] = [];
  for (const m of shippedModels(plan)) {
    const runs = m.candidates.map((id) => plan.runs.find((r) => r.id === id)!);
    if (!runs.every((r) => r && isDone(r))) {
      out.push({ name: m.name, state: 'pending' });
      continue;
    }
    const infos = runs.map((r) => readJson<RunJson>(path.join(referenceRunDir(r.id), RUN_JSON)));
    // best validation accuracy, ties to the earlier seed (never the test score)
    let k = 0;
    if (m.chooseBy === 'val') infos.forEach((inf, i) => { if ((inf.best?.accuracy ?? -1) > (infos[k].best?.accuracy ?? -1)) k = i; });
    const run = runs[k];
    const info = infos[k];
    const dir = path.join(root, m.name);
    const cardFile = path.join(dir, CARD_JSON);
    if (fs.existsSync(cardFile)) {
      const old = readJson<{ run?: string; best_checkpoint?: { step: number } }>(cardFile);
      if (old.run === run.id && old.best_checkpoint?.step === info.best?.step && fs.existsSync(path.join(dir, 'model.json'))) {
        out.push({ name: m.name, state: 'unchanged', run: run.id, dir });
        continue;
      }
    }
    const card = await exportRun(run, info, m, plan, profile, dir);
    writeJsonAtomic(cardFile, card);
    log(`shipped ${m.name} from ${run.id} → ${dir}`);
    out.push({ name: m.name, state: 'shipped', run: run.id, dir });
  }
  return out;
}

async function exportRun(run: ReferenceRun, info: RunJson, m: ShippedModel, plan: ReferencePlan, profile: Profile, dir: string): Promise<Record<string, unknown>> {
  const runDir = referenceRunDir(run.id);
  const trained = buildModel({ seed: run.seed, ...run.spec.model, inputSize: run.spec.model.inputSize ?? profile.inputSize });
  loadWeightsInto(trained, path.join(runDir, BEST_DIR));
  const model = trained.outputs.length > 1 ? inferenceModel(trained) : trained;
  try {
    fs.rmSync(dir, { recursive: true, force: true });
    const exp = await exportModel(model, dir, { format: 'float32', source: { run: run.id, reference: true } });
    const { params, flops } = describeModel(model);
    const test = readTestScore(path.join(runDir, TEST_JSON))!.score;
    const prov = readProvenance(runDir);
    const batchSize = run.spec.batchSize ?? profile.batchSize;
    const pct = (v: number) => Math.round(v * 10000) / 100;
    return {
      name: m.name,
      description: m.description,
      run: run.id,
      chosen_by: m.chooseBy === 'val' ? `best validation accuracy among ${m.candidates.join(', ')}` : 'the plan (first seed)',
      config: run.spec,
      profile: { name: profile.name, inputSize: profile.inputSize, batchSize: profile.batchSize, epochs: profile.epochs, batchesPerEpoch: profile.batchesPerEpoch, syntheticScenes: profile.syntheticScenes, testImages: profile.testImages },
      seed: run.seed,
      steps: info.step,
      epochs: info.epochsDone,
      batch_size: batchSize,
      images_seen: info.step * batchSize,
      best_checkpoint: info.best,
      data: prov?.data ?? null,
      commit: { trained: [...new Set((prov?.starts ?? []).map((s) => s.commit))], shipped: currentCommit() },
      train_seconds: info.seconds,
      val_accuracy: info.best ? pct(info.best.accuracy) : null,
      test_accuracy: pct(test.accuracy),
      test_ci95: [pct(test.ci95[0]), pct(test.ci95[1])],
      test_images: test.total,
      params,
      gflops: Number((flops / 1e9).toFixed(3)),
      format: 'float32',
      size_bytes: exp.totalBytes,
      plan_profile: plan.profile,
    };
  } finally {
    trained.dispose();
  }
}
