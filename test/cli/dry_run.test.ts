import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { main } from '../../lib/cli';
import { dryRun } from '../../lib/config/dry_run';
import { currentDataset, PROJECT_ROOT } from '../../lib/config/paths';
import { currentProfile, PROFILES } from '../../lib/config/profiles';
import { modelFootprint, trainingBytes, MEMORY_MODEL } from '../../lib/models/memory';
import { dryRunForwardOnly, fitDryRunToMemory, profileMemory } from '../../lib/models/profile_memory';
import { trainStep } from '../../lib/train/step';
import { tinyModel, S } from '../train/tiny';
import { captureIO } from '../helpers/cli_io';

/** GRASPLAB_DRY_RUN: every run shrinks to 2 steps and 2 evaluation images at the real model sizes. */

test('a dry run keeps model sizes and batch, and cuts steps, epochs, evaluation images, BN batches and seeds to one', () => {
  const paper = PROFILES.paper;
  const dry = currentProfile({ GRASPLAB_PROFILE: 'paper', GRASPLAB_DRY_RUN: '1' });
  assert.deepEqual(
    { pspnet: dry.pspnet, teacherNet: [dry.teacher.depth, dry.teacher.widthMultiplier], batch: dry.batchSize, size: dry.inputSize },
    { pspnet: paper.pspnet, teacherNet: [paper.teacher.depth, paper.teacher.widthMultiplier], batch: paper.batchSize, size: paper.inputSize },
  );
  assert.deepEqual(
    { epochs: dry.epochs, steps: dry.batchesPerEpoch, val: dry.valImages, bn: dry.preciseBnBatches, teacherEpochs: dry.teacher.epochs, seeds: dry.seeds },
    { epochs: 1, steps: 2, val: 2, bn: 1, teacherEpochs: 1, seeds: [1] },
  );
  assert.match(dry.dryRun!, /dry run \(GRASPLAB_DRY_RUN=1: 2 steps per run, 2 evaluation images\)/);
  assert.deepEqual(currentProfile({ GRASPLAB_PROFILE: 'paper' }), paper, 'no dry run: the profile untouched');
  assert.equal(currentProfile({ GRASPLAB_PROFILE: 'paper', GRASPLAB_DRY_RUN: '0' }).dryRun, undefined);
  assert.deepEqual(currentProfile({ GRASPLAB_PROFILE: 'cpu', GRASPLAB_DRY_RUN: 'yes', GRASPLAB_SEEDS: '4,5,6' }).seeds, [4]);
  // its own small synthetic set, never the real one
  // (synthetic sets live in one folder per generator configuration and size: data/synthetic/<config>-s<seed>-n<count>)
  const dryDir = currentDataset({ GRASPLAB_DRY_RUN: '1' }).dir;
  const realDir = currentDataset({}).dir;
  assert.notEqual(dryDir, realDir);
  assert.equal(path.dirname(dryDir), path.join(PROJECT_ROOT, 'data', 'synthetic'));
  assert.match(path.basename(dryDir), /-n24$/);
  assert.match(path.basename(realDir), new RegExp(`-n${PROFILES.cpu.syntheticScenes}$`));
  assert.equal(dryRun({ GRASPLAB_DRY_RUN: '' }), undefined);
});

test('memory estimate: footprint counted from the layers, bytes from the calibrated formula', () => {
  const m = tinyModel({ bn: true });
  const f = modelFootprint(m);
  // weights: c1 3·3·1·8+8, bn 4·8, feat 3·3·8·8+8, main 8·4+4
  assert.equal(f.weights, 80 + 32 + 584 + 36);
  // outputs per image: c1, bn, r1, feat, r2 (8 channels each) and main (4), on 32×32
  assert.equal(f.activationsPerImage, S * S * (5 * 8 + 4));
  const b1 = trainingBytes(f, 1);
  const b3 = trainingBytes(f, 3);
  assert.ok(Math.abs(b3 - b1 - 2 * 4 * MEMORY_MODEL.activationFactor * f.activationsPerImage) < 1e-6, 'linear in the batch');
  assert.equal(b1, MEMORY_MODEL.fixedBytes + 4 * MEMORY_MODEL.weightCopies * f.weights + 4 * MEMORY_MODEL.activationFactor * f.activationsPerImage);
  m.dispose();
});

test('a dry run that cannot fit the wasm heap at the profile batch uses the report batch 2; runs that still cannot fit step forward only', () => {
  // the smoke profile at batch 64: GG-CNN's 10.5 M activations per image need ~10 GB at batch 64
  const big = { ...PROFILES.smoke, batchSize: 64, dryRun: 'dry run (test)' };
  const notes: string[] = [];
  const fitted = fitDryRunToMemory(big, 'wasm', (m) => notes.push(m));
  assert.equal(fitted.batchSize, 2);
  assert.match(fitted.dryRun!, /GG-CNN at batch 64 needs ~\d+\.\d GB, more than fits wasm's 4 GB heap: the dry run uses the report's batch 2/);
  assert.equal(notes.length, 1);
  assert.equal(fitDryRunToMemory(big, 'tensorflow').batchSize, 64, 'no heap cap on native backends');
  assert.equal(fitDryRunToMemory({ ...big, dryRun: undefined }, 'wasm').batchSize, 64, 'a real run is never changed');
  assert.equal(fitDryRunToMemory({ ...big, batchSize: 8 }, 'wasm', () => {}).batchSize, 8, 'fits at 8: unchanged');
  const runs = profileMemory(PROFILES.smoke, 64).runs;
  assert.equal(runs.find((r) => r.name === 'GG-CNN')!.fitsWasm, false);
  assert.equal(profileMemory(PROFILES.smoke, 2).runs.every((r) => r.fitsWasm), true);

  const g = tinyModel();
  assert.match(dryRunForwardOnly(big, 'wasm', g, 60000)!, /forward only/);
  assert.equal(dryRunForwardOnly(big, 'wasm', g, 2), undefined);
  assert.equal(dryRunForwardOnly({ ...big, dryRun: undefined }, 'wasm', g, 60000), undefined);
  g.dispose();
});

test('a forward-only step reports the loss a real step would and leaves the weights alone', async () => {
  const a = tinyModel({ seed: 3, bn: true });
  const b = tinyModel({ seed: 3, bn: true, prefix: 'twin' });
  const x = tf.randomUniform([2, S, S, 1], -1, 1, 'float32', 5) as tf.Tensor4D;
  const y = tf.randomUniform([2, S, S, 4], -1, 1, 'float32', 6) as tf.Tensor4D;
  const before = a.trainableWeights.map((w) => w.read().dataSync().slice());
  const fwd = await trainStep(a, tf.train.adam(1e-2), { x, y }, { forwardOnly: true });
  const real = await trainStep(b, tf.train.adam(1e-2), { x, y });
  assert.ok(Math.abs(fwd.loss - real.loss) < 1e-6, `${fwd.loss} vs ${real.loss}`);
  a.trainableWeights.forEach((w, i) => assert.deepEqual(w.read().dataSync(), before[i], `${w.name} unchanged`));
  assert.notDeepEqual(b.trainableWeights[0].read().dataSync(), before[0], 'the real step did update');
  tf.dispose([x, y]);
  a.dispose();
  b.dispose();
});

test('CLI dry run: train takes 2 steps whatever --epochs says; eval scores 2 images', { timeout: 120_000 }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-dry-'));
  const vars = { GRASPLAB_DRY_RUN: '1', GRASPLAB_DATASET: 'synthetic', GRASPLAB_DATA_DIR: path.join(root, 'data'), GRASPLAB_RESULTS_DIR: path.join(root, 'results') };
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    let io = captureIO();
    assert.equal(await main(['train', '--model', 'ggcnn', '--profile', 'smoke', '--epochs', '5'], io), 0, io.stderr.join('\n'));
    const run = JSON.parse(io.stdout.join('\n'));
    assert.deepEqual([run.steps, run.epochsDone, run.status], [2, 1, 'completed']);
    assert.match(run.run, /-dryrun-[0-9a-f]{8}$/, 'default name + the run key');
    assert.match(io.stderr.join('\n'), /--epochs 5 ignored/);
    io = captureIO();
    assert.equal(await main(['eval', '--model', run.bestModelDir, '--data-dir', currentDataset().dir], io), 0, io.stderr.join('\n'));
    const ev = JSON.parse(io.stdout.join('\n'));
    assert.deepEqual([ev.split, ev.total], ['test', 2], 'the synthetic set has a test split: its first 2 scenes');
    assert.match(io.stderr.join('\n'), /scoring the first 2 images/);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    fs.rmSync(root, { recursive: true, force: true });
  }
});
