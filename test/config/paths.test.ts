import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { PROJECT_ROOT, useProfileDataRoot } from '../../lib/config/paths';

test('useProfileDataRoot: reference and paper get data/synthetic-<profile>; cpu, smoke, a set data dir and real datasets are left alone', () => {
  const run = (profile: string, env: NodeJS.ProcessEnv) => {
    useProfileDataRoot(profile, env);
    return env.GRASPLAB_DATA_DIR;
  };
  assert.equal(run('reference', {}), path.join(PROJECT_ROOT, 'data', 'synthetic-reference'));
  assert.equal(run('paper', { GRASPLAB_DATASET: 'synthetic' }), path.join(PROJECT_ROOT, 'data', 'synthetic-paper'));
  assert.equal(run('cpu', {}), undefined);
  assert.equal(run('smoke', {}), undefined, 'smoke keeps its temp folder');
  assert.equal(run('reference', { GRASPLAB_DATA_DIR: '/mine' }), '/mine');
  assert.equal(run('reference', { GRASPLAB_DATASET: 'cornell' }), undefined);
});
