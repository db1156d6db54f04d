import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { notebookProgress, type LiveDisplay } from '../../lib/train/progress';
import type { ProgressEvent } from '../../lib/train/progress';

/** A display whose sends fail while "busy", like tslab's zeromq socket with a send still in flight. */
function busyDisplay(failures: number): LiveDisplay & { shown: string[]; attempts: number } {
  const d = {
    shown: [] as string[],
    attempts: 0,
    html(s: string) {
      d.attempts++;
      if (d.attempts <= failures) throw new Error('Socket is busy writing; only one send operation may be in progress at any time');
      d.shown.push(s);
    },
  };
  return d;
}

const epochEnd = (epoch: number): ProgressEvent[] => [
  { type: 'step', epoch, epochs: 3, stepInEpoch: 4, stepsPerEpoch: 4, step: epoch * 4, loss: 0.5, parts: {}, lr: 1e-3, elapsed: 1, eta: 1 } as unknown as ProgressEvent,
  { type: 'epoch', epoch, epochs: 3, record: { epoch, loss: 0.5, parts: {}, seconds: 1 }, elapsed: 1, eta: 1 } as unknown as ProgressEvent,
];

test('a busy notebook display never fails training: the update is retried and shown once the socket is free', async () => {
  const display = busyDisplay(3);
  const progress = notebookProgress(0, display);
  for (const e of epochEnd(1)) assert.doesNotThrow(() => progress(e));
  await new Promise((r) => setTimeout(r, 400));
  assert.ok(display.shown.length >= 1, 'shown after the retries');
  assert.match(display.shown[display.shown.length - 1], /epoch 1\/3/);
});

test('a display that keeps failing is retried a bounded number of times, then waits for the next event', async () => {
  const display = busyDisplay(Number.POSITIVE_INFINITY);
  const progress = notebookProgress(0, display);
  for (const e of epochEnd(1)) progress(e);
  await new Promise((r) => setTimeout(r, 1500));
  const attempts = display.attempts;
  assert.ok(attempts <= 2 + 20, `${attempts} attempts`);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(display.attempts, attempts, 'no retries left running');
});
