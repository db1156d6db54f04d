import { test } from 'node:test';
import assert from 'node:assert/strict';
import { currentProfile, PROFILES } from '../../lib/config/profiles';
import { ConfigError } from '../../lib/errors';

test('GRASPLAB_SEEDS replaces the profile seeds; bad lists are refused with the variable named', () => {
  assert.deepEqual(currentProfile({ GRASPLAB_PROFILE: 'cpu' }).seeds, PROFILES.cpu.seeds);
  assert.deepEqual(currentProfile({ GRASPLAB_PROFILE: 'cpu', GRASPLAB_SEEDS: '3, 1,2' }).seeds, [3, 1, 2]);
  assert.deepEqual(PROFILES.cpu.seeds, [1], 'the shared profile object is not modified');
  for (const bad of ['1,1', '0', 'a,b', '1.5', '1,,2']) {
    assert.throws(() => currentProfile({ GRASPLAB_SEEDS: bad }), (e: unknown) => e instanceof ConfigError && /GRASPLAB_SEEDS/.test(e.message), bad);
  }
  assert.throws(() => currentProfile({ GRASPLAB_PROFILE: 'gpu' }), ConfigError);
});

test('every profile trains the KD teacher at least as long as the students', () => {
  for (const p of Object.values(PROFILES)) assert.ok(p.teacher.epochs >= p.epochs, p.name);
});
