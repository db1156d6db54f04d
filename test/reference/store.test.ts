import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { PROFILES } from '../../lib/config/profiles';
import { referencePlan } from '../../lib/reference/plan';
import { planStatus, referenceRunDir, resumeSnapshotDir } from '../../lib/reference/store';
import { restoreSnapshot, snapshotResumePoint } from '../../lib/reference/worker';
import { useTempResultsDir } from '../helpers/results_dir';

const tmp = useTempResultsDir('grasplab-refstore-', 'results');

test('a resume point survives a fresh checkout through its committed snapshot', () => {
  assert.ok(tmp());
  const plan = referencePlan(PROFILES.reference);
  const id = 'pspnet-s2';
  const last = path.join(referenceRunDir(id), 'last');
  fs.mkdirSync(last, { recursive: true });
  fs.writeFileSync(path.join(last, 'state.json'), '{"epochsDone":3}');
  fs.writeFileSync(path.join(last, 'weights.bin'), Buffer.from([1, 2, 3]));
  assert.equal(planStatus(plan).find((j) => j.id === id)!.state, 'partial');
  assert.equal(snapshotResumePoint('ggcnn-s1'), false, 'no resume point, no snapshot');
  assert.ok(snapshotResumePoint(id));
  // a fresh checkout: the ignored last/ is gone, the committed snapshot is there
  fs.rmSync(last, { recursive: true });
  assert.equal(planStatus(plan).find((j) => j.id === id)!.state, 'partial', 'still counted as started');
  restoreSnapshot(id);
  assert.deepEqual(fs.readFileSync(path.join(last, 'weights.bin')), Buffer.from([1, 2, 3]));
  // a local resume point is newer than the snapshot: it is kept
  fs.writeFileSync(path.join(last, 'state.json'), '{"epochsDone":4}');
  restoreSnapshot(id);
  assert.equal(fs.readFileSync(path.join(last, 'state.json'), 'utf8'), '{"epochsDone":4}');
  assert.ok(fs.existsSync(path.join(resumeSnapshotDir(id), 'weights.bin')));
});
