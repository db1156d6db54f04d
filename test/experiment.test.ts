import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { experiments } from '../lib/config/experiments';
import { PROFILES } from '../lib/config/profiles';
import { SYNTHETIC_DEFAULT_SEED, writeSyntheticDataset } from '../lib/data/synthetic';
import { openWorkbench, runConfig, runExperiment, type ExperimentSpec, type Workbench } from '../lib/experiment';
import { keyedRunName } from '../lib/train/run_key';

/**
 * Runs are keyed by what defines them: after switching profile, seeds or dataset the notebooks get other run
 * folders instead of "cannot resume", the same configuration is reloaded, and notebooks asking for the same
 * experiment (03's PSPNet, 04's aux weight 0, 05's student alone) share one folder.
 */

let root = '';
let wb: Workbench;
const saved: Record<string, string | undefined> = {};

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-experiment-'));
  const data = path.join(root, 'synthetic');
  await writeSyntheticDataset(data, { count: PROFILES.smoke.syntheticScenes, seed: SYNTHETIC_DEFAULT_SEED });
  const env = { GRASPLAB_PROFILE: 'smoke', GRASPLAB_DATASET: 'synthetic', GRASPLAB_DATA_DIR: data, GRASPLAB_RESULTS_DIR: path.join(root, 'results') };
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  wb = await openWorkbench({ log: () => {} });
});
after(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  fs.rmSync(root, { recursive: true, force: true });
});

const folderOf = (w: Workbench, spec: ExperimentSpec) => keyedRunName(spec.name, runConfig(w, spec, spec.seed ?? w.seed, spec.batchSize ?? w.profile.batchSize));

test('notebooks that ask for the same experiment share one run folder; every defining setting changes it', () => {
  const p = wb.profile;
  const psp = folderOf(wb, experiments.pspnet(p, 1));
  assert.match(psp, /^pspnet-[0-9a-f]{8}$/);
  assert.equal(folderOf(wb, experiments.pspnetAux(p, 0, 1)), psp, "notebook 04's aux weight 0");
  assert.equal(folderOf(wb, experiments.student(p, 'alone', 1)), psp, "notebook 05's student alone");
  const others = [
    folderOf(wb, experiments.pspnet(p, 2)), // GRASPLAB_SEEDS=2
    folderOf({ ...wb, profile: { ...PROFILES.cpu } }, experiments.pspnet(PROFILES.cpu, 1)), // GRASPLAB_PROFILE=cpu
    folderOf({ ...wb, choice: { kind: 'cornell', dir: '/data/cornell' } }, experiments.pspnet(p, 1)), // GRASPLAB_DATASET
    folderOf({ ...wb, choice: { ...wb.choice, dir: path.join(root, 'other') } }, experiments.pspnet(p, 1)), // GRASPLAB_DATA_DIR
    folderOf(wb, { ...experiments.pspnet(p, 1), lr: 5e-4 }),
    folderOf(wb, experiments.pspnetAux(p, 0.4, 1)),
  ];
  assert.equal(new Set([psp, ...others]).size, others.length + 1, others.join(' '));
  assert.notEqual(folderOf(wb, { ...experiments.ggcnn(), epochs: 5 }), folderOf(wb, experiments.ggcnn()));
  // an explicit default is the same configuration
  assert.equal(folderOf(wb, { ...experiments.ggcnn(), epochs: wb.profile.epochs }), folderOf(wb, experiments.ggcnn()));
});

test('switching profile settings gives a new run instead of a refused resume; the same config is reloaded', { timeout: 120_000 }, async () => {
  const a = await runExperiment(wb, { ...experiments.ggcnn(), onProgress: null });
  assert.match(a.name, /^ggcnn-[0-9a-f]{8}$/);
  assert.equal(path.basename(a.runDir), a.name);
  assert.equal(a.fit.resumedAt, 0);
  a.trainModel.dispose();

  // what GRASPLAB_PROFILE=<another> does to the workbench: other sizes, another name
  const other: Workbench = { ...wb, profile: { ...wb.profile, name: 'cpu', batchesPerEpoch: 1 } };
  const b = await runExperiment(other, { ...experiments.ggcnn(), onProgress: null });
  assert.notEqual(b.runDir, a.runDir);
  assert.equal(b.fit.resumedAt, 0);
  b.trainModel.dispose();

  const again = await runExperiment(wb, { ...experiments.ggcnn(), onProgress: null });
  assert.equal(again.runDir, a.runDir);
  assert.equal(again.fit.resumedAt, wb.profile.epochs, 'reloaded, not retrained');
  assert.deepEqual(again.history, a.history);
  again.trainModel.dispose();
});
