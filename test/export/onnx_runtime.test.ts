import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../lib/backend/setup';
import { openDataset } from '../../lib/data/dataset';
import { BatchLoader } from '../../lib/data/loader';
import { ConfigError, DataFormatError, ShapeError } from '../../lib/errors';
import { evaluateModel } from '../../lib/eval/metric';
import { onnxRuntimeEngine, selectForwardEngine } from '../../lib/export/forward_engine';
import { exportOnnx } from '../../lib/export/onnx';
import { OrtPredictor } from '../../lib/export/onnx_runtime';
import { loadTorchWeightsFile } from '../../lib/models/import_torch';
import { tfjsPredictor } from '../../lib/models/predictor';
import { buildModel } from '../../lib/models/registry';
import { trainStep } from '../../lib/train/step';
import { fit } from '../../lib/train/loop';
import { writeSyntheticDataset } from '../../lib/data/synthetic';
import { splitEntries } from '../../lib/data/split';
import { useTempResultsDir } from '../helpers/results_dir';
import { S as TINY_S, tinyModel } from '../train/tiny';
import type { Sample } from '../../lib/types';
import { sharedPath, skipUnlessShared } from '../helpers/shared';
import { diffStats, randomDepth, skipUnlessOrt } from './onnx_helpers';

/** ONNX Runtime as grasplab's forward engine: predictors, the engine's cache, scoring and the KD teacher. */

const SKIP_ORT = skipUnlessOrt();
const tempDir = useTempResultsDir('grasplab-ort-fit-', 'results');

before(async () => {
  await selectBackend({ quiet: true });
});

test('GRASPLAB_FORWARD chooses the engine; a bad value is a ConfigError', () => {
  assert.equal(selectForwardEngine({ env: { GRASPLAB_FORWARD: 'tfjs' } }).kind, 'tfjs');
  assert.throws(() => selectForwardEngine({ env: { GRASPLAB_FORWARD: 'torch' } }), (e: unknown) => e instanceof ConfigError && /GRASPLAB_FORWARD=torch/.test(e.message));
  assert.throws(() => selectForwardEngine({ env: { GRASPLAB_ORT_THREADS: 'two' }, prefer: 'onnxruntime' }), SKIP_ORT ? ConfigError : /GRASPLAB_ORT_THREADS=two/);
  const auto = selectForwardEngine({ env: {} });
  assert.equal(auto.kind, SKIP_ORT ? 'tfjs' : 'onnxruntime', auto.note);
});

describe('ONNX Runtime engine', { skip: SKIP_ORT }, () => {
  test('predictor: shape errors name the source; a non-grasplab .onnx file is refused', async () => {
    const model = buildModel({ name: 'ggcnn2', inputSize: 48 });
    const p = await OrtPredictor.fromModel(model, { threads: 1 });
    assert.equal(p.inputSize, 48);
    await assert.rejects(p.predict({ data: new Float32Array(2 * 40 * 40), shape: [2, 40, 40, 1] }), (e: unknown) => e instanceof ShapeError && /expected input \[B,48,48,1\]/.test(e.message));
    await p.release();
    await assert.rejects(p.predict({ data: new Float32Array(48 * 48), shape: [1, 48, 48, 1] }), /released/);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-ort-'));
    try {
      const feat = path.join(dir, 'features_only.onnx');
      // a valid ONNX model whose only output is not 'maps'
      const { bytes } = exportOnnx(model, { extraOutputs: ['head_features'] });
      fs.writeFileSync(feat, Buffer.from(bytes).toString('latin1').replace(/maps/g, 'mapz'), 'latin1');
      await assert.rejects(OrtPredictor.fromFile(feat), (e: unknown) => e instanceof DataFormatError && /features_only\.onnx: not a grasplab model/.test(e.message));
      await assert.rejects(OrtPredictor.fromFile(path.join(dir, 'absent.onnx')), (e: unknown) => e instanceof DataFormatError && /absent\.onnx: no such ONNX model file/.test(e.message));
      fs.writeFileSync(path.join(dir, 'junk.onnx'), 'not a model');
      await assert.rejects(OrtPredictor.fromFile(path.join(dir, 'junk.onnx')), (e: unknown) => e instanceof DataFormatError && /junk\.onnx: ONNX Runtime cannot load it/.test(e.message));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      model.dispose();
    }
  });

  test('the engine reuses a session while the weights are unchanged and rebuilds it after a training step', async () => {
    const engine = onnxRuntimeEngine({ threads: 1 });
    const model = buildModel({ name: 'ggcnn2', seed: 2, inputSize: 48 });
    const x = { data: randomDepth(1, 48, 3), shape: [1, 48, 48, 1] as [number, number, number, number] };
    try {
      const p1 = await engine.predictor(model);
      assert.equal(await engine.predictor(model), p1, 'same weights: cached');
      const before = (await p1.predict(x)).maps.data.slice();
      const opt = tf.train.adam(1e-2);
      const batch = { x: tf.tensor4d(randomDepth(2, 48, 4), [2, 48, 48, 1]), y: tf.randomUniform([2, 48, 48, 4], 0, 1, 'float32', 5) as tf.Tensor4D };
      await trainStep(model, opt, batch);
      tf.dispose([batch.x, batch.y]);
      opt.dispose();
      const p2 = await engine.predictor(model);
      assert.notEqual(p2, p1, 'new weights: a new session');
      const after = (await p2.predict(x)).maps;
      const ref = await tfjsPredictor(model).predict(x);
      const moved = diffStats(after.data, before);
      const same = diffStats(after.data, ref.maps.data);
      assert.ok(moved.maxDiff > 1e-3, `the step changed the maps (${moved.maxDiff})`);
      assert.ok(same.maxDiff <= 1e-4, `and ORT follows the new weights: ${same.maxDiff}`);
    } finally {
      await engine.release();
      model.dispose();
    }
  });

  test('KD teacher through ONNX Runtime gives the tfjs teacher\'s loss terms (pixel + pair-wise with features)', async () => {
    const engine = onnxRuntimeEngine({ threads: 1 });
    const teacher = buildModel({ name: 'ggcnn2', seed: 7, inputSize: 48 });
    const studentA = buildModel({ name: 'ggcnn', seed: 8, inputSize: 48 });
    const studentB = buildModel({ name: 'ggcnn', seed: 8, inputSize: 48 });
    const x = tf.tensor4d(randomDepth(2, 48, 9), [2, 48, 48, 1]);
    const y = tf.randomUniform([2, 48, 48, 4], 0, 1, 'float32', 10) as tf.Tensor4D;
    const kd = { pixel: 1, pair: 1 };
    try {
      const viaTfjs = await trainStep(studentA, tf.train.sgd(0), { x, y }, { teacher, kd });
      const forward = await engine.predictor(teacher, { featureLayer: 'head_features' });
      const viaOrt = await trainStep(studentB, tf.train.sgd(0), { x, y }, { teacher, teacherForward: forward, kd });
      assert.ok(viaTfjs.parts.kdPixel! > 0 && viaTfjs.parts.kdPair! > 0);
      for (const k of ['kdPixel', 'kdPair', 'main'] as const) {
        const [a, b] = [viaOrt.parts[k]!, viaTfjs.parts[k]!];
        assert.ok(Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b)), `${k}: ORT ${a} vs tfjs ${b}`);
      }
      const noFeatures = await engine.predictor(teacher);
      await assert.rejects(trainStep(studentB, tf.train.sgd(0), { x, y }, { teacher, teacherForward: noFeatures, kd }), (e: unknown) => e instanceof ConfigError && /'head_features'/.test(e.message));
    } finally {
      tf.dispose([x, y]);
      await engine.release();
      [teacher, studentA, studentB].forEach((m) => m.dispose());
    }
  });
});

describe('scoring through ONNX Runtime gives tfjs\'s verdicts', { skip: SKIP_ORT }, () => {
  let cornell: Promise<Sample[]> | undefined;
  /** the first 12 real Cornell samples through the workbench's validation preprocessing (loaded once) */
  const cornellSamples = () =>
    (cornell ??= openDataset({ kind: 'cornell', dir: sharedPath('realdata', 'cornell')! }, { onWarning: () => {} }).then((ds) =>
      new BatchLoader(ds, ds.entries.slice(0, 12), { batchSize: 1, seed: 1, shuffle: false, preprocess: { outputSize: 300, rotate: 'none', zoom: false } }).samples(),
    ));
  for (const [name, file] of [['ggcnn', 'ggcnn_cornell_epoch23.npz'], ['ggcnn2', 'ggcnn2_cornell_epoch50.npz']] as const) {
    test(`${name}, published weights, 12 real Cornell samples`, { skip: skipUnlessShared('weights', file) || skipUnlessShared('realdata', 'cornell') }, async () => {
      const model = buildModel({ name });
      loadTorchWeightsFile(model, sharedPath('weights', file)!);
      const samples = await cornellSamples();
      const engine = onnxRuntimeEngine();
      try {
        const viaOrt = await evaluateModel(await engine.predictor(model), samples, { batchSize: 4 });
        const viaTfjs = await evaluateModel(model, samples, { batchSize: 4 });
        assert.ok(viaTfjs.correct >= 3 && viaTfjs.correct < viaTfjs.total, `a mix of hits and misses: ${viaTfjs.correct}/${viaTfjs.total}`);
        assert.deepEqual(viaOrt.perImage.map((v) => v.success), viaTfjs.perImage.map((v) => v.success));
        viaOrt.perImage.forEach((v, i) => {
          const w = viaTfjs.perImage[i];
          assert.equal(v.grasps.length, w.grasps.length, v.id);
          v.grasps.forEach((g, k) => {
            assert.deepEqual(g.center, w.grasps[k].center, `${v.id}: grasp centre`);
            assert.ok(Math.abs(g.angle - w.grasps[k].angle) < 1e-4 && Math.abs(g.length - w.grasps[k].length) < 1e-2, `${v.id}: grasp`);
          });
        });
      } finally {
        await engine.release();
        model.dispose();
      }
    });
  }
});

test('fit validated through ONNX Runtime: every epoch the same verdicts as tfjs, after the steps and precise BN moved the weights', { skip: SKIP_ORT }, async () => {
  const dir = path.join(tempDir(), 'synthetic');
  await writeSyntheticDataset(dir, { count: 8, seed: 4 });
  const ds = await openDataset({ kind: 'synthetic', dir });
  const split = splitEntries(ds.entries, { mode: 'image', trainFraction: 0.5, seed: 1 });
  const preprocess = { outputSize: TINY_S, rotate: 'quarter' as const, zoom: true };
  const valSamples = await new BatchLoader(ds, split.val, { batchSize: 1, seed: 1, shuffle: false, preprocess: { ...preprocess, rotate: 'none', zoom: false } }).samples();
  const model = tinyModel({ bn: true, prefix: 'ortfit' });
  const engine = onnxRuntimeEngine({ threads: 1 });
  // every image gets its best peak (no quality threshold; a peak distance that fits the 32×32 crops), so real detections are compared
  const opts = { detect: { thresholdAbs: -Infinity, minDistance: 4 } };
  // what validation sees of each image: its verdict and its detected grasp (centre, angle, quality)
  const seen = (r: { perImage: { success: boolean; grasps: { center: number[]; angle: number; quality?: number }[] }[] }) =>
    r.perImage.map((v) => ({ success: v.success, grasp: v.grasps[0] && { center: v.grasps[0].center, angle: +v.grasps[0].angle.toFixed(4), quality: +(v.grasps[0].quality ?? NaN).toFixed(4) } }));
  const perEpoch: { ort: unknown; tfjs: unknown }[] = [];
  try {
    const r = await fit({
      name: 'ort-validation',
      model,
      data: (epoch) => new BatchLoader(ds, split.train, { batchSize: 2, seed: 20 + epoch, shuffle: true, preprocess }),
      epochs: 3,
      batchesPerEpoch: 2,
      optimizer: { kind: 'adam', lr: 1e-2 },
      preciseBn: { batches: 1 },
      validate: async (m) => {
        const viaOrt = await evaluateModel(await engine.predictor(m), valSamples, opts);
        const viaTfjs = await evaluateModel(m, valSamples, opts);
        perEpoch.push({ ort: seen(viaOrt), tfjs: seen(viaTfjs) });
        return { accuracy: viaOrt.accuracy, tfjsAccuracy: viaTfjs.accuracy };
      },
      onProgress: null,
    });
    assert.equal(r.history.length, 3);
    for (const h of r.history) assert.equal(h.val!.accuracy, h.val!.tfjsAccuracy, `epoch ${h.epoch}`);
    perEpoch.forEach((e, i) => assert.deepEqual(e.ort, e.tfjs, `epoch ${i + 1}: verdicts and detected grasps`));
    const qualities = perEpoch.map((e) => JSON.stringify(e.ort));
    assert.equal(new Set(qualities).size, 3, `the weights (and so the detections) changed from epoch to epoch: ${qualities.join('\n')}`);
  } finally {
    await engine.release();
    model.dispose();
  }
});
