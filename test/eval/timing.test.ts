import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measureLatency, percentile } from '../../lib/eval/timing';

test('measureLatency calls fn warmup + runs times and reports ordered statistics', async () => {
  let calls = 0;
  const stats = await measureLatency(
    async () => {
      calls++;
      await new Promise((r) => setImmediate(r));
    },
    { warmup: 2, runs: 7 },
  );
  assert.equal(calls, 9);
  assert.equal(stats.runs, 7);
  assert.equal(stats.times.length, 7);
  assert.ok(stats.times.every((t) => t >= 0));
  assert.ok(stats.p10 <= stats.median && stats.median <= stats.p90);
  assert.ok(Math.min(...stats.times) <= stats.mean && stats.mean <= Math.max(...stats.times));
});

test('percentile interpolates linearly between ranks (numpy default)', () => {
  assert.equal(percentile([1, 2, 3, 4, 5], 50), 3);
  assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
  assert.ok(Math.abs(percentile([0, 10], 10) - 1) < 1e-12);
  assert.equal(percentile([7], 90), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
});
