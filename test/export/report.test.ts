import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../lib/backend/setup';
import { PROJECT_ROOT } from '../../lib/config/paths';
import type { DatasetEntry, GraspDataset } from '../../lib/data/dataset';
import { readDepthTiff } from '../../lib/data/tiff';
import { evaluateModel } from '../../lib/eval/metric';
import {
  availableBackends,
  chooseDeployment,
  compareExports,
  depthFileFor,
  exportSummary,
  grasplabLayerClasses,
  measureExportLatency,
  projectPath,
  withBackend,
} from '../../lib/export/report';
import { buildWebDemo } from '../../lib/export/web_demo';
import { exportModel, readModelJson } from '../../lib/export/save';
import { buildModel } from '../../lib/models/registry';
import type { GraspRectPoints, RawSample, Sample } from '../../lib/types';

const S = 16;

before(async () => {
  await selectBackend({ quiet: true });
});

/** A seeded fully-convolutional map model `[B,16,16,1] → [B,16,16,4]` (sigmoid quality so peaks exist). */
function tinyMapModel(seed: number): tf.LayersModel {
  const input = tf.input({ shape: [S, S, 1] });
  const h = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(input) as tf.SymbolicTensor;
  const out = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }), biasInitializer: tf.initializers.constant({ value: 0.3 }) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

function samples(n: number): Sample[] {
  const rect: GraspRectPoints = [[6, 4], [6, 12], [10, 12], [10, 4]];
  return Array.from({ length: n }, (_, k) => ({
    id: `s${k}`,
    depth: { height: S, width: S, data: Float32Array.from({ length: S * S }, (_, i) => Math.sin(i * 0.37 + k) * 0.5) },
    grasps: [rect],
  }));
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-report-'));
}

test('compareExports: every model in every format, reloaded; float32 is exact, weights shrink 2× and 4×, nothing leaks', async () => {
  const a = tinyMapModel(1);
  const b = tinyMapModel(5);
  const root = tmpDir();
  const val = samples(5);
  const before = tf.memory().numTensors;
  const rows = await compareExports(
    [
      { key: 'a', label: 'model A', model: a, source: { run: 'test-a' } },
      { key: 'b', label: 'model B', model: b },
    ],
    val,
    root,
    { diffImages: 3, batchSize: 2 },
  );
  assert.equal(tf.memory().numTensors, before, 'no tensor leaked');
  assert.equal(rows.length, 8);
  assert.deepEqual(rows.map((r) => `${r.key}/${r.format}`), ['a/float32', 'a/float16', 'a/uint16', 'a/uint8', 'b/float32', 'b/float16', 'b/uint16', 'b/uint8']);
  for (const key of ['a', 'b']) {
    const mine = rows.filter((r) => r.key === key);
    const f32 = mine.find((r) => r.format === 'float32')!;
    assert.equal(f32.maxAbsDiff, 0, 'the float32 export reproduces the model exactly');
    assert.equal(f32.accuracyDelta, 0);
    assert.equal(f32.sizeRatio, 1);
    for (const r of mine) {
      assert.equal(r.dir, path.join(root, key, r.format));
      assert.ok(fs.existsSync(path.join(r.dir, 'model.json')));
      assert.equal(r.total, val.length);
      assert.equal(r.diffImages, 3);
      assert.equal(r.params, (key === 'a' ? a : b).countParams());
      assert.ok(Math.abs(r.accuracyDelta - (r.accuracy - f32.accuracy)) < 1e-12);
      assert.ok(r.maxAbsDiff >= r.meanAbsDiff && r.maxAbsDiff >= 0);
      assert.equal(r.maxAbsDiff, Math.max(...Object.values(r.perChannel)));
    }
    const ratio = (fmt: string) => mine.find((r) => r.format === fmt)!.weightBytes / f32.weightBytes;
    assert.equal(ratio('float16'), 0.5);
    assert.equal(ratio('uint16'), 0.5);
    assert.equal(ratio('uint8'), 0.25);
    assert.ok(mine.find((r) => r.format === 'uint8')!.maxAbsDiff > 0, 'uint8 changes the maps');
  }
  // the float32 export scores exactly like the in-memory model
  const direct = await evaluateModel(a, val);
  assert.equal(rows[0].accuracy, direct.accuracy);
  const meta = JSON.parse(fs.readFileSync(path.join(root, 'a', 'uint8', 'model.json'), 'utf8'));
  assert.deepEqual(meta.userDefinedMetadata.grasplab.source, { run: 'test-a' });
  a.dispose();
  b.dispose();
  await assert.rejects(() => compareExports([], [], root), /no validation samples/);
});

test('chooseDeployment: the smallest export within the accuracy tolerance of the best', () => {
  const rows = [
    { name: 'big', accuracy: 0.8, totalBytes: 4000 },
    { name: 'big-u8', accuracy: 0.78, totalBytes: 1000 },
    { name: 'small', accuracy: 0.7, totalBytes: 300 },
    { name: 'small-u8', accuracy: 0.7, totalBytes: 100 },
  ];
  assert.equal(chooseDeployment(rows).name, 'big-u8');
  assert.equal(chooseDeployment(rows, { maxAccuracyDrop: 0.1 }).name, 'small-u8');
  assert.equal(chooseDeployment(rows, { maxAccuracyDrop: 0 }).name, 'big');
  // equal size: the more accurate wins
  assert.equal(chooseDeployment([{ n: 1, accuracy: 0.5, totalBytes: 10 }, { n: 2, accuracy: 0.52, totalBytes: 10 }]).n, 2);
  assert.throws(() => chooseDeployment([]), /no exports/);
});

test('availableBackends lists the active backend first and leaves it active; withBackend restores it after errors', async () => {
  const active = tf.getBackend();
  const list = await availableBackends();
  assert.equal(list[0], active);
  assert.ok(list.includes('cpu'), `cpu is always available, got ${list}`);
  assert.equal(new Set(list).size, list.length);
  assert.ok(!list.includes('webgl'));
  assert.equal(tf.getBackend(), active);
  await assert.rejects(
    () =>
      withBackend('cpu', async () => {
        assert.equal(tf.getBackend(), 'cpu');
        throw new Error('boom');
      }),
    /boom/,
  );
  assert.equal(tf.getBackend(), active);
  assert.equal(await withBackend('cpu', async () => tf.getBackend()), 'cpu');
  assert.equal(tf.getBackend(), active);
});

test('measureExportLatency times exports on a backend, and skips those over the time budget', async () => {
  const model = tinyMapModel(3);
  const root = tmpDir();
  const [f32, u8] = (await compareExports([{ key: 'm', label: 'M', model }], samples(1), root, { formats: ['float32', 'uint8'] })).map((r) => ({ ...r }));
  model.dispose();
  const active = tf.getBackend();
  const before = tf.memory().numTensors;
  const timed = await measureExportLatency([f32, u8], 'cpu', { warmup: 1, runs: 2 });
  assert.equal(tf.getBackend(), active);
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(timed.map((t) => [t.backend, t.format, t.runs, t.skipped]), [['cpu', 'float32', 2, undefined], ['cpu', 'uint8', 2, undefined]]);
  for (const t of timed) {
    assert.ok(t.forwardMs > 0 && t.predictMs > 0);
    assert.ok(t.forwardP10 <= t.forwardMs && t.forwardMs <= t.forwardP90);
  }
  const skipped = await measureExportLatency([f32, u8], active, { budgetSeconds: 0 });
  assert.match(skipped[0].skipped ?? '', /0 s budget/);
  assert.match(skipped[1].skipped ?? '', /not timed/);
  assert.ok(Number.isNaN(skipped[0].forwardMs));
  assert.equal(skipped[1].runs, 0);
});

test('depthFileFor returns the dataset depth file, or writes the loaded depth as a TIFF', async () => {
  const dir = tmpDir();
  const own = path.join(dir, 'pcd0100d.tiff');
  fs.writeFileSync(own, 'not read');
  const raw: RawSample = { id: '01/pcd0101', objectId: '01', depth: { height: 2, width: 3, data: Float32Array.of(0.7, 0.71, 0, 0.69, 0.7, 0.72) }, grasps: [] };
  const fake = (files: Record<string, string>): GraspDataset =>
    ({ kind: 'synthetic', dir, entries: [], files: () => files, load: async () => raw }) as unknown as GraspDataset;
  const entry: DatasetEntry = { id: raw.id, objectId: '01' };
  assert.equal(await depthFileFor(fake({ depthTiff: own }), entry, dir), own);
  const written = await depthFileFor(fake({ depthTiff: path.join(dir, 'missing.tiff') }), entry, path.join(dir, 'out'));
  assert.equal(written, path.join(dir, 'out', '01_pcd0101_depth.tiff'));
  const back = await readDepthTiff(written);
  assert.deepEqual([back.height, back.width], [2, 3]);
  assert.deepEqual(Array.from(back.data), Array.from(raw.depth.data));
});

test('projectPath is relative inside the project and absolute outside', () => {
  assert.equal(projectPath(path.join(PROJECT_ROOT, 'results', 'export', 'ggcnn')), path.join('results', 'export', 'ggcnn'));
  assert.equal(projectPath('/tmp/x'), '/tmp/x');
  assert.equal(projectPath(PROJECT_ROOT), PROJECT_ROOT);
});

test('buildWebDemo refuses a folder without model.json', () => {
  assert.throws(() => buildWebDemo(tmpDir(), tmpDir()), /no model.json/);
});

test('exportSummary joins each export with its latency on one backend', () => {
  const row = (format: 'float32' | 'uint8', accuracy: number) => ({
    key: 'm', model: 'M', format, dir: `/x/${format}`, params: 10, totalBytes: format === 'uint8' ? 512 : 2048, weightBytes: 0, sizeRatio: format === 'uint8' ? 0.25 : 1,
    accuracy, correct: 0, total: 4, accuracyDelta: accuracy - 0.5, maxAbsDiff: format === 'uint8' ? 1e-3 : 0, meanAbsDiff: 0,
    perChannel: { pos: 0, cos: 0, sin: 0, width: 0 }, diffImages: 1, maxWeightError: 0,
  });
  const lat = (format: 'float32' | 'uint8', backend: string, ms: number) => ({
    key: 'm', model: 'M', format, backend, forwardMs: ms, forwardP10: ms, forwardP90: ms, predictMs: 2 * ms, predictP10: 0, predictP90: 0, runs: 1,
  });
  const out = exportSummary([row('float32', 0.5), row('uint8', 0.25)], [lat('float32', 'cpu', 900), lat('float32', 'wasm', 10), lat('uint8', 'wasm', 11)], 'wasm');
  assert.equal(out.length, 2);
  assert.deepEqual([out[0]['size KB'], out[0]['forward ms'], out[0]['predict ms'], out[0].backend], [2, 10, 20, 'wasm']);
  assert.deepEqual([out[1]['size KB'], out[1]['accuracy %'], out[1]['Δ accuracy (pts)'], out[1]['forward ms']], [0.5, 25, -25, 11]);
  assert.ok(Number.isNaN(exportSummary([row('uint8', 0.25)], [], 'wasm')[0]['forward ms']));
});

test('grasplabLayerClasses names the custom layers an app must register', async () => {
  const dir = tmpDir();
  const ggcnn = buildModel({ name: 'ggcnn' });
  await exportModel(ggcnn, dir, { format: 'uint8' });
  ggcnn.dispose();
  assert.deepEqual(grasplabLayerClasses(readModelJson(dir)), ['GrasplabInputSizeCheck']);
  const plain = tinyMapModel(2);
  await exportModel(plain, path.join(dir, 'plain'));
  plain.dispose();
  assert.deepEqual(grasplabLayerClasses(readModelJson(path.join(dir, 'plain'))), []);
});
