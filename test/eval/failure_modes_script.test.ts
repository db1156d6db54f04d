import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import { PROJECT_ROOT } from '../../lib/config/paths';
import { sharedPath, skipUnlessShared } from '../helpers/shared';

/** scripts/failure-modes.ts on the published GG-CNN and real Cornell: the counts add up to the metric's failures. */
test('failure-modes --published ggcnn: every failed real image gets one mode, successes match the metric', { skip: skipUnlessShared('weights', 'ggcnn_cornell_epoch23.npz') || skipUnlessShared('realdata', 'cornell'), timeout: 120_000 }, () => {
  const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/failure-modes.ts', ...args], { cwd: PROJECT_ROOT, encoding: 'utf8', env: { ...process.env, GRASPLAB_REAL_DIR: sharedPath('realdata', 'cornell')! } });
  const r = run(['--published', 'ggcnn', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  // the published weights score 13 of the 21 shared images (README; the original PyTorch code agrees image by image)
  assert.equal(out.images, 21);
  assert.equal(out.successes, 13);
  const failures = out.perImage.filter((d: { success: boolean }) => !d.success);
  assert.equal(Object.values(out.counts as Record<string, number>).reduce((a, b) => a + b, 0), failures.length);
  for (const d of failures) assert.ok(['no-grasp', 'position', 'angle', 'size'].includes(d.mode), JSON.stringify(d));
  const bad = run(['--model', 'a', '--published', 'ggcnn']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /either --model/);
  const badNear = run(['--published', 'ggcnn', '--near-px', 'abc']);
  assert.notEqual(badNear.status, 0);
  assert.match(badNear.stderr, /--near-px abc: need a positive number/);
});
