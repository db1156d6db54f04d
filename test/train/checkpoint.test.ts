import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../lib/backend/setup';
import { Rng } from '../../lib/data/random';
import { ConfigError, DataFormatError } from '../../lib/errors';
import {
  loadModel,
  loadOptimizerState,
  loadWeightsInto,
  readModelMetadata,
  replaceDir,
  saveModel,
  saveOptimizer,
} from '../../lib/train/checkpoint';
import { trainStep } from '../../lib/train/step';
import { fakeBatch, maxAbsDiff, tinyModel, weightValues } from './tiny';

/** A custom layer (learned per-channel scale), registered like lib/models' layers, to check the round trip. */
class ChannelScale extends tf.layers.Layer {
  static className = 'GrasplabTestChannelScale';
  private scale!: tf.LayerVariable;
  constructor(readonly cfg: { init?: number; name?: string } = {}) {
    super(cfg);
  }
  build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = inputShape as tf.Shape;
    this.scale = this.addWeight('scale', [s[s.length - 1]!], 'float32', tf.initializers.constant({ value: this.cfg.init ?? 1.5 }));
    this.built = true;
  }
  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.mul(Array.isArray(inputs) ? inputs[0] : inputs, this.scale.read()));
  }
  getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), init: this.cfg.init ?? 1.5 };
  }
}
tf.serialization.registerClass(ChannelScale);

let tmp: string;
before(async () => {
  await selectBackend({ quiet: true });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-ckpt-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function customModel(): tf.LayersModel {
  const base = tinyModel({ bn: true, prefix: 'ck', seed: 11 });
  const out = new ChannelScale({ name: 'ck_scale', init: 0.7 }).apply(base.outputs[0]) as tf.SymbolicTensor;
  return tf.model({ inputs: base.inputs, outputs: out, name: 'ck_custom' });
}

test('saveModel → loadModel gives identical outputs, custom layer and BN statistics included', async () => {
  const model = customModel();
  const opt = tf.train.adam(1e-2);
  const rng = new Rng(1);
  for (let i = 0; i < 3; i++) {
    const b = fakeBatch(rng);
    await trainStep(model, opt, b);
    tf.dispose([b.x, b.y]);
  }
  const dir = path.join(tmp, 'roundtrip');
  await saveModel(model, dir, { note: 'hello' });
  assert.ok(fs.existsSync(path.join(dir, 'model.json')) && fs.existsSync(path.join(dir, 'weights.bin')));
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  assert.equal(json.weightsManifest[0].paths[0], 'weights.bin');
  assert.deepEqual(readModelMetadata(dir), { note: 'hello' });

  const loaded = await loadModel(dir);
  assert.ok(loaded.layers.some((l) => l instanceof ChannelScale));
  const x = fakeBatch(new Rng(5), 3).x;
  const a = (model.predict(x) as tf.Tensor).dataSync();
  const b = (loaded.predict(x) as tf.Tensor).dataSync();
  assert.equal(maxAbsDiff(a, b), 0);
  weightValues(loaded).forEach((w, i) => assert.equal(maxAbsDiff(w, weightValues(model)[i]), 0));

  // loadWeightsInto: same values into a freshly built model of the same architecture
  const fresh = customModel();
  assert.ok(maxAbsDiff((fresh.predict(x) as tf.Tensor).dataSync(), a) > 0);
  loadWeightsInto(fresh, dir);
  assert.equal(maxAbsDiff((fresh.predict(x) as tf.Tensor).dataSync(), a), 0);
  assert.throws(() => loadWeightsInto(tinyModel({ prefix: 'other' }), dir), ConfigError);
  opt.dispose();
});

test('broken checkpoint files give DataFormatError naming the file', async () => {
  const dir = path.join(tmp, 'broken');
  await saveModel(tinyModel({ prefix: 'br' }), dir);
  fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.alloc(12));
  await assert.rejects(loadModel(dir), (e: Error) => e instanceof DataFormatError && e.message.includes('weights.bin') && /bytes/.test(e.message));
  fs.writeFileSync(path.join(dir, 'model.json'), '{not json');
  await assert.rejects(loadModel(dir), (e: Error) => e instanceof DataFormatError && e.message.includes('model.json'));
  await assert.rejects(loadModel(path.join(tmp, 'absent')), (e: Error) => e instanceof DataFormatError && /cannot read/.test(e.message));
});

test('Adam state round-trips: save after 2 steps, restore into a fresh optimiser, step 3 matches', async () => {
  const batches = [0, 1, 2].map((i) => fakeBatch(new Rng(20 + i)));
  // uninterrupted
  const m1 = tinyModel({ bn: true, prefix: 'opt1', seed: 3 });
  const o1 = tf.train.adam(1e-2);
  for (const b of batches) await trainStep(m1, o1, b);
  // interrupted after 2 steps: save model + optimiser, restore into new objects, run step 3
  const m2 = tinyModel({ bn: true, prefix: 'opt2', seed: 3 });
  const o2 = tf.train.adam(1e-2);
  for (const b of batches.slice(0, 2)) await trainStep(m2, o2, b);
  const dir = path.join(tmp, 'opt');
  const n0 = tf.memory().numTensors;
  await saveModel(m2, dir);
  await saveOptimizer(o2, dir);
  assert.equal(tf.memory().numTensors, n0, 'saving leaks tensors');
  const m3 = tinyModel({ bn: true, prefix: 'opt3', seed: 99 });
  loadWeightsInto(m3, dir);
  const o3 = tf.train.adam(1e-2);
  await loadOptimizerState(o3, dir, m3.trainableWeights.length);
  assert.equal(o3.iterations, 2);
  await trainStep(m3, o3, batches[2]);
  weightValues(m3).forEach((w, i) => assert.ok(maxAbsDiff(w, weightValues(m1)[i]) < 1e-6, `weight ${i}`));
  // a fresh optimiser without the state would diverge from the uninterrupted run
  const m4 = tinyModel({ bn: true, prefix: 'opt4', seed: 99 });
  loadWeightsInto(m4, dir);
  await trainStep(m4, tf.train.adam(1e-2), batches[2]);
  assert.ok(weightValues(m4).some((w, i) => maxAbsDiff(w, weightValues(m1)[i]) > 1e-4));
  await assert.rejects(loadOptimizerState(tf.train.sgd(0.1), dir), ConfigError);
  await assert.rejects(loadOptimizerState(tf.train.adam(0.1), dir, 5), ConfigError);
  tf.dispose(batches.flatMap((b) => [b.x, b.y]));
});

test('replaceDir swaps a folder atomically and leaves no temp folders', async () => {
  const dir = path.join(tmp, 'swap');
  await replaceDir(dir, async (t) => {
    fs.mkdirSync(t);
    fs.writeFileSync(path.join(t, 'a'), '1');
  });
  await replaceDir(dir, async (t) => {
    fs.mkdirSync(t);
    fs.writeFileSync(path.join(t, 'a'), '2');
  });
  assert.equal(fs.readFileSync(path.join(dir, 'a'), 'utf8'), '2');
  await assert.rejects(
    replaceDir(dir, async (t) => {
      fs.mkdirSync(t);
      throw new Error('killed while writing');
    }),
  );
  assert.equal(fs.readFileSync(path.join(dir, 'a'), 'utf8'), '2');
  assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.startsWith('swap')), ['swap']);
});
