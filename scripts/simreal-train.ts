/**
 * Sim-to-real measurement: trains a network only on synthetic scenes of one generator preset and scores it on real
 * Cornell images after every `--eval-every` steps (a learning curve of real-image accuracy), writing a small metrics
 * file for notebook 01 and README. The generator ablation runs it once per preset (`cornell`, `no-tilt`, `no-noise`,
 * `basic-objects`, `no-background`, …) with everything else fixed.
 *
 *   npx tsx scripts/simreal-train.ts --preset cornell --steps 800 --eval-every 100 --batch 8 [--model ggcnn|pspnet]
 *                                    [--seed 1] [--head-bias zeros|prior] [--fresh]
 *
 * --model: `ggcnn` (default) or `pspnet`, notebook 03's PSPNet of the profile (ResNet18 ×0.25 in `cpu`), trained
 * with precise BN after every evaluation interval as the notebooks and reference runs do. On the Cornell-like scenes
 * GG-CNN with ggcnn's zero output biases stays on its constant-map plateau for the reference budget
 * (results/reference/PREREGISTRATION.md); with `--head-bias prior` it leaves it at ~400 steps of batch 8, so the
 * generator ablation (README) runs GG-CNN that way.
 *
 * --head-bias: how the output biases start (lib/models/map_heads.ts): `zeros` (default, ggcnn's init and the committed
 * curves') or `prior` (the targets' background, cos 1), with which GG-CNN leaves its plateau; `-prior` in run and file
 * names.
 *
 * Data: the cpu profile's 400 scenes of the preset (data/synthetic/<preset>-<fingerprint>-s2018-n400, generated when
 * missing), image-wise split 0.9, ggcnn's augmentation (quarter turns, zoom 0.5–1). Real images: GRASPLAB_REAL_DIR
 * or ../shared/realdata/cornell. No choice is made on the real images: the reported model is the last step's, and the
 * synthetic validation score is recorded beside. The real images are reported as all, the development part (ids
 * ≤ pcd0109, looked at while designing the generator) and the held-out part (the rest, never looked at).
 * GRASPLAB_PROFILE=reference trains on that profile's 1,800 scenes instead (the long GG-CNN curve of issue 12).
 * Output: results/simreal/<preset>-s<seed>.json for GG-CNN, results/simreal/pspnet-<preset>-s<seed>.json, with
 * `-<profile>` appended outside the cpu profile (or --out). Resumes from results/runs/<name>/ when interrupted, and a
 * rerun with a larger --steps continues a finished run.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { PROJECT_ROOT, resultsDir, useProfileDataRoot } from '../lib/config/paths';
import { experiments } from '../lib/config/experiments';
import { SYNTHETIC_PRESETS, syntheticFingerprint } from '../lib/config/synthetic';
import { BatchLoader } from '../lib/data/loader';
import { evaluateModel, type ImageVerdict } from '../lib/eval/metric';
import { loadRealImages, realCornellDir, scoreOnReal, subsetAccuracy } from '../lib/eval/real';
import { openWorkbench } from '../lib/experiment';
import { buildModel } from '../lib/models/registry';
import { HEAD_BIASES, type HeadBias } from '../lib/models/map_heads';
import { fit } from '../lib/train/loop';
import { consoleProgress, type EpochRecord } from '../lib/train/progress';

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'cornell' },
    model: { type: 'string', default: 'ggcnn' },
    steps: { type: 'string', default: '800' },
    'eval-every': { type: 'string', default: '100' },
    batch: { type: 'string', default: '8' },
    seed: { type: 'string', default: '1' },
    'head-bias': { type: 'string', default: 'zeros' },
    out: { type: 'string' },
    fresh: { type: 'boolean', default: false },
  },
});

/** The real images looked at while designing the generator (pcd0100–0109); the others are the held-out part. */
const isDevelopment = (id: string) => {
  const m = /pcd(\d+)$/.exec(id);
  return !!m && Number(m[1]) <= 109;
};

async function main(): Promise<void> {
  const preset = values.preset!;
  if (!SYNTHETIC_PRESETS[preset]) throw new Error(`--preset ${preset}: use one of ${Object.keys(SYNTHETIC_PRESETS).join(', ')}`);
  const steps = Number(values.steps);
  const every = Number(values['eval-every']);
  const batchSize = Number(values.batch);
  const seed = Number(values.seed);
  if (!(steps > 0 && every > 0 && steps % every === 0)) throw new Error('--steps must be a positive multiple of --eval-every');
  const modelName = values.model!;
  if (modelName !== 'ggcnn' && modelName !== 'pspnet') throw new Error(`--model ${modelName}: use ggcnn or pspnet`);
  const headBias = values['head-bias'] as HeadBias;
  if (!HEAD_BIASES.includes(headBias)) throw new Error(`--head-bias ${headBias}: use ${HEAD_BIASES.join(' or ')}`);
  process.env.GRASPLAB_SYNTHETIC = preset;
  process.env.GRASPLAB_PROFILE = process.env.GRASPLAB_PROFILE ?? 'cpu';
  // the reference profile's scenes are the reference runs' own copy (data/synthetic-reference), not a second one
  useProfileDataRoot(process.env.GRASPLAB_PROFILE);
  const real = realCornellDir();
  if (!real) throw new Error('no real Cornell images: set GRASPLAB_REAL_DIR or provide ../shared/realdata/cornell');
  const realImages = await loadRealImages(real.dir);

  const wb = await openWorkbench({ seed: 1 });
  const p = wb.profile;
  // another profile is another training set (the reference profile: 1,800 scenes): its own run and report
  const profileTag = p.name === 'cpu' ? '' : `-${p.name}`;
  const biasTag = headBias === 'zeros' ? '' : `-${headBias}`;
  const name = `simreal-${modelName}-${preset}-s${seed}-b${batchSize}${biasTag}${profileTag}`;
  // notebook 03's network of this profile, as experiments.pspnet builds it
  const spec = { ...(modelName === 'pspnet' ? experiments.pspnet(p).model : { name: 'ggcnn' as const }), ...(headBias === 'zeros' ? {} : { headBias }) };
  const model = buildModel({ ...spec, seed, inputSize: p.inputSize });
  const t0 = Date.now();
  const out = values.out ?? path.join(resultsDir(), 'simreal', `${modelName === 'ggcnn' ? '' : `${modelName}-`}${preset}-s${seed}${biasTag}${profileTag}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  // the report is rewritten after every validation, so an interrupted run leaves its curve so far
  const writeReport = (history: EpochRecord[], perImage?: ImageVerdict[]) => {
    const lastVal = history.at(-1)?.val ?? {};
    const part = (c: string, t: string) => ({ correct: lastVal[c] ?? 0, total: lastVal[t] ?? 0, accuracy: lastVal[t] ? (lastVal[c] ?? 0) / lastVal[t] : 0 });
    const report = {
      command: `${p.name === 'cpu' ? '' : `GRASPLAB_PROFILE=${p.name} `}npx tsx scripts/simreal-train.ts --preset ${preset} --steps ${steps} --eval-every ${every} --batch ${batchSize} --seed ${seed}${modelName === 'ggcnn' ? '' : ` --model ${modelName}`}${headBias === 'zeros' ? '' : ` --head-bias ${headBias}`}${values.out ? ` --out ${path.relative(PROJECT_ROOT, out)}` : ''}`,
      model: modelName,
      network: spec,
      profile: p.name,
      preset,
      config: SYNTHETIC_PRESETS[preset],
      fingerprint: syntheticFingerprint(SYNTHETIC_PRESETS[preset]),
      syntheticSet: wb.choice.synthetic?.name,
      trainImages: wb.split.train.length,
      syntheticValImages: wb.valSamples.length,
      realDir: path.relative(PROJECT_ROOT, real.dir),
      steps: history.length * every,
      batchSize,
      seed,
      curve: history.map((h) => ({ step: h.epoch * every, loss: h.loss, ...(h.val ?? {}) })),
      final: {
        step: history.length * every,
        realAccuracy: lastVal.realAccuracy ?? 0,
        realCorrect: lastVal.realCorrect ?? 0,
        realTotal: lastVal.realTotal ?? 0,
        development: part('realDevCorrect', 'realDevTotal'),
        heldOut: part('realHeldOutCorrect', 'realHeldOutTotal'),
        syntheticValAccuracy: lastVal.accuracy ?? 0,
        perImage: perImage?.map((v) => ({ id: v.id, success: v.success, bestIoU: Number(v.bestIoU.toFixed(3)) })),
      },
      trainSeconds: Math.round(history.reduce((a, h) => a + h.trainSeconds, 0)),
      date: new Date().toISOString().slice(0, 10),
    };
    fs.writeFileSync(out, JSON.stringify(report, null, 1) + '\n');
    return report;
  };
  const result = await fit({
    name,
    model,
    data: (epoch) => new BatchLoader(wb.dataset, wb.split.train, { batchSize, seed: seed * 1000 + epoch, shuffle: true, preprocess: wb.trainPreprocess, cache: wb.trainCache }),
    epochs: steps / every,
    batchesPerEpoch: every,
    optimizer: { kind: 'adam', lr: 1e-3 },
    // BN statistics recomputed on training images before each evaluation, as every PSPNet run of the workbook
    ...(modelName === 'pspnet' ? { preciseBn: { batches: Math.max(1, Math.round((p.preciseBnBatches * p.batchSize) / batchSize)) } } : {}),
    resume: !values.fresh,
    validate: async (m) => {
      const syn = await evaluateModel(m, wb.valSamples);
      const r = await scoreOnReal(m, realImages);
      const dev = subsetAccuracy(r, isDevelopment);
      const held = subsetAccuracy(r, (id) => !isDevelopment(id));
      process.stderr.write(`  synthetic val ${syn.correct}/${syn.total}, real ${r.correct}/${r.total} (development ${dev.correct}/${dev.total}, held-out ${held.correct}/${held.total})\n`);
      return {
        accuracy: syn.accuracy,
        correct: syn.correct,
        total: syn.total,
        realAccuracy: r.accuracy,
        realCorrect: r.correct,
        realTotal: r.total,
        realDevCorrect: dev.correct,
        realDevTotal: dev.total,
        realHeldOutCorrect: held.correct,
        realHeldOutTotal: held.total,
      };
    },
    shouldStop: ({ history }) => {
      writeReport(history);
      return false;
    },
    // no step count here: rerunning with more --steps continues a finished run (a longer learning curve)
    config: { preset, fingerprint: syntheticFingerprint(SYNTHETIC_PRESETS[preset]), every, batchSize, seed, set: wb.choice.synthetic?.name, ...(modelName === 'ggcnn' ? (headBias === 'zeros' ? {} : { headBias }) : { model: spec }) },
    onProgress: consoleProgress({ stream: process.stderr }),
  });
  const last = await scoreOnReal(model, realImages);
  const report = writeReport(result.history, last.perImage);
  console.log(`${name}: step ${report.final.step}: real ${last.correct}/${last.total} (held-out ${report.final.heldOut.correct}/${report.final.heldOut.total}), ${((Date.now() - t0) / 1000).toFixed(0)} s → ${out}`);
}

main().catch((e) => {
  console.error(`simreal-train: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
