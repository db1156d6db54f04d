import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { ConfigError } from '../../lib/errors';
import { checkRunName, runDirFor, runsRoot } from '../../lib/train/run_dir';
import { configChanges, describeChanges, keyedRunName, runKey, stableJson } from '../../lib/train/run_key';

test('run names are plain folder names', () => {
  for (const ok of ['ggcnn', 'pspnet-aux0.4-s1', 'a_b.c-1', 'X', '1']) assert.equal(checkRunName(ok), ok);
  for (const bad of ['', '.', '..', '.hidden', '-x', 'a/b', '../x', 'a\\b', '/abs', 'a b', 'ä', 'x\0', 'a'.repeat(101)]) {
    assert.throws(() => checkRunName(bad, '--run-name'), (e: Error) => e instanceof ConfigError && /--run-name/.test(e.message), JSON.stringify(bad));
  }
  assert.equal(path.dirname(runDirFor('ok')), runsRoot());
  assert.throws(() => runDirFor('..'), ConfigError);
});

test('run keys: order-independent, sensitive to every value; changes are named by dotted path', () => {
  const a = { profile: 'cpu', model: { name: 'pspnet', depth: 18 }, seed: 1 };
  assert.equal(runKey(a), runKey({ seed: 1, model: { depth: 18, name: 'pspnet' }, profile: 'cpu' }));
  assert.equal(stableJson({ b: 1, a: undefined }), '{"b":1}');
  assert.notEqual(runKey(a), runKey({ ...a, seed: 2 }));
  assert.notEqual(runKey(a), runKey({ ...a, profile: 'smoke' }));
  assert.notEqual(runKey(a), runKey({ ...a, model: { name: 'pspnet', depth: 34 } }));
  assert.match(keyedRunName('pspnet', a), /^pspnet-[0-9a-f]{8}$/);
  assert.throws(() => keyedRunName('..', a), ConfigError);
  const changes = configChanges({ config: a, lr: 1 }, { config: { ...a, seed: 2, model: { name: 'pspnet', depth: 34 } }, lr: 1 });
  assert.deepEqual(changes.map((c) => c.key), ['config.model.depth', 'config.seed']);
  assert.equal(describeChanges(changes), 'config.model.depth: 18 → 34; config.seed: 1 → 2');
});
