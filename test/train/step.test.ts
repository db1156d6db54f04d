import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../lib/backend/setup';
import { Rng } from '../../lib/data/random';
import { ConfigError, TrainingDivergedError } from '../../lib/errors';
import { graspLoss } from '../../lib/train/losses';
import { trainStep } from '../../lib/train/step';
import { fakeBatch, maxAbsDiff, tinyModel, weightValues } from './tiny';

before(async () => {
  await selectBackend({ quiet: true });
});

/** Runs `n` steps on fresh fake batches; returns the losses. */
async function steps(model: tf.LayersModel, opt: tf.Optimizer, n: number, opts = {}, seed = 1) {
  const rng = new Rng(seed);
  const out = [];
  for (let i = 0; i < n; i++) {
    const b = fakeBatch(rng);
    out.push(await trainStep(model, opt, b, { ...opts, step: i + 1 }));
    tf.dispose([b.x, b.y]);
  }
  return out;
}

test('a tiny model\'s loss decreases over a few steps on a fixed batch; parts add up to the loss', async () => {
  const model = tinyModel({ seed: 2 });
  const opt = tf.train.adam(1e-2);
  const b = fakeBatch(new Rng(3));
  const r = [];
  for (let i = 0; i < 15; i++) r.push(await trainStep(model, opt, b));
  assert.ok(r[14].loss < 0.7 * r[0].loss, `loss ${r[0].loss} → ${r[14].loss}`);
  const p = r[0].parts;
  assert.ok(Math.abs(p.pos + p.cos + p.sin + p.width - r[0].loss) < 1e-5);
  assert.equal(p.main, r[0].loss);
  // the step's loss is the loss before its update: equal to graspLoss of the untrained model's training-mode output
  const fresh = tinyModel({ seed: 2 });
  const want = tf.tidy(() => graspLoss(fresh.apply(b.x, { training: true }) as tf.Tensor4D, b.y).loss.dataSync()[0]);
  assert.ok(Math.abs(want - r[0].loss) < 1e-5);
  tf.dispose([b.x, b.y]);
  opt.dispose();
});

test('no tensor leak from step to step (plain, aux, KD pixel+pair)', async () => {
  const cases: [tf.LayersModel, object][] = [
    [tinyModel({ bn: true }), {}],
    [tinyModel({ aux: true, prefix: 'leak_aux' }), {}],
    [tinyModel({ prefix: 'leak_s', featChannels: 3 }), {
      teacher: tinyModel({ seed: 9, bn: true, prefix: 'leak_t', featChannels: 5 }),
      kd: { pixel: 1, pair: 1, qualityWeighted: true, studentFeatures: { layer: 'leak_s_feat' }, teacherFeatures: { layer: 'leak_t_feat' } },
    }],
  ];
  for (const [model, opts] of cases) {
    const opt = tf.train.adam(1e-3);
    await steps(model, opt, 3, opts);
    const n3 = tf.memory().numTensors;
    await steps(model, opt, 7, opts, 2);
    assert.equal(tf.memory().numTensors, n3, `leak with ${model.name}`);
    opt.dispose();
  }
});

test('aux models: loss = main + auxWeight·aux, main part unaffected by the weight', async () => {
  const b = fakeBatch(new Rng(4));
  const run = async (auxWeight?: number) => trainStep(tinyModel({ aux: true, seed: 5, prefix: 'auxw' }), tf.train.sgd(0.01), b, { auxWeight });
  const r0 = await run(0);
  const r4 = await run(0.4);
  const rDefault = await run();
  assert.ok(r0.parts.aux! > 0);
  assert.equal(r0.parts.main, r4.parts.main);
  assert.equal(r0.parts.aux, r4.parts.aux);
  assert.ok(Math.abs(r0.loss - r0.parts.main) < 1e-6);
  assert.ok(Math.abs(r4.loss - (r4.parts.main + 0.4 * r4.parts.aux!)) < 1e-5);
  assert.notEqual(r0.loss, r4.loss);
  assert.equal(rDefault.loss, r4.loss);
  tf.dispose([b.x, b.y]);
});

test('KD: the teacher stays frozen (weights and BN statistics) while the student learns; KD terms reported', async () => {
  const teacher = tinyModel({ seed: 7, bn: true, prefix: 'kd_t', featChannels: 6 });
  const student = tinyModel({ seed: 8, bn: true, prefix: 'kd_s', featChannels: 2 });
  const t0 = weightValues(teacher);
  const s0 = weightValues(student);
  const r = await steps(student, tf.train.adam(1e-2), 4, {
    teacher,
    kd: { pixel: 1, pair: 0.5, studentFeatures: { layer: 'kd_s_feat' }, teacherFeatures: { layer: 'kd_t_feat' } },
  });
  weightValues(teacher).forEach((w, i) => assert.equal(maxAbsDiff(w, t0[i]), 0, `teacher weight ${i} changed`));
  assert.ok(weightValues(student).some((w, i) => maxAbsDiff(w, s0[i]) > 0));
  for (const x of r) {
    assert.ok(x.parts.kdPixel! > 0 && x.parts.kdPair! > 0);
    assert.ok(Math.abs(x.loss - (x.parts.main + x.parts.kdPixel! + 0.5 * x.parts.kdPair!)) < 1e-5);
  }
});

test('KD with the teacher as its own student costs nothing beyond the task loss', async () => {
  const b = fakeBatch(new Rng(5));
  const teacher = tinyModel({ seed: 3, prefix: 'self_t' });
  const student = tinyModel({ seed: 3, prefix: 'self_s' }); // same seeds → same weights
  const r = await trainStep(student, tf.train.sgd(0.01), b, {
    teacher,
    kd: { pixel: 1, pair: 1, studentFeatures: { layer: 'self_s_feat' }, teacherFeatures: { layer: 'self_t_feat' } },
  });
  assert.ok(r.parts.kdPixel! < 1e-12 && r.parts.kdPair! < 1e-10, JSON.stringify(r.parts));
  tf.dispose([b.x, b.y]);
});

test('pair-wise KD without a way to find features fails with a ConfigError before training', async () => {
  const b = fakeBatch(new Rng(6));
  const s = tinyModel({ prefix: 'nf_s' });
  await assert.rejects(trainStep(s, tf.train.sgd(0.1), b, { teacher: tinyModel({ prefix: 'nf_t' }), kd: { pixel: 0, pair: 1 } }), ConfigError);
  await assert.rejects(trainStep(s, tf.train.sgd(0.1), b, { kd: { pixel: 1, pair: 0 } }), /without a teacher/);
  tf.dispose([b.x, b.y]);
});

test('a NaN loss throws TrainingDivergedError naming the step and parts, without touching the weights', async () => {
  const model = tinyModel({ prefix: 'nan' });
  const w0 = weightValues(model);
  const b = fakeBatch(new Rng(7));
  const bad = { x: b.x, y: tf.tidy(() => b.y.add(tf.scalar(NaN))) as tf.Tensor4D };
  const opt = tf.train.sgd(0.1);
  const n0 = tf.memory().numTensors;
  await assert.rejects(trainStep(model, opt, bad, { step: 17 }), (e: Error) => {
    assert.ok(e instanceof TrainingDivergedError);
    assert.match(e.message, /step 17/);
    assert.match(e.message, /pos=NaN/);
    return true;
  });
  assert.equal(tf.memory().numTensors, n0);
  weightValues(model).forEach((w, i) => assert.equal(maxAbsDiff(w, w0[i]), 0));
  tf.dispose([b.x, b.y, bad.y]);
});

test('BatchNorm in the custom loop: moving statistics update, inference output matches training-mode output', async () => {
  const model = tinyModel({ bn: true, prefix: 'bnloop', seed: 4 });
  const bn = model.getLayer('bnloop_bn');
  const [mean0, var0] = bn.getWeights().slice(2).map((t) => t.dataSync().slice());
  assert.deepEqual([...new Set(mean0)], [0]);
  await steps(model, tf.train.adam(3e-3), 40);
  const [mean1, var1] = bn.getWeights().slice(2).map((t) => t.dataSync().slice());
  assert.ok(maxAbsDiff(mean1, mean0) > 1e-3, 'moving mean did not move');
  assert.ok(maxAbsDiff(var1, var0) > 1e-3, 'moving variance did not move');
  // After 40 steps at momentum 0.9 the moving stats track the batch stats: eval mode ≈ train mode on a batch.
  const b = fakeBatch(new Rng(99), 8);
  const [lossInfer, lossTrain] = tf.tidy(() => [
    graspLoss(model.predict(b.x) as tf.Tensor4D, b.y).loss.dataSync()[0],
    graspLoss(model.apply(b.x, { training: true }) as tf.Tensor4D, b.y).loss.dataSync()[0],
  ]);
  assert.ok(Number.isFinite(lossInfer));
  assert.ok(Math.abs(lossInfer - lossTrain) < 0.25 * lossTrain, `inference loss ${lossInfer} vs training-mode ${lossTrain}`);
  tf.dispose([b.x, b.y]);
});

test('BatchNorm inside a nested sub-model (e.g. a backbone) also updates its moving statistics', async () => {
  const bi = tf.input({ shape: [32, 32, 1] });
  const bn = tf.layers.batchNormalization({ momentum: 0.5, name: 'nested_bn' });
  const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'nested_c' });
  const backbone = tf.model({ inputs: bi, outputs: bn.apply(conv.apply(bi)) as tf.SymbolicTensor, name: 'nested_backbone' });
  const x = tf.input({ shape: [32, 32, 1] });
  const head = tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'nested_head' });
  const model = tf.model({ inputs: x, outputs: head.apply(backbone.apply(x)) as tf.SymbolicTensor });
  const before = bn.getWeights()[2].dataSync().slice();
  await steps(model, tf.train.adam(1e-3), 2);
  assert.ok(maxAbsDiff(bn.getWeights()[2].dataSync(), before) > 1e-5);
});

test('an optimiser is refused for a second model (its state is positional)', async () => {
  const b = fakeBatch(new Rng(8));
  const opt = tf.train.adam(1e-3);
  await trainStep(tinyModel({ prefix: 'own_a' }), opt, b);
  await assert.rejects(trainStep(tinyModel({ prefix: 'own_b', featChannels: 3 }), opt, b), /one optimizer per model/);
  tf.dispose([b.x, b.y]);
  opt.dispose();
});
