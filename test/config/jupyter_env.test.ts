import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { failureMessage, jupyterPython, requirementsHash, setupVenv, venvState, jupyterPaths } from '../../lib/config/jupyter_env';
import { PROJECT_ROOT } from '../../lib/config/paths';

/**
 * The Jupyter set-up's failure paths, each made real rather than mocked: no Python (a path that does not exist), no
 * venv module (a Python whose `ensurepip` import fails, as Debian's python3 without python3-venv), no package index
 * (pip pointed at an index that does not exist, with the machine's pip config switched off). `npm install` must
 * still succeed and print the fix; the notebook runner must stop with the same message, without a traceback.
 */

function tempRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-venv-'));
  fs.copyFileSync(path.join(PROJECT_ROOT, 'requirements.txt'), path.join(root, 'requirements.txt'));
  return root;
}

/** The process environment without pip's settings (the machine's index config must not leak into a test). */
function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PIP_') && !k.startsWith('GRASPLAB_')) env[k] = v;
  return { ...env, ...extra };
}

const TSX = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx');
const python3 = spawnSync('python3', ['-c', 'import venv, ensurepip'], { stdio: 'ignore' }).status === 0 ? 'python3' : undefined;

test('no Python: npm install (postinstall) succeeds with the fix; the notebook runner stops with the same message', () => {
  const root = tempRoot();
  try {
    const env = cleanEnv({ GRASPLAB_SETUP_PYTHON: path.join(root, 'no-such-python3'), GRASPLAB_VENV_DIR: path.join(root, '.venv') });
    const r = setupVenv({ env, root, log: () => {} });
    assert.equal(r.ok, false);
    assert.equal(r.failure!.kind, 'no-python');
    const msg = failureMessage(r.failure!);
    assert.match(msg, /Python 3 was not found \(looked for .*no-such-python3\)/);
    assert.match(msg, /apt-get install python3 python3-venv/);
    assert.match(msg, /npm run setup:python/);

    // the real scripts, as npm runs them
    const post = spawnSync(TSX, ['scripts/python-env.ts', 'setup', '--postinstall'], { cwd: PROJECT_ROOT, env, encoding: 'utf8' });
    assert.equal(post.status, 0, 'postinstall never fails npm install');
    assert.match(post.stderr, /Python 3 was not found/);
    assert.match(post.stderr, /npm install itself succeeded/);
    const runner = spawnSync(TSX, ['scripts/run-notebooks.ts', '--smoke', '01'], { cwd: PROJECT_ROOT, env, encoding: 'utf8' });
    assert.equal(runner.status, 1);
    assert.ok(runner.stderr.includes(msg.split('\n')[0]), runner.stderr);
    assert.doesNotMatch(runner.stderr, /Traceback|\n\s+at /);
    const check = spawnSync(TSX, ['scripts/python-env.ts', 'check'], { cwd: PROJECT_ROOT, env, encoding: 'utf8' });
    assert.equal(check.status, 1);
    assert.ok(check.stderr.includes(msg.split('\n')[0]), 'check repeats the recorded failure without retrying');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('no venv module: the message names it and the apt package that provides it', { skip: python3 ? false : 'needs python3 with venv' }, () => {
  const root = tempRoot();
  try {
    // Debian's python3 without python3-venv has `venv` but no `ensurepip`: shadow ensurepip with a module that fails
    const shadow = path.join(root, 'shadow', 'ensurepip');
    fs.mkdirSync(shadow, { recursive: true });
    fs.writeFileSync(path.join(shadow, '__init__.py'), 'raise ImportError("No module named \'ensurepip\'")\n');
    const env = cleanEnv({ GRASPLAB_SETUP_PYTHON: python3!, PYTHONPATH: path.dirname(shadow), GRASPLAB_VENV_DIR: path.join(root, '.venv') });
    const r = setupVenv({ env, root, log: () => {} });
    assert.equal(r.ok, false);
    assert.equal(r.failure!.kind, 'no-venv');
    assert.match(failureMessage(r.failure!), /has no venv module[\s\S]*apt-get install python3-venv/);
    assert.ok(!fs.existsSync(path.join(root, '.venv')), 'no half-made venv left behind');
    const again = jupyterPython({ env, root, setup: false });
    assert.ok('message' in again && again.message === failureMessage(r.failure!), 'later commands print the same message');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('no package index: the message says pip could not reach its index, and the failure is recorded for later commands', { skip: python3 ? false : 'needs python3 with venv', timeout: 120_000 }, () => {
  const root = tempRoot();
  try {
    const env = cleanEnv({ GRASPLAB_SETUP_PYTHON: python3!, GRASPLAB_VENV_DIR: path.join(root, '.venv'), PIP_CONFIG_FILE: os.devNull, PIP_INDEX_URL: `file://${root}/no-index/simple` });
    const r = setupVenv({ env, root, log: () => {} });
    assert.equal(r.ok, false, 'pip cannot install from a missing index');
    assert.equal(r.failure!.kind, 'no-index', JSON.stringify(r.failure));
    assert.match(failureMessage(r.failure!), /pip could not get the packages of requirements.txt from its package index[\s\S]*PIP_INDEX_URL/);
    assert.equal(venvState(env, root).upToDate, false);
    assert.ok(fs.existsSync(jupyterPaths(env, root).failureFile));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('up to date = the venv python exists and its stamp is the hash of requirements.txt; a changed file makes it stale', () => {
  const root = tempRoot();
  try {
    const env = cleanEnv({ GRASPLAB_VENV_DIR: path.join(root, '.venv') });
    const p = jupyterPaths(env, root);
    assert.equal(venvState(env, root).exists, false);
    fs.mkdirSync(path.dirname(p.python), { recursive: true });
    fs.writeFileSync(p.python, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    fs.writeFileSync(p.stamp, requirementsHash(p) + '\n');
    assert.deepEqual([venvState(env, root).exists, venvState(env, root).upToDate], [true, true]);
    assert.deepEqual(jupyterPython({ env, root, setup: false }), { python: p.python });
    fs.appendFileSync(p.requirements, 'pyzmq==27.2.0\n');
    assert.equal(venvState(env, root).upToDate, false, 'requirements.txt changed');
    const stale = jupyterPython({ env, root, setup: false });
    assert.ok('message' in stale && /out of date; run: npm run setup:python/.test(stale.message));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('GRASPLAB_PYTHON must have the runner modules', () => {
  const r = jupyterPython({ env: cleanEnv({ GRASPLAB_PYTHON: path.join(os.tmpdir(), 'no-such-python') }) });
  assert.ok('message' in r && /GRASPLAB_PYTHON=.*cannot import nbclient/.test(r.message));
});
