import * as tf from '@tensorflow/tfjs';
import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { selectBackend } from '../../lib/backend/setup';
import { currentDataset } from '../../lib/config/paths';
import { GraspDataset, openDataset } from '../../lib/data/dataset';
import { BatchLoader, batchTensors, RawSampleCache } from '../../lib/data/loader';
import { splitEntries } from '../../lib/data/split';
import { writeSyntheticDataset } from '../../lib/data/synthetic';
import { drawTargets } from '../../lib/data/targets';
import { ConfigError } from '../../lib/errors';
import { sharedPath, skipUnlessShared } from '../helpers/shared';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-loader-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
let ds: GraspDataset;
const S = 300;
const augmented = { outputSize: S, rotate: 'quarter', zoom: true } as const;

before(async () => {
  await selectBackend({ quiet: true });
  await writeSyntheticDataset(tmp, { count: 6, seed: 1 });
  // the notebooks' way in: GRASPLAB_DATASET / GRASPLAB_DATA_DIR
  ds = await openDataset(currentDataset({ GRASPLAB_DATASET: 'synthetic', GRASPLAB_DATA_DIR: tmp }));
});

test('batches are [B,S,S,1] / [B,S,S,4] with values in range, and leak no tensors', async () => {
  const loader = new BatchLoader(ds, ds.entries, { batchSize: 4, preprocess: augmented, seed: 1, shuffle: true });
  const before = tf.memory().numTensors;
  for (let k = 0; k < 3; k++) {
    const { x, y, samples } = await loader.nextBatch();
    assert.deepEqual(x.shape, [4, S, S, 1]);
    assert.deepEqual(y.shape, [4, S, S, 4]);
    assert.equal(samples.length, 4);
    const xs = await x.data();
    assert.ok(xs.every((v) => v >= -1 && v <= 1 && Number.isFinite(v)));
    const ys = await y.data();
    let positives = 0;
    for (let i = 0; i < ys.length; i += 4) {
      assert.ok(ys[i] === 0 || ys[i] === 1);
      assert.ok(Math.abs(ys[i + 1]) <= 1 && Math.abs(ys[i + 2]) <= 1);
      assert.ok(ys[i + 3] >= 0 && ys[i + 3] <= 1);
      // outside the rectangles ggcnn's angle map is 0: cos 2θ = 1, sin 2θ = 0, width 0
      if (ys[i] === 0) assert.ok(ys[i + 1] === 1 && ys[i + 2] === 0 && ys[i + 3] === 0);
      else positives++;
    }
    assert.ok(positives > 0);
    tf.dispose([x, y]);
    assert.equal(tf.memory().numTensors, before, 'no tensors left behind after disposing x, y');
  }
  assert.equal(loader.epoch, 2); // 12 samples drawn from 6 entries: wrapped twice
});

test('y holds drawTargets of the samples in MAP_CHANNELS order', async () => {
  const loader = new BatchLoader(ds, ds.entries, { batchSize: 2, preprocess: { outputSize: 64, rotate: 'none', zoom: false }, seed: 1, shuffle: false });
  const { x, y, samples } = await loader.nextBatch();
  const ys = await y.data();
  const m = drawTargets(samples[1].grasps, 64);
  const base = 64 * 64 * 4;
  for (let i = 0; i < 64 * 64; i += 7) {
    assert.equal(ys[base + 4 * i], m.pos.data[i]);
    assert.equal(ys[base + 4 * i + 1], m.cos.data[i]);
    assert.equal(ys[base + 4 * i + 2], m.sin.data[i]);
    assert.equal(ys[base + 4 * i + 3], m.width.data[i]);
  }
  assert.deepEqual(Array.from((await x.data()).slice(64 * 64, 64 * 64 + 10)), Array.from(samples[1].depth.data.slice(0, 10)));
  tf.dispose([x, y]);
});

test('seeded: same seed → same batches; each pass is a new permutation; samples() is repeatable', async () => {
  const mk = (seed: number) => new BatchLoader(ds, ds.entries, { batchSize: 3, preprocess: augmented, seed, shuffle: true, cacheBytes: 0 });
  const a = mk(7);
  const b = mk(7);
  const ids: string[] = [];
  for (let k = 0; k < 4; k++) {
    const ba = await a.nextBatch();
    const bb = await b.nextBatch();
    assert.deepEqual(ba.samples.map((s) => s.id), bb.samples.map((s) => s.id));
    assert.deepEqual(ba.samples[0].grasps, bb.samples[0].grasps);
    ids.push(...ba.samples.map((s) => s.id));
    tf.dispose([ba.x, ba.y, bb.x, bb.y]);
  }
  // every pass of 6 visits every entry once
  assert.deepEqual(ids.slice(0, 6).sort(), ds.entries.map((e) => e.id).sort());
  assert.deepEqual(ids.slice(6, 12).sort(), ds.entries.map((e) => e.id).sort());
  const c = await mk(8).nextBatch();
  const first = await mk(7).nextBatch();
  assert.notDeepEqual(c.samples.map((s) => s.grasps), first.samples.map((s) => s.grasps));
  tf.dispose([c.x, c.y, first.x, first.y]);

  const val = new BatchLoader(ds, ds.entries.slice(0, 3), { batchSize: 8, preprocess: { outputSize: S, rotate: 'none', zoom: false }, seed: 1, shuffle: false });
  const s1 = await val.samples();
  const s2 = await val.samples(2);
  assert.deepEqual(s1.map((s) => s.id), ds.entries.slice(0, 3).map((e) => e.id));
  assert.deepEqual(s2, s1.slice(0, 2));
});

test('the raw-sample cache respects its byte budget', async () => {
  const perSample = 480 * 640 * 4;
  const loader = new BatchLoader(ds, ds.entries, { batchSize: 6, preprocess: augmented, seed: 1, shuffle: false, cacheBytes: 2.5 * perSample });
  const b = await loader.nextBatch();
  tf.dispose([b.x, b.y]);
  assert.ok(loader.cachedBytes > 0 && loader.cachedBytes <= 2.5 * perSample, `${loader.cachedBytes} bytes`);
});

test('loaders sharing a cache decode each file once, and give the batches an unshared loader gives', async () => {
  let loads = 0;
  const counting: GraspDataset = { ...ds, load: (e) => { loads++; return ds.load(e); } };
  const cache = new RawSampleCache(64 * 2 ** 20);
  const batchOf = async (loader: BatchLoader) => {
    const b = await loader.nextBatch();
    const v = [b.x.dataSync().slice(), b.y.dataSync().slice()];
    tf.dispose([b.x, b.y]);
    return v;
  };
  const opts = (seed: number) => ({ batchSize: 6, preprocess: augmented, seed, shuffle: true });
  const first = await batchOf(new BatchLoader(counting, ds.entries, { ...opts(1), cache }));
  assert.equal(loads, 6);
  const second = await batchOf(new BatchLoader(counting, ds.entries, { ...opts(2), cache }));
  assert.equal(loads, 6, 'the second loader found every sample in the shared cache');
  assert.ok(cache.bytes > 0);
  const unshared = await batchOf(new BatchLoader(ds, ds.entries, { ...opts(2), cacheBytes: 0 }));
  assert.deepEqual(second, unshared);
  assert.notDeepEqual(first[0], second[0]);
});

test('bad loader options and samples throw ConfigError', () => {
  assert.throws(() => new BatchLoader(ds, [], { batchSize: 2, preprocess: augmented, seed: 1, shuffle: true }), ConfigError);
  assert.throws(() => new BatchLoader(ds, ds.entries, { batchSize: 0, preprocess: augmented, seed: 1, shuffle: true }), /batchSize/);
  const wrong = { id: 'w', depth: { height: 10, width: 10, data: new Float32Array(100) }, grasps: [] };
  assert.throws(() => batchTensors([wrong], 300), /w is 10x10, expected 300x300/);
});

test('image- and object-wise splits feed loaders', async () => {
  const { train, val } = splitEntries(ds.entries, { mode: 'object', trainFraction: 0.5, seed: 1 });
  assert.ok(train.length > 0 && val.length > 0);
  const loader = new BatchLoader(ds, val, { batchSize: 2, preprocess: augmented, seed: 1, shuffle: true });
  const b = await loader.nextBatch();
  assert.ok(b.samples.every((s) => val.some((e) => e.id === s.id)));
  tf.dispose([b.x, b.y]);
});

test('Jacquard batches use the whole image resized to S×S', { skip: skipUnlessShared('realdata', 'jacquard') }, async () => {
  const jq = await openDataset({ kind: 'jacquard', dir: sharedPath('realdata', 'jacquard')! });
  const loader = new BatchLoader(jq, jq.entries.slice(0, 2), { batchSize: 2, preprocess: { outputSize: S, rotate: 'none', zoom: false }, seed: 1, shuffle: false });
  assert.equal(loader.preprocessOptions.crop, 'whole');
  const raw = await jq.load(jq.entries[0]);
  const { x, y, samples } = await loader.nextBatch();
  assert.deepEqual(x.shape, [2, S, S, 1]);
  // rectangles as ggcnn holds them: scaled by S/1024 (no pixel-centre offset), then truncated to integers
  const p = raw.grasps[0][0];
  const q = samples[0].grasps[0][0];
  assert.deepEqual(q, [Math.trunc(p[0] * (S / 1024)), Math.trunc(p[1] * (S / 1024))]);
  assert.deepEqual(samples[0].crop, { top: 0, left: 0, height: 1024, width: 1024, scale: S / 1024, rotation: 0, zoom: 1 });
  tf.dispose([x, y]);
});
