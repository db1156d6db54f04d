import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../lib/backend/setup';
import { useTempResultsDir } from '../helpers/results_dir';
import { Rng } from '../../lib/data/random';
import { ConfigError, TrainingDivergedError } from '../../lib/errors';
import { loadModel } from '../../lib/train/checkpoint';
import { graspLoss } from '../../lib/train/losses';
import { fit, runDirFor, type BatchSource, type FitOptions } from '../../lib/train/loop';
import { consoleProgress, type ProgressEvent } from '../../lib/train/progress';
import { learningRateAt } from '../../lib/train/schedule';
import { fakeBatch, fakeSource, maxAbsDiff, tinyModel, weightValues } from './tiny';

useTempResultsDir('grasplab-loop-');
before(async () => {
  await selectBackend({ quiet: true });
});

/** Validation stand-in: a deterministic score that rises as the loss on a fixed batch falls. */
const VAL = fakeBatch(new Rng(1234), 4);
async function validate(m: tf.LayersModel) {
  assert.equal(m.outputs.length, 1, 'validate must receive the main-output model');
  const loss = tf.tidy(() => graspLoss(m.predict(VAL.x) as tf.Tensor4D, VAL.y).loss.dataSync()[0]);
  return { accuracy: 1 / (1 + loss), loss, perImage: [{ id: 'a' }] };
}

const perEpoch = (e: number) => fakeSource(100 + e);

function base(name: string, model: tf.LayersModel, extra: Partial<FitOptions> = {}): FitOptions {
  return { name, model, data: perEpoch, epochs: 2, batchesPerEpoch: 3, optimizer: { kind: 'adam', lr: 1e-2 }, validate, onProgress: null, ...extra };
}

test('fit trains, validates, checkpoints and reports progress', async () => {
  const events: ProgressEvent[] = [];
  const model = tinyModel({ bn: true, prefix: 'fit1' });
  const r = await fit(base('fit1', model, { onProgress: (e) => events.push(e), restoreBest: true }));
  assert.equal(r.status, 'completed');
  assert.equal(r.epochsDone, 2);
  assert.equal(r.step, 6);
  assert.equal(r.history.length, 2);
  const dir = runDirFor('fit1');
  assert.equal(r.runDir, dir);
  for (const f of ['run.json', 'last/model.json', 'last/weights.bin', 'last/optimizer.json', 'last/optimizer.bin', 'last/state.json', 'best/model.json']) {
    assert.ok(fs.existsSync(path.join(dir, f)), `missing ${f}`);
  }
  const run = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8'));
  assert.equal(run.status, 'completed');
  assert.equal(run.train.optimizer.lr, 1e-2);
  assert.equal(run.history.length, 2);
  const h = run.history[1];
  assert.equal(h.epoch, 2);
  assert.equal(h.stepLoss.length, 3);
  for (const k of ['pos', 'cos', 'sin', 'width', 'main']) assert.ok(typeof h.parts[k] === 'number', k);
  assert.deepEqual(Object.keys(h.val).sort(), ['accuracy', 'loss']); // only numeric fields are kept
  const bestEpoch = r.history.reduce((b, e) => (e.val!.accuracy > b.val!.accuracy ? e : b)).epoch;
  assert.equal(r.best?.epoch, bestEpoch);
  assert.equal(run.best.epoch, bestEpoch);
  // restoreBest: the returned model holds the best checkpoint's weights
  const best = await loadModel(path.join(dir, 'best'));
  const p = tf.tidy(() => maxAbsDiff((best.predict(VAL.x) as tf.Tensor).dataSync(), (model.predict(VAL.x) as tf.Tensor).dataSync()));
  assert.equal(p, 0);

  const steps = events.filter((e) => e.type === 'step');
  assert.equal(steps.length, 6);
  assert.deepEqual(steps.map((e) => (e.type === 'step' ? `${e.epoch}.${e.stepInEpoch}` : '')), ['1.1', '1.2', '1.3', '2.1', '2.2', '2.3']);
  assert.equal(events.filter((e) => e.type === 'epoch').length, 2);
  assert.deepEqual([events[0].type, events[events.length - 1].type], ['start', 'end']);
  const last = steps[steps.length - 1];
  assert.ok(last.type === 'step' && last.eta >= 0 && Number.isFinite(last.loss));
});

test('a run stopped after epoch 1 resumes at epoch 2 and ends with the weights of an uninterrupted run (precise BN)', async () => {
  // precise BN recomputes the BN statistics after every epoch: the resumed run must redo exactly that too
  const bn = { preciseBn: { batches: 2 } };
  const whole = tinyModel({ bn: true, prefix: 'res_a', seed: 5 });
  const a = await fit(base('whole', whole, bn));

  const first = tinyModel({ bn: true, prefix: 'res_b', seed: 5 });
  const b1 = await fit(base('split', first, { ...bn, shouldStop: ({ epoch }) => epoch === 1 }));
  assert.equal(b1.status, 'stopped');
  assert.equal(b1.epochsDone, 1);
  assert.equal(JSON.parse(fs.readFileSync(path.join(runDirFor('split'), 'run.json'), 'utf8')).status, 'stopped');

  // "new process": a freshly built model with other initial weights; fit restores weights and Adam state
  const events: ProgressEvent[] = [];
  const second = tinyModel({ bn: true, prefix: 'res_c', seed: 77 });
  const b2 = await fit(base('split', second, { ...bn, onProgress: (e) => events.push(e) }));
  assert.equal(b2.resumedAt, 1);
  assert.equal(b2.status, 'completed');
  assert.equal(b2.epochsDone, 2);
  assert.equal(b2.history.length, a.history.length);
  const firstStep = events.find((e) => e.type === 'step');
  assert.ok(firstStep?.type === 'step' && firstStep.epoch === 2 && firstStep.step === 4);
  assert.deepEqual(b2.history.map((h) => h.loss), a.history.map((h) => h.loss));
  const wa = weightValues(whole);
  weightValues(second).forEach((w, i) => assert.ok(maxAbsDiff(w, wa[i]) < 1e-6, `weight ${i} differs by ${maxAbsDiff(w, wa[i])}`));

  // a completed run is not trained again
  const again = await fit(base('split', tinyModel({ bn: true, prefix: 'res_d', seed: 8 }), bn));
  assert.equal(again.resumedAt, 2);
  assert.equal(again.step, 6);
});

test('a single endless source with skipBatches also resumes exactly', async () => {
  const whole = tinyModel({ prefix: 'skip_a', seed: 6 });
  await fit(base('skip_whole', whole, { data: fakeSource(55, 2, true) }));
  await fit(base('skip_split', tinyModel({ prefix: 'skip_b', seed: 6 }), { data: fakeSource(55, 2, true), shouldStop: () => true }));
  const resumed = tinyModel({ prefix: 'skip_c', seed: 1 });
  await fit(base('skip_split', resumed, { data: fakeSource(55, 2, true) }));
  const wa = weightValues(whole);
  weightValues(resumed).forEach((w, i) => assert.ok(maxAbsDiff(w, wa[i]) < 1e-6, `weight ${i}`));
  // without skipBatches the run still resumes, and run.json says the data order changed
  await fit(base('noskip', tinyModel({ prefix: 'skip_d' }), { data: fakeSource(55), shouldStop: () => true }));
  await fit(base('noskip', tinyModel({ prefix: 'skip_e' }), { data: fakeSource(55) }));
  assert.match(JSON.parse(fs.readFileSync(path.join(runDirFor('noskip'), 'run.json'), 'utf8')).dataNote, /cannot skip/);
});

test('resuming with a changed setting is refused; resume: false starts over', async () => {
  await fit(base('changed', tinyModel({ prefix: 'chg_a' }), { epochs: 1 }));
  await assert.rejects(
    fit(base('changed', tinyModel({ prefix: 'chg_b' }), { epochs: 2, optimizer: { kind: 'adam', lr: 5e-3 } })),
    (e: Error) => e instanceof ConfigError && /optimizer/.test(e.message),
  );
  const r = await fit(base('changed', tinyModel({ prefix: 'chg_c' }), { epochs: 1, optimizer: { kind: 'adam', lr: 5e-3 }, resume: false }));
  assert.equal(r.resumedAt, 0);
  assert.equal(r.epochsDone, 1);
});

test('a NaN loss stops fit with TrainingDivergedError and run.json records it', async () => {
  let n = 0;
  const rng = new Rng(3);
  const poisoned: BatchSource = {
    nextBatch: async () => {
      const b = fakeBatch(rng);
      if (++n < 5) return b;
      const y = tf.tidy(() => b.y.mul(tf.scalar(Infinity)).add(b.y)) as tf.Tensor4D;
      b.y.dispose();
      return { x: b.x, y };
    },
  };
  await assert.rejects(
    fit(base('nan', tinyModel({ prefix: 'nan_fit' }), { data: poisoned, epochs: 3 })),
    (e: Error) => e instanceof TrainingDivergedError && /step 5/.test(e.message) && /pos=/.test(e.message),
  );
  const run = JSON.parse(fs.readFileSync(path.join(runDirFor('nan'), 'run.json'), 'utf8'));
  assert.equal(run.status, 'diverged');
  assert.match(run.error, /step 5/);
  assert.equal(run.epochsDone, 1); // epoch 1 (steps 1-3) was completed and saved
  assert.ok(fs.existsSync(path.join(runDirFor('nan'), 'last', 'state.json')));
});

test('no tensor leak across fit steps (aux model)', async () => {
  const counts: number[] = [];
  await fit(
    base('leak', tinyModel({ aux: true, bn: true, prefix: 'fit_leak' }), {
      epochs: 1,
      batchesPerEpoch: 10,
      data: fakeSource(7),
      onProgress: (e) => {
        if (e.type === 'step') counts.push(tf.memory().numTensors);
      },
    }),
  );
  assert.equal(counts.length, 10);
  assert.equal(counts[9], counts[2]);
});

test('console progress: one rewritten line on a TTY, periodic plain lines otherwise', async () => {
  const capture = (isTTY: boolean) => {
    let out = '';
    return { stream: { isTTY, write: (s: string) => ((out += s), true) }, text: () => out };
  };
  const plain = capture(false);
  const tty = capture(true);
  await fit(base('progress', tinyModel({ prefix: 'prog' }), { epochs: 1, batchesPerEpoch: 20, data: fakeSource(9), onProgress: consoleProgress({ stream: plain.stream }) }));
  await fit(base('progress', tinyModel({ prefix: 'prog2' }), { epochs: 1, batchesPerEpoch: 3, data: fakeSource(9), resume: false, onProgress: consoleProgress({ stream: tty.stream }) }));
  const lines = plain.text().trim().split('\n');
  assert.ok(!plain.text().includes('\r'));
  const stepLines = lines.filter((l) => /step \d+\/20/.test(l));
  assert.ok(stepLines.length >= 2 && stepLines.length <= 12, `${stepLines.length} step lines`);
  assert.ok(lines.some((l) => /epoch 1\/1 done: loss/.test(l)));
  assert.ok(lines.some((l) => /ETA/.test(l)));
  assert.ok(tty.text().includes('\r\x1b[2K'));
  assert.match(tty.text(), /completed after 1 epochs/);
});

test('learning-rate schedules', () => {
  assert.equal(learningRateAt({ kind: 'constant' }, 1e-3, 50, 100), 1e-3);
  assert.equal(learningRateAt({ kind: 'poly' }, 0.01, 0, 100), 0.01);
  assert.ok(Math.abs(learningRateAt({ kind: 'poly', power: 0.9 }, 0.01, 50, 100) - 0.01 * Math.pow(0.5, 0.9)) < 1e-12);
  assert.equal(learningRateAt({ kind: 'poly' }, 0.01, 100, 100), 0);
  assert.throws(() => learningRateAt({ kind: 'constant' }, -1, 0, 1), ConfigError);
});
