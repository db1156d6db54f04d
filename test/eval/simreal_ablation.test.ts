import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ablationRows, lateWindow, pooledAblation } from '../../lib/eval/simreal_ablation';
import type { SimRealRun } from '../../lib/eval/real';
import { ShapeError } from '../../lib/errors';

const ids = Array.from({ length: 10 }, (_, i) => `01/pcd01${String(i).padStart(2, '0')}`);

/** A sim-to-real run whose curve scores `realCorrect[k]` of 10 at step 100·(k+1) and whose last step's verdicts are `last`. */
function run(preset: string, realCorrect: number[], last: boolean[], extra: Partial<SimRealRun> = {}): SimRealRun {
  const correct = last.filter(Boolean).length;
  return {
    command: `simreal ${preset}`,
    preset,
    fingerprint: preset,
    steps: 100 * realCorrect.length,
    batchSize: 8,
    seed: 1,
    trainImages: 360,
    network: { name: 'ggcnn', headBias: 'prior' },
    curve: realCorrect.map((c, k) => ({ step: 100 * (k + 1), loss: 0.1, accuracy: 0.5, realAccuracy: c / 10, realCorrect: c, realTotal: 10 })),
    final: {
      step: 100 * realCorrect.length,
      syntheticValAccuracy: 0.5,
      realAccuracy: correct / 10,
      realCorrect: correct,
      realTotal: 10,
      development: { correct, total: 10, accuracy: correct / 10 },
      heldOut: { correct: 0, total: 0, accuracy: 0 },
      perImage: ids.map((id, i) => ({ id, success: last[i], bestIoU: last[i] ? 0.5 : 0 })),
    },
    trainSeconds: 1,
    date: '2026-12-03',
    ...extra,
  };
}

const v = (s: string) => [...s].map((c) => c === '1');

test('lateWindow: mean, min and max real accuracy over the last n checkpoints only', () => {
  const r = run('cornell', [0, 0, 9, 2, 4, 6], v('1111000000'));
  const w = lateWindow(r, 3);
  assert.deepEqual(w.steps, [400, 600]);
  assert.equal(w.checkpoints, 3);
  assert.ok(Math.abs(w.realMean - 40) < 1e-9, `mean of 20, 40, 60 % is 40, got ${w.realMean}`);
  assert.equal(w.realMin, 20);
  assert.equal(w.realMax, 60);
  assert.equal(lateWindow(r, 100).checkpoints, 6, 'a window longer than the curve takes the whole curve');
  assert.throws(() => lateWindow(r, 0), ShapeError);
  assert.throws(() => lateWindow({ ...r, curve: r.curve.map(({ step, loss }) => ({ step, loss })) }), /no real-image scores/);
});

test('ablationRows pairs each preset with the default run of the same key, by image id, treatment − default', () => {
  const base = run('cornell', [1, 2, 4], v('1111000000'));
  // shuffled image order must not matter: verdicts are matched by id
  const noTilt = run('no-tilt', [0, 1, 1], v('1000000011'));
  noTilt.final.perImage!.reverse();
  const otherSeed = run('no-noise', [3, 3, 3], v('1111110000'), { seed: 2 });
  const rows = ablationRows([base, noTilt, otherSeed]);
  assert.deepEqual(rows.map((r) => r.preset), ['cornell', 'no-tilt'], 'a run without a same-seed default run is left out');
  assert.equal(rows[0].vsDefault, undefined);
  const c = rows[1].vsDefault!;
  assert.equal(c.baseline.mean, 40);
  assert.equal(c.treatment.mean, 30);
  assert.ok(Math.abs(c.deltaPoints - -10) < 1e-9);
  // default right on 0,1,2,3; no-tilt right on 0,8,9 → default-only 3, ablation-only 2
  assert.deepEqual(c.discordant, { baselineOnly: 3, treatmentOnly: 2 });
  assert.ok(c.ci95[0] < -10 && c.ci95[1] > -10);
});

test('ablationRows refuses runs scored on other real images, naming the run', () => {
  const base = run('cornell', [1], v('1111000000'));
  const other = run('no-noise', [1], v('1111000000'));
  other.final.perImage![3].id = '02/pcd0150';
  assert.throws(() => ablationRows([base, other]), (e: Error) => e instanceof ShapeError && /simreal no-noise/.test(e.message) && /01\/pcd0103/.test(e.message));
});

test('pooledAblation pools a preset over the seeds that have a default run, pairing each seed with its own default', () => {
  const base1 = run('cornell', [2, 4], v('1111000000'));
  const base2 = run('cornell', [1, 2], v('1100000000'), { seed: 2 });
  const clean1 = run('no-noise', [4, 6], v('1111110000'));
  const clean2 = run('no-noise', [3, 3], v('0011100000'), { seed: 2 });
  const clean3 = run('no-noise', [9, 9], v('1111111110'), { seed: 3 }); // no default run of seed 3: left out
  const longer = run('no-noise', [1, 1, 1], v('1000000000')); // 300 steps: another budget, no default run
  const lonelyDefault = run('cornell', [1, 1, 1, 1], v('1000000000')); // 400 steps: no ablation of that budget
  const rows = pooledAblation([clean2, base1, clean3, base2, clean1, longer, lonelyDefault], 'cornell', 2);
  assert.deepEqual(rows.map((r) => [r.preset, r.seeds]), [['no-noise', [1, 2]], ['cornell', [1, 2]]]);
  const def = rows[1];
  assert.equal(def.vsDefault, undefined);
  assert.deepEqual(def.lateBySeed, [30, 15]);
  const c = rows[0].vsDefault!;
  assert.equal(c.seeds, 2);
  assert.equal(c.pairs, 20);
  assert.deepEqual(c.baseline.accuracyBySeed, [40, 20]);
  assert.deepEqual(c.treatment.accuracyBySeed, [60, 30]);
  assert.ok(Math.abs(c.deltaPoints - 15) < 1e-9, `pooled Δ (60+30)/2 − (40+20)/2 = 15, got ${c.deltaPoints}`);
  // seed 1: no-noise-only images 4,5; seed 2: cornell-only 0,1 and no-noise-only 2,3,4
  assert.deepEqual(c.discordant, { baselineOnly: 2, treatmentOnly: 5 });
  assert.deepEqual(rows[0].lateBySeed, [50, 30]);
  assert.equal(rows[0].lateMean, 40);
});
