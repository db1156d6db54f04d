import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openDataset } from '../../lib/data/dataset';
import { Rng } from '../../lib/data/random';
import { generateScene, SYNTHETIC_DEFAULT_SEED } from '../../lib/data/synthetic';
import {
  ensureSyntheticTestSplit,
  generateTestScene,
  isCompleteTestSplit,
  readTestManifest,
  syntheticTestDir,
  syntheticTestSeeds,
  SYNTHETIC_TEST_SCENES,
} from '../../lib/data/test_split';
import { ConfigError } from '../../lib/errors';

test('test scenes use generator seeds whose random streams the training set never uses', () => {
  const testSeeds = syntheticTestSeeds(SYNTHETIC_TEST_SCENES);
  assert.ok(!testSeeds.includes(SYNTHETIC_DEFAULT_SEED));
  // every stream a scene draws from: the scene's own fork and its folder's prototype fork (synthetic.ts)
  const train = new Set<number>();
  const root = new Rng(SYNTHETIC_DEFAULT_SEED);
  for (let i = 0; i < 9900; i++) train.add(root.fork(i).seed);
  for (let f = 1; f <= 99; f++) train.add(root.fork(1_000_000 + f).seed);
  for (const s of testSeeds) {
    const r = new Rng(s);
    assert.ok(!train.has(r.fork(0).seed) && !train.has(r.fork(1_000_001).seed), `test seed ${s} shares a stream with the training set`);
  }
});

test('a test scene is deterministic and is not a training scene', () => {
  const a = generateTestScene(3);
  const b = generateTestScene(3);
  assert.deepEqual(a.depth.data, b.depth.data);
  assert.notDeepEqual(a.depth.data, generateTestScene(4).depth.data);
  assert.notDeepEqual(a.depth.data, generateScene(SYNTHETIC_DEFAULT_SEED, 3, 400).depth.data);
  assert.ok(a.grasps.length > 0);
  assert.throws(() => generateTestScene(SYNTHETIC_TEST_SCENES), ConfigError);
});

test('the split is written beside the training set, extended without rewriting, and read by the Cornell loader in order', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-testsplit-'));
  try {
    const dir = syntheticTestDir(path.join(tmp, 'synthetic'));
    assert.equal(dir, path.join(tmp, 'synthetic-test'));
    await ensureSyntheticTestSplit(dir, 2);
    assert.ok(isCompleteTestSplit(dir, 2));
    assert.ok(!isCompleteTestSplit(dir, 3));
    const first = path.join(dir, 't00', 'pcd0000d.tiff');
    const before = fs.statSync(first).mtimeMs;
    await ensureSyntheticTestSplit(dir, 3);
    assert.equal(fs.statSync(first).mtimeMs, before, 'scene 0 kept when the split grows');
    assert.equal(readTestManifest(dir)!.count, 3);
    await ensureSyntheticTestSplit(dir, 2);
    assert.equal(readTestManifest(dir)!.count, 3, 'asking for a prefix keeps the longer split');
    const ds = await openDataset({ kind: 'synthetic', dir });
    assert.deepEqual(ds.entries.map((e) => e.id), ['t00/pcd0000', 't00/pcd0001', 't00/pcd0002']);
    const raw = await ds.load(ds.entries[1]);
    assert.deepEqual(raw.depth.data, generateTestScene(1).depth.data);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
