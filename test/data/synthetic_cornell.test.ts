import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { generateScene, readSyntheticManifest } from '../../lib/data/synthetic';
import { percentile, sceneDepthStats } from '../../lib/data/depth_stats';
import { graspFromRect, rectCenter } from '../../lib/data/grasp_rect';
import { imageStats } from '../../lib/data/image';
import { currentDataset, PROJECT_ROOT } from '../../lib/config/paths';
import { CORNELL_LIKE, SYNTHETIC_PRESETS, syntheticFingerprint, syntheticSetName } from '../../lib/config/synthetic';
import { ensureSyntheticData } from '../../lib/experiment';

/** A few scenes of a preset, spread over the folders of a 400-scene set (as the cpu profile's). */
function scenes(preset: string, n: number, seed = 7) {
  return Array.from({ length: n }, (_, i) => generateScene(seed, i * 37, 400, SYNTHETIC_PRESETS[preset]));
}

const cornell = scenes('cornell', 8);

test('Cornell-like scenes are deterministic per seed and differ across seeds and configs', () => {
  const a = generateScene(3, 5, 40, CORNELL_LIKE);
  const b = generateScene(3, 5, 40, CORNELL_LIKE);
  assert.deepEqual(a.depth.data, b.depth.data);
  assert.deepEqual(a.grasps, b.grasps);
  assert.deepEqual(a.negatives, b.negatives);
  assert.notDeepEqual(generateScene(4, 5, 40, CORNELL_LIKE).depth.data, a.depth.data);
  // the same scene without sensor noise: same geometry and labels, different depth
  const clean = generateScene(3, 5, 40, SYNTHETIC_PRESETS['no-noise']);
  assert.deepEqual(clean.grasps, a.grasps);
  assert.notDeepEqual(clean.depth.data, a.depth.data);
});

test('oblique camera: the table is a depth ramp like Cornell (~1–3 mm per image row, nearer at the bottom); overhead: flat', () => {
  const slopes = cornell.map((s) => sceneDepthStats(s).rowSlopeMmPerPx);
  const med = percentile(slopes, 50);
  // two thirds of the views at Cornell's angle, a third flatter
  assert.ok(med < -0.8 && med > -3.2, `median row slope ${med.toFixed(2)} mm/px (Cornell ≈ −1.9)`);
  assert.ok(slopes.filter((v) => v < -1.4).length >= 3, `slopes ${slopes.map((v) => v.toFixed(2))}`);
  assert.ok(slopes.every((v) => v < -0.1), `every oblique view is a ramp: ${slopes.map((v) => v.toFixed(2))}`);
  const depths = cornell.map((s) => sceneDepthStats(s).centreDepth);
  assert.ok(depths.every((d) => d > 0.75 && d < 1.4), `crop centre depth ${depths.map((v) => v.toFixed(2))} m (Cornell ≈ 1.04)`);
  const flat = scenes('no-tilt', 4).map((s) => Math.abs(sceneDepthStats(s).rowSlopeMmPerPx));
  assert.ok(Math.max(...flat) < 0.6, `overhead slopes ${flat.map((v) => v.toFixed(2))}`);
});

test("viewTilt 'cornell' (cornell-view preset): every view at Cornell's angle; scenes already steep are unchanged", () => {
  let unchanged = 0;
  for (let i = 0; i < 12; i++) {
    const mixed = generateScene(7, i * 33, 400, CORNELL_LIKE);
    const steep = generateScene(7, i * 33, 400, SYNTHETIC_PRESETS['cornell-view']);
    assert.deepEqual(generateScene(7, i * 33, 400, SYNTHETIC_PRESETS['cornell-view']).depth.data, steep.depth.data, 'deterministic');
    assert.ok(steep.camera.tiltXDeg >= 38 && steep.camera.tiltXDeg <= 56, `scene ${i}: tilt ${steep.camera.tiltXDeg.toFixed(1)}°`);
    const slope = sceneDepthStats(steep).rowSlopeMmPerPx;
    assert.ok(slope < -0.8 && slope > -3.2, `scene ${i}: row slope ${slope.toFixed(2)} mm/px (Cornell −1.9 to −2.1)`);
    assert.ok(steep.grasps.length > 0, `scene ${i} has labels`);
    if (mixed.camera.tiltXDeg >= 38) {
      assert.deepEqual(steep.depth.data, mixed.depth.data, `scene ${i}: a view at Cornell's angle in both presets is the same scene`);
      assert.deepEqual(steep.grasps, mixed.grasps);
      unchanged++;
    } else {
      assert.notDeepEqual(steep.depth.data, mixed.depth.data);
    }
  }
  assert.ok(unchanged >= 4 && unchanged <= 11, `${unchanged} of 12 default views were at Cornell's angle (expected about two thirds)`);
});

test('objects are small and mostly flat; background beyond the table edge shows in the full frame', () => {
  const heights = cornell.flatMap((s) => sceneDepthStats(s).objectHeightsMm.filter((h) => h < 150));
  const med = percentile(heights, 50);
  assert.ok(med > 4 && med < 45, `median object protrusion ${med.toFixed(1)} mm`);
  // floor/wall: some frames have pixels farther than 1.6 m (Cornell's floor is ~2 m away), none without background
  const far = (s: ReturnType<typeof generateScene>) => s.depth.data.some((d) => d > 1.6);
  assert.ok(cornell.filter(far).length >= 3, 'far background in the full frames');
  assert.ok(scenes('no-background', 4).every((s) => !s.labelMap.some((l) => l === -2 || l === -3)), 'no floor or wall without background');
  const shapes = new Set(cornell.flatMap((s) => s.objects.map((o) => o.shape)));
  assert.ok(shapes.size >= 4, `shapes ${[...shapes]}`);
});

test('sensor: Kinect-style holes (inpainted by the loader) and correlated noise; clean depth has neither', () => {
  for (const s of cornell) {
    const st = imageStats(s.depth);
    assert.ok(st.missing / st.count > 0.002 && st.missing / st.count < 0.25, `${s.id}: missing ${(st.missing / st.count).toFixed(3)}`);
  }
  const clean = scenes('no-noise', 2);
  for (const s of clean) assert.equal(imageStats(s.depth).missing, 0);
  // correlated noise: the table residual's power at high spatial frequency is small against low frequency,
  // unlike per-pixel white noise (Cornell: ~0.3 mm² above 1/4 cycle/px against ~10 mm² at 1/64)
  const hf = (preset: string) => {
    const sp = scenes(preset, 3).map((s) => sceneDepthStats(s, { spectrum: true }).noiseSpectrum!);
    const hi = sp.map((p) => p.alongRows.slice(16).reduce((a, b) => a + b, 0) / p.alongRows.slice(16).length);
    return percentile(hi, 50);
  };
  const corr = hf('cornell');
  const white = hf('white-noise');
  assert.ok(corr < 1.2, `high-frequency power ${corr.toFixed(2)} mm²`);
  assert.ok(white > 2 * corr, `white noise ${white.toFixed(2)} vs correlated ${corr.toFixed(2)} mm²`);
});

test('labels lie on objects: rectangle centres on object pixels, jaws beside the part, Cornell-like sizes and counts', () => {
  let rects = 0;
  let jawsOff = 0;
  const openings: number[] = [];
  const plates: number[] = [];
  for (const s of cornell) {
    assert.ok(s.grasps.length >= 1, `${s.id} has a positive`);
    const perObject = s.objects.map((o) => o.positives).filter((n) => n > 0);
    assert.ok(perObject.every((n) => n <= 8));
    for (const r of s.grasps) {
      rects++;
      const g = graspFromRect(r);
      openings.push(g.length);
      plates.push(g.width);
      const [row, col] = rectCenter(r);
      // centre on an object pixel (labels are jittered by ~2 px)
      let k = -1;
      for (let dr = -3; dr <= 3 && k < 0; dr++) {
        for (let dc = -3; dc <= 3 && k < 0; dc++) {
          const l = s.labelMap[(Math.round(row) + dr) * 640 + Math.round(col) + dc];
          if (l >= 0) k = l;
        }
      }
      assert.ok(k >= 0, `${s.id}: rectangle centre [${row.toFixed(0)}, ${col.toFixed(0)}] not on an object`);
      // the jaws (ends of the opening) land beside the part grasped, not on it
      const jaw = (sgn: number) => {
        const rr = Math.round(row - (sgn * g.length * Math.sin(g.angle)) / 2);
        const cc = Math.round(col + (sgn * g.length * Math.cos(g.angle)) / 2);
        return rr >= 0 && rr < 480 && cc >= 0 && cc < 640 ? s.labelMap[rr * 640 + cc] : -9;
      };
      if (jaw(1) !== k && jaw(-1) !== k) jawsOff++;
    }
  }
  assert.ok(jawsOff / rects > 0.7, `jaws off the object in ${jawsOff}/${rects} rectangles`);
  // Cornell (21 real images): openings 18–86 px (5–95 %), median 37; plates ~24 px whatever the opening
  const medOpen = percentile(openings, 50);
  const medPlate = percentile(plates, 50);
  assert.ok(medOpen > 15 && medOpen < 60, `median opening ${medOpen.toFixed(1)} px`);
  assert.ok(medPlate > 14 && medPlate < 34, `median plate ${medPlate.toFixed(1)} px`);
  assert.ok(percentile(plates, 95) / percentile(plates, 5) < 3, 'plates nearly constant, not proportional to the opening');
  assert.ok(rects / cornell.length >= 2.5, `${rects} rectangles in ${cornell.length} scenes`);
});

test('every preset labels only what is in the frame (overhead no-tilt scene 98 of 400 once had a rectangle at row -59)', () => {
  for (const [preset, index] of [['no-tilt', 98], ['no-tilt', 99], ['v1', 98], ['cornell', 98]] as const) {
    const s = generateScene(2018, index, 400, SYNTHETIC_PRESETS[preset]);
    assert.ok(s.grasps.length >= 1, `${preset} ${s.id} has a positive`);
    for (const r of s.grasps) {
      const [row, col] = rectCenter(r);
      assert.ok(row >= 0 && row <= 480 && col >= 0 && col <= 640, `${preset} ${s.id}: rectangle centred at [${row.toFixed(0)}, ${col.toFixed(0)}]`);
    }
  }
});

test('one folder per generator configuration, seed and size; smoke sets go to the temp dir, never into the checkout', async () => {
  const cpu = currentDataset({ GRASPLAB_PROFILE: 'cpu' });
  assert.equal(cpu.dir, path.join(PROJECT_ROOT, 'data', 'synthetic', syntheticSetName(CORNELL_LIKE, 2018, 400)));
  assert.match(path.basename(cpu.dir), new RegExp(`^cornell-${syntheticFingerprint(CORNELL_LIKE)}-s2018-n400$`));
  const smoke = currentDataset({ GRASPLAB_PROFILE: 'smoke' });
  assert.ok(smoke.dir.startsWith(os.tmpdir()) && !smoke.dir.startsWith(PROJECT_ROOT), smoke.dir);
  const v1 = currentDataset({ GRASPLAB_PROFILE: 'cpu', GRASPLAB_SYNTHETIC: 'v1' });
  assert.notEqual(v1.dir, cpu.dir);
  assert.notEqual(syntheticFingerprint(SYNTHETIC_PRESETS.v1), syntheticFingerprint(CORNELL_LIKE));
  assert.throws(() => currentDataset({ GRASPLAB_SYNTHETIC: 'nope' }), /GRASPLAB_SYNTHETIC=nope is not a generator preset/);

  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-sets-'));
  try {
    const env = { GRASPLAB_PROFILE: 'smoke', GRASPLAB_DATA_DIR: root };
    const a = currentDataset(env);
    const b = currentDataset({ ...env, GRASPLAB_SYNTHETIC: 'no-tilt' });
    assert.equal(path.dirname(a.dir), root);
    const logs: string[] = [];
    const log = (m: string) => logs.push(m);
    await ensureSyntheticData(a.dir, 2, log, a.synthetic!.config);
    await ensureSyntheticData(b.dir, 2, log, b.synthetic!.config);
    const written = logs.filter((m) => m.startsWith('generating')).length;
    assert.equal(written, 2);
    // switching back and forth regenerates nothing
    await ensureSyntheticData(a.dir, 2, log, a.synthetic!.config);
    await ensureSyntheticData(b.dir, 2, log, b.synthetic!.config);
    assert.equal(logs.filter((m) => m.startsWith('generating')).length, written);
    assert.equal(readSyntheticManifest(a.dir)?.fingerprint, syntheticFingerprint(CORNELL_LIKE));
    assert.equal(readSyntheticManifest(b.dir)?.configName, 'no-tilt');
    // a folder that holds a set itself (make-data --out) is used as it is
    assert.equal(currentDataset({ ...env, GRASPLAB_DATA_DIR: a.dir }).dir, a.dir);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
