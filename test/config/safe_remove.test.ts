import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { removeInside } from '../../lib/config/safe_remove';
import { UnsafeDeleteError } from '../../lib/errors';

function tree(): { root: string; box: string; outside: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-rm-'));
  const box = path.join(root, 'box');
  const outside = path.join(root, 'outside');
  for (const d of [path.join(box, 'run', 'last'), outside]) fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(box, 'run', 'last', 'w.bin'), 'w');
  fs.writeFileSync(path.join(outside, 'keep.txt'), 'keep');
  return { root, box, outside };
}

test('removeInside deletes below its root and refuses the root itself, its parents and escapes', () => {
  const { root, box, outside } = tree();
  try {
    for (const bad of [box, path.join(box, '.'), path.join(box, '..'), path.join(box, 'run', '..', '..'), outside, '/', root]) {
      assert.throws(() => removeInside(box, bad), UnsafeDeleteError, bad);
    }
    assert.ok(fs.existsSync(path.join(box, 'run', 'last', 'w.bin')));
    assert.ok(fs.existsSync(path.join(outside, 'keep.txt')));
    removeInside(box, path.join(box, 'missing')); // nothing there: no error
    removeInside(box, path.join(box, 'run', 'last'));
    assert.ok(!fs.existsSync(path.join(box, 'run', 'last')));
    assert.ok(fs.existsSync(path.join(box, 'run')));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('removeInside: a symlinked parent cannot lead outside; a symlink target is removed as a link only', () => {
  const { root, box, outside } = tree();
  try {
    fs.symlinkSync(outside, path.join(box, 'link'));
    // box/link/keep.txt is lexically inside box, but really in outside/
    assert.throws(() => removeInside(box, path.join(box, 'link', 'keep.txt')), UnsafeDeleteError);
    assert.ok(fs.existsSync(path.join(outside, 'keep.txt')));
    removeInside(box, path.join(box, 'link'));
    assert.ok(!fs.existsSync(path.join(box, 'link')));
    assert.ok(fs.existsSync(path.join(outside, 'keep.txt')), 'the link went, its target stayed');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
