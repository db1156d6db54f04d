import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { splitEntries } from '../../lib/data/split';
import { DatasetEntry } from '../../lib/data/dataset';

const entries: DatasetEntry[] = [];
// 20 objects with 3–7 images each, stored object by object as in Cornell
for (let o = 0; o < 20; o++) for (let k = 0; k < 3 + (o % 5); k++) entries.push({ id: `${o}/${k}`, objectId: `obj${o}` });

test('image-wise: shuffled with the seed, sizes follow the fraction, every entry exactly once', () => {
  const a = splitEntries(entries, { mode: 'image', trainFraction: 0.9, seed: 1 });
  assert.equal(a.train.length, Math.round(entries.length * 0.9));
  assert.equal(a.train.length + a.val.length, entries.length);
  assert.deepEqual(new Set([...a.train, ...a.val].map((e) => e.id)).size, entries.length);
  assert.deepEqual(splitEntries(entries, { mode: 'image', trainFraction: 0.9, seed: 1 }), a);
  assert.notDeepEqual(splitEntries(entries, { mode: 'image', trainFraction: 0.9, seed: 2 }).val, a.val);
  // shuffled: the validation images are not simply the last ones
  assert.notDeepEqual(a.val, entries.slice(a.train.length));
  const b = splitEntries(entries, { mode: 'image', trainFraction: 0.5, seed: 1 });
  assert.equal(b.train.length, Math.round(entries.length * 0.5));
});

test('object-wise: sequential, no object on both sides, fraction as close as object boundaries allow', () => {
  for (const f of [0.5, 0.8, 0.9]) {
    const s = splitEntries(entries, { mode: 'object', trainFraction: f, seed: 1 });
    const tr = new Set(s.train.map((e) => e.objectId));
    assert.ok(s.val.every((e) => !tr.has(e.objectId)));
    assert.equal(s.train.length + s.val.length, entries.length);
    assert.deepEqual([...s.train, ...s.val], entries); // dataset order kept (no shuffle)
    const maxGroup = 7;
    assert.ok(Math.abs(s.train.length - f * entries.length) <= maxGroup / 2 + 1e-9, `fraction ${f}: ${s.train.length}/${entries.length}`);
    // the seed plays no part
    assert.deepEqual(splitEntries(entries, { mode: 'object', trainFraction: f, seed: 99 }), s);
  }
});

test('both sides non-empty when possible; bad options throw', () => {
  const two: DatasetEntry[] = [
    { id: 'a', objectId: 'x' },
    { id: 'b', objectId: 'y' },
  ];
  for (const mode of ['image', 'object'] as const) {
    const s = splitEntries(two, { mode, trainFraction: 0.99, seed: 1 });
    assert.equal(s.train.length, 1);
    assert.equal(s.val.length, 1);
  }
  const oneObject = entries.filter((e) => e.objectId === 'obj0');
  assert.equal(splitEntries(oneObject, { mode: 'object', trainFraction: 0.9, seed: 1 }).val.length, 0);
  assert.throws(() => splitEntries(entries, { mode: 'image', trainFraction: 1, seed: 1 }), /trainFraction/);
  assert.throws(() => splitEntries(entries, { mode: 'bogus' as 'image', trainFraction: 0.5, seed: 1 }), /split mode/);
});
