import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { selectBackend } from '../../lib/backend/setup';
import { DataFormatError, RunInUseError } from '../../lib/errors';
import { fit, type BatchSource } from '../../lib/train/loop';
import { acquireRunLock, LOCK_FILE } from '../../lib/train/run_lock';
import { useTempResultsDir } from '../helpers/results_dir';
import { fakeSource, tinyModel } from './tiny';

const tmp = useTempResultsDir('grasplab-lock-');
before(async () => {
  await selectBackend({ quiet: true });
});

function writeLock(dir: string, info: Record<string, unknown>): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  fs.writeFileSync(file, JSON.stringify({ token: 'x', started: new Date().toISOString(), ...info }));
  return file;
}

/** A pid that certainly belongs to no running process: one that just exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

test('one writer per run folder: a second lock is refused until the first is released', () => {
  const dir = path.join(tmp(), 'a');
  const release = acquireRunLock(dir);
  const info = JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8'));
  assert.equal(info.pid, process.pid);
  assert.equal(info.host, os.hostname());
  assert.throws(() => acquireRunLock(dir), (e: Error) => e instanceof RunInUseError && /this process/.test(e.message));
  release();
  assert.ok(!fs.existsSync(path.join(dir, LOCK_FILE)));
  acquireRunLock(dir)();
});

test('a file where the run folder should be is a named error', () => {
  const file = path.join(tmp(), 'a-file');
  fs.writeFileSync(file, 'x');
  assert.throws(() => acquireRunLock(file), (e: Error) => e instanceof DataFormatError && e.message.includes(file));
  assert.throws(() => acquireRunLock(path.join(file, 'run')), (e: Error) => e instanceof DataFormatError && /a file is in the way/.test(e.message));
});

test('stale locks are taken over: dead pid, written before boot, this pid but not held; a live or remote owner is not', () => {
  const stale = [
    { pid: deadPid(), host: os.hostname() },
    { pid: 1, host: os.hostname(), started: new Date(Date.now() - (os.uptime() + 3600) * 1000).toISOString() },
    { pid: process.pid, host: os.hostname() },
  ];
  stale.forEach((info, i) => {
    const dir = path.join(tmp(), `stale${i}`);
    writeLock(dir, info);
    const release = acquireRunLock(dir);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')).pid, process.pid, `case ${i}`);
    release();
  });
  // pid 1 (init) is alive: its lock stands
  const live = path.join(tmp(), 'live');
  writeLock(live, { pid: 1, host: os.hostname() });
  assert.throws(() => acquireRunLock(live), (e: Error) => e instanceof RunInUseError && /process 1 on/.test(e.message));
  const remote = path.join(tmp(), 'remote');
  const file = writeLock(remote, { pid: 4242, host: 'another-host.example' });
  assert.throws(() => acquireRunLock(remote), (e: Error) => e instanceof RunInUseError && e.message.includes(`delete ${file}`));
  assert.ok(fs.existsSync(file), 'a remote lock is never removed automatically');
});

test('two fits of one run in one process: the second is refused, the first completes', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let first = true;
  const gated = (e: number): BatchSource => {
    const src = fakeSource(100 + e);
    return { nextBatch: async () => (first ? ((first = false), await gate, src.nextBatch()) : src.nextBatch()) };
  };
  const opts = { name: 'dup', epochs: 1, batchesPerEpoch: 2, onProgress: null, handleSignals: false } as const;
  const a = fit({ ...opts, model: tinyModel({ prefix: 'lock_a' }), data: gated });
  await new Promise((r) => setTimeout(r, 50));
  await assert.rejects(fit({ ...opts, model: tinyModel({ prefix: 'lock_b', seed: 2 }), data: (e) => fakeSource(e) }), RunInUseError);
  release();
  assert.equal((await a).status, 'completed');
});
