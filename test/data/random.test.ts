import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Rng } from '../../lib/data/random';

test('Rng is deterministic for a seed and differs across seeds', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const xs = Array.from({ length: 20 }, () => a.next());
  assert.deepEqual(xs, Array.from({ length: 20 }, () => b.next()));
  assert.notDeepEqual(xs, Array.from({ length: 20 }, () => c.next()));
});

test('Rng draws stay in their ranges and look uniform / normal', () => {
  const r = new Rng(7);
  const n = 20000;
  let sum = 0;
  const counts = new Array(5).fill(0);
  let nsum = 0;
  let nsum2 = 0;
  for (let i = 0; i < n; i++) {
    const u = r.next();
    assert.ok(u >= 0 && u < 1);
    sum += u;
    const k = r.int(5);
    assert.ok(Number.isInteger(k) && k >= 0 && k < 5);
    counts[k]++;
    const v = r.uniform(-2, 3);
    assert.ok(v >= -2 && v < 3);
    const z = r.normal();
    nsum += z;
    nsum2 += z * z;
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.01);
  for (const c of counts) assert.ok(Math.abs(c / n - 0.2) < 0.02, `int(5) bucket share ${c / n}`);
  assert.ok(Math.abs(nsum / n) < 0.03);
  assert.ok(Math.abs(nsum2 / n - 1) < 0.05);
});

test('shuffle is an in-place seeded permutation', () => {
  const a = Array.from({ length: 50 }, (_, i) => i);
  const out = new Rng(1).shuffle(a);
  assert.equal(out, a);
  assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(new Rng(1).shuffle(Array.from({ length: 50 }, (_, i) => i)), a);
  assert.notDeepEqual(a, Array.from({ length: 50 }, (_, i) => i));
});

test('fork depends on the seed and salt only, not on draws made before', () => {
  const a = new Rng(5);
  const b = new Rng(5);
  for (let i = 0; i < 10; i++) b.next();
  assert.equal(a.fork(3).next(), b.fork(3).next());
  assert.notEqual(a.fork(3).next(), a.fork(4).next());
  assert.notEqual(a.fork(3).next(), new Rng(6).fork(3).next());
});

test('bad arguments throw', () => {
  assert.throws(() => new Rng(NaN), /seed/);
  assert.throws(() => new Rng(1).int(0), /n >= 1/);
  assert.throws(() => new Rng(1).pick([]), /empty/);
});
