import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { selectBackend } from '../../lib/backend/setup';
import { PROJECT_ROOT } from '../../lib/config/paths';
import { readModelArtifacts } from '../../lib/train/checkpoint';
import { exitCodeFor, resumeCommandHint } from '../../lib/train/interrupt';
import { fit } from '../../lib/train/loop';
import { useTempResultsDir } from '../helpers/results_dir';
import { fakeSource, maxAbsDiff, tinyModel } from './tiny';

/**
 * SIGINT/SIGTERM during training, with real child processes (fixtures/fit_child.ts): the child stops after the step
 * in progress, saves it, marks run.json `interrupted` with the step reached and exits 130/143; run again, it resumes
 * at the next step (mid-epoch) and ends with the weights of an uninterrupted run — BatchNorm and precise BN included.
 */

const tmp = useTempResultsDir('grasplab-interrupt-');
const CHILD = path.join(__dirname, 'fixtures', 'fit_child.ts');
const EPOCHS = 2;
const STEPS = 4;

before(async () => {
  await selectBackend({ quiet: true });
});

interface Child {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
  /** resolves when stdout has a line `step n` */
  atStep(n: number): Promise<void>;
}

function startChild(name: string, resultsDir: string, delayMs: number): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, name, String(EPOCHS), String(STEPS), String(delayMs)], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, GRASPLAB_RESULTS_DIR: resultsDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: { n: number; resolve: () => void }[] = [];
  proc.stdout!.on('data', (d) => {
    out += d;
    for (const w of [...waiters]) if (new RegExp(`^step ${w.n}$`, 'm').test(out)) w.resolve();
  });
  proc.stderr!.on('data', (d) => (err += d));
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exit,
    atStep: (n) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ n, resolve });
        if (new RegExp(`^step ${n}$`, 'm').test(out)) resolve();
        void exit.then((code) => reject(new Error(`child exited (${code}) before step ${n}: ${err}`)));
      }),
  };
}

function weights(runDir: string): Float32Array {
  const a = readModelArtifacts(path.join(runDir, 'last'));
  return new Float32Array(a.weightData as ArrayBuffer);
}

function runJson(runDir: string): Record<string, any> {
  return JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));
}

test('SIGTERM mid-epoch: exit 143, run.json interrupted at the step reached; rerun resumes there and matches an uninterrupted run', { timeout: 120_000 }, async () => {
  // the uninterrupted reference, in this process (same backend and code as the children)
  const whole = await fit({
    name: 'whole', model: tinyModel({ bn: true, seed: 5, prefix: 'child' }), epochs: EPOCHS, batchesPerEpoch: STEPS,
    optimizer: { kind: 'adam', lr: 1e-2 }, data: (e) => fakeSource(100 + e, 2, true), preciseBn: { batches: 2 }, onProgress: null,
  });
  assert.equal(whole.step, EPOCHS * STEPS);

  const results = path.join(tmp(), 'child-results');
  const runDir = path.join(results, 'runs', 'sig');
  const a = startChild('sig', results, 300);
  await a.atStep(5); // epoch 2, step 1 of 4
  a.proc.kill('SIGTERM');
  assert.equal(await a.exit, exitCodeFor('SIGTERM'), a.stderr());
  assert.equal(exitCodeFor('SIGTERM'), 143);
  assert.match(a.stderr(), /TrainingInterruptedError: SIGTERM: training of .*sig stopped at epoch 2\/2, step [23]\/4/);
  assert.match(a.stderr(), /resumes from there/);
  const run = runJson(runDir);
  assert.equal(run.status, 'interrupted');
  assert.equal(run.signal, 'SIGTERM');
  assert.ok(run.step === 6 || run.step === 7, `step reached: ${run.step}`);
  assert.equal(run.resumeAt.step, run.step + 1);
  assert.equal(run.epochsDone, 1);
  assert.ok(!fs.existsSync(path.join(runDir, 'run.lock')), 'the lock is released');

  const b = startChild('sig', results, 0);
  assert.equal(await b.exit, 0, b.stderr());
  assert.match(b.stdout(), new RegExp(`^start ${run.step}$`, 'm'), 'resumed at the step reached');
  assert.doesNotMatch(b.stdout(), /^step [1-5]$/m, 'no step is trained twice');
  assert.match(b.stdout(), /^done completed 8$/m);
  assert.equal(runJson(runDir).status, 'completed');
  const diff = maxAbsDiff(weights(runDir), weights(whole.runDir));
  assert.ok(diff < 1e-6, `weights of interrupted + resumed vs uninterrupted differ by ${diff}`);
});

test('SIGINT: exit 130 and run.json interrupted; the CLI prints the command that resumes', { timeout: 60_000 }, async () => {
  const results = path.join(tmp(), 'child-results-int');
  const c = startChild('int', results, 300);
  await c.atStep(2);
  c.proc.kill('SIGINT');
  assert.equal(await c.exit, 130, c.stderr());
  assert.equal(runJson(path.join(results, 'runs', 'int')).status, 'interrupted');
  assert.equal(
    resumeCommandHint(['train', '--model', 'ggcnn', '--fresh', '--run-name', 'my run']),
    "resume with: npx grasplab train --model ggcnn --run-name 'my run'",
  );
});
