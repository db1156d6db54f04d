import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../lib/cli';
import { PROJECT_ROOT } from '../../lib/config/paths';
import { PROFILES } from '../../lib/config/profiles';
import { SYNTHETIC_DEFAULT_SEED, writeSyntheticDataset } from '../../lib/data/synthetic';
import { captureIO } from '../helpers/cli_io';

/**
 * `grasplab train` as a hostile user drives it: run names that would delete results, two processes training one
 * run, Ctrl-C, a changed configuration, a finished run, a bad profile. Each must end in a named error or a correct
 * behaviour, with nothing lost.
 */

let root = '';
let data = '';
let results = '';
const saved: Record<string, string | undefined> = {};

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-cli-robust-'));
  data = path.join(root, 'synthetic');
  results = path.join(root, 'results');
  await writeSyntheticDataset(data, { count: PROFILES.smoke.syntheticScenes, seed: SYNTHETIC_DEFAULT_SEED });
  const env = { GRASPLAB_DATASET: 'synthetic', GRASPLAB_DATA_DIR: data, GRASPLAB_RESULTS_DIR: results };
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});
after(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  fs.rmSync(root, { recursive: true, force: true });
});

/** Every file below `dir` (relative paths), to compare before and after. */
function listing(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).map(String).sort();
}

test('--run-name that is not a plain name is refused before anything is deleted', async () => {
  fs.mkdirSync(path.join(results, 'runs', 'keep'), { recursive: true });
  fs.writeFileSync(path.join(results, 'runs', 'keep', 'run.json'), '{}');
  fs.mkdirSync(path.join(results, 'metrics'), { recursive: true });
  fs.writeFileSync(path.join(results, 'metrics', 'm.json'), '{}');
  const before = listing(results);
  for (const bad of ['..', '.', '../x', 'a/b', '/tmp', '', '.hidden']) {
    const io = captureIO();
    const code = await main(['train', '--model', 'ggcnn', '--profile', 'smoke', '--run-name', bad, '--fresh'], io);
    assert.notEqual(code, 0, `--run-name ${JSON.stringify(bad)} was accepted`);
    assert.match(io.text(), /--run-name/, io.text());
    assert.deepEqual(listing(results), before, `--run-name ${JSON.stringify(bad)} changed the results folder`);
  }
});

test('--profile foo names the flag', async () => {
  const io = captureIO();
  // a usage error (exit 2) from the CLI's option table, before any model code loads
  assert.equal(await main(['train', '--model', 'ggcnn', '--profile', 'foo'], io), 2);
  assert.match(io.text(), /--profile: expected one of smoke, cpu, paper, reference, got 'foo'/);
  assert.doesNotMatch(io.text(), /GRASPLAB_PROFILE/);
});

test('a finished run is reported as such; a changed config names the key and suggests --fresh; --fresh starts over', { timeout: 120_000 }, async () => {
  const args = ['train', '--model', 'ggcnn', '--profile', 'smoke', '--batch-size', '1', '--run-name', 'msg'];
  let io = captureIO();
  assert.equal(await main(args, io), 0, io.text());
  io = captureIO();
  assert.equal(await main(args, io), 0, io.text());
  assert.match(io.text(), /already finished at epoch 1\/1/);
  assert.doesNotMatch(io.text(), /resuming .* at epoch 2\/1/);

  io = captureIO();
  assert.equal(await main([...args, '--seed', '2'], io), 1);
  assert.match(io.text(), /config\.seed: 1 → 2/);
  assert.match(io.text(), /Add --fresh to start this run over/);
  io = captureIO();
  assert.equal(await main([...args, '--seed', '2', '--fresh'], io), 0, io.text());
  assert.equal(JSON.parse(fs.readFileSync(path.join(results, 'runs', 'msg', 'run.json'), 'utf8')).config.seed, 2);
  // another number of epochs is another configuration too
  io = captureIO();
  assert.equal(await main([...args, '--seed', '2', '--epochs', '2'], io), 1);
  assert.match(io.text(), /config\.epochs: 1 → 2/);
});

interface Proc {
  exit: Promise<number | null>;
  stderr: () => string;
  kill: (s: NodeJS.Signals) => void;
  waitFor: (re: RegExp) => Promise<void>;
}

function cli(args: string[]): Proc {
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'grasplab.js'), ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  child.stderr.on('data', (d) => {
    err += d;
    for (const w of waiters) if (w.re.test(err)) w.resolve();
  });
  child.stdout.resume();
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    exit,
    stderr: () => err,
    kill: (s) => child.kill(s),
    waitFor: (re) =>
      new Promise((resolve, reject) => {
        if (re.test(err)) return resolve();
        waiters.push({ re, resolve });
        void exit.then((code) => reject(new Error(`exited (${code}) before ${re}: ${err}`)));
      }),
  };
}

test('two processes train one --run-name: the second gets RunInUseError; Ctrl-C on the first exits 130 with the resume command', { timeout: 180_000 }, async () => {
  const args = (seed: number) => ['train', '--model', 'ggcnn', '--profile', 'smoke', '--batch-size', '1', '--epochs', '50', '--run-name', 'dup', '--seed', String(seed)];
  const a = cli(args(1));
  await a.waitFor(/epoch 1\/50 step/);
  const b = cli(args(2));
  assert.equal(await b.exit, 1, b.stderr());
  assert.match(b.stderr(), /RunInUseError: run .*dup is in use: process \d+ on .* has been training it since/);
  a.kill('SIGINT');
  assert.equal(await a.exit, 130, a.stderr());
  assert.match(a.stderr(), /SIGINT: training of .*dup stopped at/);
  assert.match(a.stderr(), /resume with: npx grasplab train --model ggcnn --profile smoke --batch-size 1 --epochs 50 --run-name dup --seed 1/);
  const run = JSON.parse(fs.readFileSync(path.join(results, 'runs', 'dup', 'run.json'), 'utf8'));
  assert.equal(run.status, 'interrupted');
  assert.equal(run.config.seed, 1, 'the folder holds the first run only');
  assert.ok(run.step >= 1);
  assert.ok(!fs.existsSync(path.join(results, 'runs', 'dup', 'run.lock')));
});
