import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main as cli } from '../../lib/cli';
import { PROFILES, type ProfileName } from '../../lib/config/profiles';
import { readClaims } from '../../lib/reference/claims';
import { readDetails } from '../../lib/reference/evidence_files';
import { referencePlan } from '../../lib/reference/plan';
import { verifyClaims, verifyFollowUps, verifyLateSlopes } from '../../lib/reference/verify';
import { readVerdictFile } from '../../lib/reference/worker';
import { withEnv } from './env';

/**
 * Checks of a results folder's evidence, shared by the test of the committed results and the end-to-end test that
 * produces a tiny set (so the code path that checks the committed evidence runs in every test run).
 */

/**
 * claims.json and details.json's follow-ups under `resultsDir` recompute from their verdict files; the evidence requirements hold (`seeds` from the
 * profile: ≥ 3 for the reference profile; intervals at most ±5 points wide where `strict`).
 */
export async function checkClaimsFile(resultsDir: string, opts: { seeds?: string; strict: boolean }): Promise<void> {
  await withEnv({ GRASPLAB_RESULTS_DIR: resultsDir }, () => {
    const claims = readClaims(path.join(resultsDir, 'reference', 'claims.json'))!;
    const profile = PROFILES[claims.profile as ProfileName];
    const seeds = opts.seeds ? opts.seeds.split(',').map(Number) : profile.seeds;
    const plan = referencePlan({ ...profile, seeds });
    assert.deepEqual(verifyClaims(claims, plan), []);
    // the follow-up comparisons beside the claims (details.json) recompute from the same verdict files
    const details = readDetails(path.join(resultsDir, 'reference', 'details.json'));
    assert.ok(details, 'details.json beside claims.json');
    assert.deepEqual(verifyFollowUps(details, plan), []);
    // and so do the late slopes of every finished run's validation curve
    assert.deepEqual(verifyLateSlopes(details, path.join(resultsDir, 'reference')), []);
    if (!opts.strict) return;
    assert.ok(claims.test_images >= 500, 'at least 500 test images');
    for (const c of claims.claims) {
      if (['C2', 'C3', 'C4'].includes(c.id)) assert.ok(c.seeds >= 3, `${c.id}: at least 3 seeds`);
      if (c.ci95) assert.ok(c.ci95[1] - c.ci95[0] <= 10, `${c.id}: interval [${c.ci95}] is wider than ±5 points`);
    }
  });
}

/**
 * A shipped model (`modelDir`, trained by reference run `run`) scored with `grasplab eval --split test --limit N` on
 * the first `limit` test scenes (generated into a temp folder: the split is deterministic) gives the per-image
 * verdicts of `verdicts/<run>.json` under `resultsDir`, the file claims.json was computed from. When the run is C1's
 * baseline or treatment (first seed), its accuracy is also the one claims.json holds.
 */
export async function checkShippedModel(modelDir: string, run: string, resultsDir: string, limit: number): Promise<void> {
  const claims = readClaims(path.join(resultsDir, 'reference', 'claims.json'));
  const verdicts = await withEnv({ GRASPLAB_RESULTS_DIR: resultsDir }, () => readVerdictFile(run));
  assert.ok(claims && verdicts, `the shipped model comes with claims.json and verdicts/${run}.json`);
  const seed0 = PROFILES[claims.profile as ProfileName].seeds[0];
  const c1 = claims.claims.find((c) => c.id === 'C1')!;
  const side = run === `ggcnn-s${seed0}` ? c1.baseline : run === `pspnet-s${seed0}` ? c1.treatment : undefined;
  if (side) assert.equal(Math.round(10000 * verdicts.content.accuracy) / 100, side.accuracy_by_seed[0], `verdicts/${run}.json is C1's ${side.label}, first seed`);
  const n = Math.min(limit, verdicts.ids.length);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-shipped-'));
  try {
    await withEnv({ GRASPLAB_DATA_DIR: path.join(tmp, 'synthetic'), GRASPLAB_DATASET: 'synthetic' }, async () => {
      const out: string[] = [];
      const file = path.join(tmp, 'eval.json');
      const code = await cli(['eval', '--model-dir', modelDir, '--split', 'test', '--limit', String(n), '--out', file], { out: (s) => out.push(s), err: () => {} });
      assert.equal(code, 0);
      const perImage = JSON.parse(fs.readFileSync(file, 'utf8')).perImage as { id: string; success: boolean }[];
      assert.deepEqual(perImage.map((p) => p.id), verdicts.ids.slice(0, n));
      assert.deepEqual(perImage.map((p) => p.success), verdicts.success.slice(0, n));
      if (n === verdicts.ids.length) assert.equal(Math.round(10000 * JSON.parse(out.join('\n')).accuracy) / 100, Math.round(10000 * verdicts.content.accuracy) / 100);
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
