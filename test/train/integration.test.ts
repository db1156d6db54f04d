import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { selectBackend } from '../../lib/backend/setup';
import { useTempResultsDir } from '../helpers/results_dir';
import { openDataset } from '../../lib/data/dataset';
import { BatchLoader } from '../../lib/data/loader';
import { splitEntries } from '../../lib/data/split';
import { writeSyntheticDataset } from '../../lib/data/synthetic';
import * as tf from '@tensorflow/tfjs';
import { evaluateModel } from '../../lib/eval/metric';
import { buildModel } from '../../lib/models/registry';
import { loadModel, saveModel } from '../../lib/train/checkpoint';
import { fit } from '../../lib/train/loop';
import { trainStep } from '../../lib/train/step';
import { S, tinyModel } from './tiny';

/** The training loop wired to the real loader and evaluator (as the notebooks do), on a few synthetic scenes. */

const tempDir = useTempResultsDir('grasplab-train-int-', 'results');
before(async () => {
  await selectBackend({ quiet: true });
});

test('fit with BatchLoader per epoch and evaluateModel as validation (aux model)', async () => {
  const dir = path.join(tempDir(), 'synthetic');
  await writeSyntheticDataset(dir, { count: 6, seed: 3 });
  const ds = await openDataset({ kind: 'synthetic', dir });
  const split = splitEntries(ds.entries, { mode: 'image', trainFraction: 0.67, seed: 1 });
  const preprocess = { outputSize: S, rotate: 'quarter' as const, zoom: true };
  const valSamples = await new BatchLoader(ds, split.val, { batchSize: 1, seed: 1, shuffle: false, preprocess: { ...preprocess, rotate: 'none', zoom: false } }).samples();
  const model = tinyModel({ aux: true, bn: true, prefix: 'int' });
  const r = await fit({
    name: 'integration',
    model,
    data: (epoch) => new BatchLoader(ds, split.train, { batchSize: 2, seed: 10 + epoch, shuffle: true, preprocess }),
    epochs: 2,
    batchesPerEpoch: 2,
    validate: (m) => evaluateModel(m, valSamples),
    onProgress: null,
  });
  assert.equal(r.epochsDone, 2);
  const val = r.history[1].val!;
  // the recorded score is the evaluator's count, not a stand-in (whether training helps: learns.test.ts)
  assert.equal(val.total, valSamples.length);
  assert.ok(Number.isInteger(val.correct) && val.correct <= val.total);
  assert.equal(val.accuracy, val.correct / val.total);
  assert.ok(Number.isFinite(r.history[1].loss) && r.history[1].parts.aux! > 0);
});

test('lib/models networks: KD GG-CNN2 → GG-CNN with the default head_features tap; teacher untouched', async () => {
  const teacher = buildModel({ name: 'ggcnn2', inputSize: 48, seed: 2 });
  const student = buildModel({ name: 'ggcnn', inputSize: 48, seed: 3 });
  const t0 = teacher.getWeights().map((w) => w.dataSync().slice());
  const x = tf.randomNormal([2, 48, 48, 1], 0, 0.3, 'float32', 1) as tf.Tensor4D;
  const y = tf.randomUniform([2, 48, 48, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
  const opt = tf.train.adam(1e-3);
  const r = await trainStep(student, opt, { x, y }, { teacher, kd: { pixel: 1, pair: 1, qualityWeighted: true } });
  assert.ok(r.parts.kdPixel! > 0 && r.parts.kdPair! > 0 && Number.isFinite(r.loss));
  teacher.getWeights().forEach((w, i) => assert.deepEqual(w.dataSync(), t0[i]));
  tf.dispose([x, y]);
  opt.dispose();
});

test('lib/models PSPNet with aux head: checkpoint round trip gives identical outputs', async () => {
  const model = buildModel({ name: 'pspnet', resnetDepth: 18, widthMultiplier: 0.0625, aux: true, seed: 4 });
  const dir = path.join(tempDir(), 'psp');
  await saveModel(model, dir);
  const loaded = await loadModel(dir);
  const x = tf.randomNormal([1, 300, 300, 1], 0, 0.3, 'float32', 3);
  const [a, b] = [model, loaded].map((m) => (m.predict(x) as tf.Tensor[]).map((t) => t.dataSync()));
  assert.equal(a.length, 2);
  a.forEach((t, i) => assert.deepEqual(b[i], t));
  x.dispose();
});
