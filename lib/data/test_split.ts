import * as fs from 'fs';
import * as path from 'path';
import { ConfigError } from '../errors';
import { encodeRgbPng } from './png';
import { formatCornellRects, generateScene, SYNTHETIC_DEFAULT_SEED, SYNTHETIC_VERSION, type SyntheticScene } from './synthetic';
import { encodeFloat32Tiff } from './tiff';

/**
 * The held-out synthetic `test` split: a fixed sequence of scenes from the same generator as the training set, with
 * generator seeds that training never uses, scored once per finished run (its best-validation checkpoint) and never
 * used to train or to choose a checkpoint.
 *
 * Test scene k is scene 0 of a one-scene set with generator seed `SYNTHETIC_TEST_SEED_BASE + k` (seeds 1,000,000 …
 * 1,000,999; training and validation use seed 2018). Each test scene therefore has its own objects and pose, so the
 * test images are independent draws, which the per-image bootstrap and McNemar's test assume (the training set's
 * folders re-pose a few objects across up to 100 scenes). Profiles score a prefix of it (`Profile.testImages`).
 *
 * Stored in Cornell's on-disk format beside the training set, in `<training dir>-test/tNN/pcdKKKK*` (ids `tNN/pcdKKKK`,
 * NN = floor(k / 100)), with a manifest; a smaller split is extended, never regenerated.
 */
export const SYNTHETIC_TEST_SEED_BASE = 1_000_000;
/** The fixed split's length: profiles use a prefix of it. */
export const SYNTHETIC_TEST_SCENES = 1000;
const TEST_MANIFEST = 'manifest.json';
const TEST_GENERATOR = 'grasplab-synthetic-test';

export interface SyntheticTestManifest {
  generator: typeof TEST_GENERATOR;
  /** the training generator's version: a new generator makes a new test split */
  version: number;
  seedBase: number;
  count: number;
  created: string;
}

/** Where the test split of the synthetic set in `trainDir` lives. */
export function syntheticTestDir(trainDir: string): string {
  return path.resolve(trainDir) + '-test';
}

/** The generator seeds of the first `count` test scenes (disjoint from the training set's seed). */
export function syntheticTestSeeds(count: number): number[] {
  checkCount(count);
  return Array.from({ length: count }, (_, k) => SYNTHETIC_TEST_SEED_BASE + k);
}

/** Folder, Cornell image number and id of test scene k. */
export function testSceneName(k: number): { folder: string; number: number; id: string } {
  const folder = `t${String(Math.floor(k / 100)).padStart(2, '0')}`;
  return { folder, number: k, id: `${folder}/pcd${String(k).padStart(4, '0')}` };
}

/** Test scene k (deterministic). */
export function generateTestScene(k: number): SyntheticScene {
  checkCount(k + 1);
  return generateScene(SYNTHETIC_TEST_SEED_BASE + k, 0, 1);
}

function checkCount(count: number): void {
  if (!(Number.isInteger(count) && count >= 1 && count <= SYNTHETIC_TEST_SCENES)) {
    throw new ConfigError(`the synthetic test split has ${SYNTHETIC_TEST_SCENES} scenes; asked for ${count}`);
  }
}

export function readTestManifest(dir: string): SyntheticTestManifest | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, TEST_MANIFEST), 'utf8')) as SyntheticTestManifest;
    return m.generator === TEST_GENERATOR ? m : undefined;
  } catch {
    return undefined;
  }
}

function current(m: SyntheticTestManifest | undefined): m is SyntheticTestManifest {
  return !!m && m.version === SYNTHETIC_VERSION && m.seedBase === SYNTHETIC_TEST_SEED_BASE;
}

function sceneBase(dir: string, k: number): string {
  const { folder } = testSceneName(k);
  return path.join(dir, folder, `pcd${String(k).padStart(4, '0')}`);
}

/** True when `dir` holds at least the first `count` test scenes of the current generator. */
export function isCompleteTestSplit(dir: string, count: number): boolean {
  const m = readTestManifest(dir);
  if (!current(m) || m.count < count) return false;
  for (let k = 0; k < count; k++) {
    const base = sceneBase(dir, k);
    if (!fs.existsSync(`${base}d.tiff`) || !fs.existsSync(`${base}cpos.txt`)) return false;
  }
  return true;
}

/**
 * Makes sure `dir` holds the first `count` test scenes: scenes already there (same generator version) are kept and
 * the split is extended; a split of another generator version is replaced. The manifest is written last.
 */
export async function ensureSyntheticTestSplit(dir: string, count: number, opts: { onProgress?: (done: number, total: number) => void } = {}): Promise<void> {
  checkCount(count);
  if (isCompleteTestSplit(dir, count)) return;
  const m = readTestManifest(dir);
  let from = 0;
  if (current(m)) from = Math.min(m.count, count);
  else if (fs.existsSync(dir)) removeTestFiles(dir);
  fs.mkdirSync(dir, { recursive: true });
  fs.rmSync(path.join(dir, TEST_MANIFEST), { force: true });
  for (let k = from; k < count; k++) {
    const scene = generateTestScene(k);
    const base = sceneBase(dir, k);
    fs.mkdirSync(path.dirname(base), { recursive: true });
    await Promise.all([
      fs.promises.writeFile(`${base}d.tiff`, encodeFloat32Tiff(scene.depth)),
      fs.promises.writeFile(`${base}cpos.txt`, formatCornellRects(scene.grasps)),
      fs.promises.writeFile(`${base}cneg.txt`, formatCornellRects(scene.negatives)),
      fs.promises.writeFile(`${base}r.png`, encodeRgbPng(scene.rgb)),
    ]);
    opts.onProgress?.(k + 1 - from, count - from);
  }
  const manifest: SyntheticTestManifest = {
    generator: TEST_GENERATOR,
    version: SYNTHETIC_VERSION,
    seedBase: SYNTHETIC_TEST_SEED_BASE,
    count: Math.max(count, current(m) ? m.count : 0),
    created: new Date().toISOString(),
  };
  fs.writeFileSync(path.join(dir, TEST_MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
}

const TEST_FILE = /^pcd\d{4}(d\.tiff|cpos\.txt|cneg\.txt|r\.png)$/;

/** Deletes a test split's own files (and folders left empty); leaves anything else alone. */
function removeTestFiles(dir: string): void {
  fs.rmSync(path.join(dir, TEST_MANIFEST), { force: true });
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!d.isDirectory() || !/^t\d{2}$/.test(d.name)) continue;
    const folder = path.join(dir, d.name);
    for (const f of fs.readdirSync(folder)) if (TEST_FILE.test(f)) fs.unlinkSync(path.join(folder, f));
    if (fs.readdirSync(folder).length === 0) fs.rmdirSync(folder);
  }
}

/** A short description of the split for run records and model cards. */
export function testSplitFingerprint(count: number): Record<string, unknown> {
  return { split: 'synthetic-test', generatorVersion: SYNTHETIC_VERSION, seedBase: SYNTHETIC_TEST_SEED_BASE, images: count, trainSeed: SYNTHETIC_DEFAULT_SEED };
}
