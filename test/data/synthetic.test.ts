import { pyRound } from '../../lib/py_math';
import type { GraspRectPoints } from '../../lib/types';
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { openDataset } from '../../lib/data/dataset';
import {
  generateScene,
  isCompleteSyntheticSet,
  readSyntheticManifest,
  sceneName,
  SYNTHETIC_VERSION,
  syntheticLayout,
  writeSyntheticDataset,
} from '../../lib/data/synthetic';
import { graspFromRect, rectCenter } from '../../lib/data/grasp_rect';
import { imageStats } from '../../lib/data/image';
import { PROJECT_ROOT } from '../../lib/config/paths';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-synth-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

test('layout: about 20 folders of up to 100 scenes, Cornell numbering NN00+k', () => {
  assert.deepEqual(syntheticLayout(400), { scenesPerFolder: 20, folders: 20 });
  assert.deepEqual(syntheticLayout(24), { scenesPerFolder: 2, folders: 12 });
  assert.deepEqual(syntheticLayout(2000), { scenesPerFolder: 100, folders: 20 });
  assert.deepEqual(sceneName(21, syntheticLayout(400)), { folder: '02', number: 201, id: '02/pcd0201' });
  assert.throws(() => syntheticLayout(0), /count/);
});

test('scenes are deterministic for a seed, independent of each other, and differ across seeds', () => {
  const a = generateScene(5, 3, 40);
  const b = generateScene(5, 3, 40);
  assert.deepEqual(a.depth.data, b.depth.data);
  assert.deepEqual(a.grasps, b.grasps);
  assert.notDeepEqual(generateScene(6, 3, 40).grasps, a.grasps);
  assert.notDeepEqual(generateScene(5, 4, 40).grasps, a.grasps);
});

test('scenes look like a Kinect view of a table with graspable objects', () => {
  const shapes = new Set<string>();
  let multi = 0;
  for (let i = 0; i < 12; i++) {
    const s = generateScene(11, i, 240);
    assert.deepEqual([s.depth.height, s.depth.width], [480, 640]);
    const st = imageStats(s.depth);
    // metres: camera 0.6–0.8 m above the table, maybe the floor beyond it
    assert.ok(st.min > 0.3 && st.max < 2.5, `depth ${st.min}..${st.max}`);
    // some missing pixels (0), but not many
    assert.ok(st.missing > 0 && st.missing / st.count < 0.2, `missing ${st.missing}`);
    assert.ok(s.grasps.length >= 1);
    for (const r of s.grasps) {
      const g = graspFromRect(r);
      assert.ok(g.length >= 12 && g.length <= 160, `opening ${g.length} px`);
      assert.ok(g.width > 0.3 * g.length && g.width < 0.7 * g.length, `plate ${g.width} vs opening ${g.length}`);
      const [row, col] = rectCenter(r);
      assert.ok(row > 0 && row < 480 && col > 0 && col < 640);
      // the grasp centre is on an object: nearer than the table around it
      const d = s.depth.data[Math.round(row) * 640 + Math.round(col)];
      assert.ok(d === 0 || d < st.max);
    }
    s.objects.forEach((o) => shapes.add(o.shape));
    if (s.objects.length > 1) multi++;
  }
  assert.ok(shapes.size >= 3, `shapes ${[...shapes]}`);
  assert.ok(multi >= 2, `${multi} multi-object scenes`);
});

test('round trip: generated scenes written in Cornell format read back identically', async () => {
  const dir = path.join(tmp, 'set');
  const count = 5;
  const m = await writeSyntheticDataset(dir, { count, seed: 3 });
  assert.equal(m.version, SYNTHETIC_VERSION);
  assert.deepEqual(readSyntheticManifest(dir)?.count, count);
  assert.ok(isCompleteSyntheticSet(dir, { count, seed: 3 }));
  assert.ok(!isCompleteSyntheticSet(dir, { count, seed: 4 }));
  assert.ok(!isCompleteSyntheticSet(dir, { count: 6, seed: 3 }));

  const ds = await openDataset({ kind: 'synthetic', dir });
  assert.equal(ds.entries.length, count);
  for (let i = 0; i < count; i++) {
    const scene = generateScene(3, i, count);
    const e = ds.entries[i];
    assert.equal(e.id, scene.id);
    assert.equal(e.objectId, scene.objectId);
    const raw = await ds.load(e);
    assert.deepEqual(raw.depth.data, scene.depth.data);
    // the Cornell reader rounds corners to integers as ggcnn's loader does (the files hold the scene's values)
    const asLoaded = (rects: GraspRectPoints[]) => rects.map((r) => r.map(([y, x]) => [pyRound(y), pyRound(x)]));
    assert.deepEqual(raw.grasps, asLoaded(scene.grasps));
    assert.deepEqual(await ds.loadNegatives(e), asLoaded(scene.negatives));
    const rgb = await ds.loadRgb(e);
    assert.deepEqual(rgb.data, scene.rgb.data);
  }

  // regenerating with another size replaces the set (its own files only) and a missing file makes it incomplete
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'keep me');
  await writeSyntheticDataset(dir, { count: 3, seed: 3 });
  assert.equal((await openDataset({ kind: 'synthetic', dir })).entries.length, 3);
  assert.ok(fs.existsSync(path.join(dir, 'notes.txt')));
  const { folder, number } = sceneName(2, syntheticLayout(3));
  fs.unlinkSync(path.join(dir, folder, `pcd${String(number).padStart(4, '0')}d.tiff`));
  assert.ok(!isCompleteSyntheticSet(dir, { count: 3, seed: 3 }));
});

test('scripts/make-data.ts writes a set and --if-missing skips a complete one', () => {
  const dir = path.join(tmp, 'script');
  const run = (...args: string[]) =>
    execFileSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'scripts', 'make-data.ts'), ...args], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  assert.match(run('--out', dir, '--count', '2', '--seed', '9'), /wrote 2 synthetic scenes \(seed 9\)/);
  assert.equal(readSyntheticManifest(dir)?.seed, 9);
  assert.match(run('--out', dir, '--count', '2', '--seed', '9', '--if-missing'), /nothing to do/);
  assert.throws(() => execFileSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'scripts', 'make-data.ts'), '--count', 'x'], { cwd: PROJECT_ROOT, stdio: 'pipe' }), /expects an integer/);
});
