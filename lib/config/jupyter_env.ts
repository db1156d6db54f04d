import { spawnSync, type SpawnSyncReturns } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_ROOT } from './paths';

/**
 * The project's own Jupyter: a virtual environment `.venv/` (git-ignored) with the pinned `requirements.txt`
 * (jupyterlab, nbclient, nbconvert, ipykernel), created by `npm install` (postinstall, scripts/python-env.ts) and
 * refreshed when requirements.txt changes. The notebook runner, the kernel spec and `npm run lab` use its Python,
 * so whatever the system Python has installed does not matter.
 *
 * When it cannot be made (no Python 3, no venv module, no package index), `npm install` still succeeds and prints one
 * message naming the missing piece and the command that fixes it; the commands that need Jupyter stop with the
 * same message (kept in `.venv-setup.json`).
 *
 * Environment overrides: `GRASPLAB_PYTHON` — use this Python (it must have Jupyter) instead of `.venv`;
 * `GRASPLAB_SETUP_PYTHON` — the Python that creates `.venv` (default `python3`, else `python`);
 * `GRASPLAB_VENV_DIR` — where the venv lives (default `<project>/.venv`; tests use a temp dir).
 */

/** Python modules the notebook runner and JupyterLab need (import names). */
export const JUPYTER_MODULES = ['nbclient', 'nbconvert', 'nbformat', 'ipykernel', 'jupyter_client', 'jupyterlab'] as const;
/** What the runner alone needs (a Python given by GRASPLAB_PYTHON may lack JupyterLab). */
export const RUNNER_MODULES = ['nbclient', 'nbconvert', 'nbformat', 'ipykernel'] as const;
export const MIN_PYTHON: [number, number] = [3, 9];
/** Bump when the set-up itself changes in a way that needs a fresh install. */
const SETUP_VERSION = 1;

export interface JupyterPaths {
  venvDir: string;
  /** the venv's python executable */
  python: string;
  requirements: string;
  /** hash of requirements.txt that the venv was installed from */
  stamp: string;
  /** last set-up failure, for commands that need Jupyter later */
  failureFile: string;
  /** `.jupyter/share/jupyter/kernels/tslab/kernel.json` (npm run kernel:install) */
  kernelSpec: string;
}

export function jupyterPaths(env: NodeJS.ProcessEnv = process.env, root = PROJECT_ROOT): JupyterPaths {
  const venvDir = env.GRASPLAB_VENV_DIR ? path.resolve(env.GRASPLAB_VENV_DIR) : path.join(root, '.venv');
  const python = process.platform === 'win32' ? path.join(venvDir, 'Scripts', 'python.exe') : path.join(venvDir, 'bin', 'python');
  return {
    venvDir,
    python,
    requirements: path.join(root, 'requirements.txt'),
    stamp: path.join(venvDir, 'grasplab-requirements.sha256'),
    failureFile: venvDir + '-setup.json',
    kernelSpec: path.join(root, '.jupyter', 'share', 'jupyter', 'kernels', 'tslab', 'kernel.json'),
  };
}

/** sha256 of requirements.txt (and the set-up version): the venv is out of date when its stamp differs. */
export function requirementsHash(p: JupyterPaths): string {
  const text = fs.existsSync(p.requirements) ? fs.readFileSync(p.requirements, 'utf8') : '';
  return crypto.createHash('sha256').update(`grasplab-setup ${SETUP_VERSION}\n`).update(text).digest('hex');
}

/** Why the set-up failed: the missing piece, in words, and the command that fixes it. */
export interface SetupFailure {
  kind: 'no-python' | 'old-python' | 'no-venv' | 'venv-failed' | 'no-index' | 'pip-failed' | 'broken-venv';
  /** what is missing or wrong */
  missing: string;
  /** the command(s) that fix it */
  fix: string;
  /** the last lines of the failing tool's output, if any */
  detail?: string;
}

/** The one message printed by `npm install` and by every command that needs Jupyter. */
export function failureMessage(f: SetupFailure): string {
  return [
    `grasplab: the project's Jupyter environment (.venv) is not set up: ${f.missing}.`,
    `  Fix: ${f.fix}`,
    `  Then: npm run setup:python   (npm install runs it too). Or set GRASPLAB_PYTHON to a Python that has Jupyter.`,
    ...(f.detail ? [`  (${f.detail})`] : []),
  ].join('\n');
}

export interface VenvState {
  paths: JupyterPaths;
  /** the venv python exists and runs */
  exists: boolean;
  /** installed from the current requirements.txt */
  upToDate: boolean;
  /** the last set-up failure recorded, if the venv is not ready */
  lastFailure?: SetupFailure;
}

/** What `.venv` is now (cheap: no Python started unless `probe`). */
export function venvState(env: NodeJS.ProcessEnv = process.env, root = PROJECT_ROOT, opts: { probe?: boolean } = {}): VenvState {
  const paths = jupyterPaths(env, root);
  let exists = fs.existsSync(paths.python);
  if (exists && opts.probe) exists = run(paths.python, ['-c', 'import sys']).status === 0;
  const stamp = exists && fs.existsSync(paths.stamp) ? fs.readFileSync(paths.stamp, 'utf8').trim() : '';
  const upToDate = exists && stamp === requirementsHash(paths);
  let lastFailure: SetupFailure | undefined;
  if (!upToDate && fs.existsSync(paths.failureFile)) {
    try {
      lastFailure = (JSON.parse(fs.readFileSync(paths.failureFile, 'utf8')) as { failure?: SetupFailure }).failure;
    } catch {
      /* a damaged record is ignored: the next set-up rewrites it */
    }
  }
  return { paths, exists, upToDate, lastFailure };
}

export interface SetupResult {
  ok: boolean;
  /** already up to date: nothing was done */
  unchanged: boolean;
  python?: string;
  failure?: SetupFailure;
}

export interface SetupOptions {
  env?: NodeJS.ProcessEnv;
  root?: string;
  /** reinstall even when up to date */
  force?: boolean;
  log?: (msg: string) => void;
}

/**
 * Creates or refreshes `.venv` from requirements.txt. Never throws for an environment problem: returns the failure
 * (also recorded in `.venv-setup.json` for later commands).
 */
export function setupVenv(opts: SetupOptions = {}): SetupResult {
  const env = opts.env ?? process.env;
  const log = opts.log ?? ((m: string) => console.log(m));
  const state = venvState(env, opts.root, { probe: true });
  const p = state.paths;
  if (state.upToDate && !opts.force) return { ok: true, unchanged: true, python: p.python };
  const failure = trySetup(p, env, log, state.exists);
  if (failure) {
    fs.mkdirSync(path.dirname(p.failureFile), { recursive: true });
    fs.writeFileSync(p.failureFile, JSON.stringify({ failure, at: new Date().toISOString() }, null, 2) + '\n');
    return { ok: false, unchanged: false, failure };
  }
  fs.rmSync(p.failureFile, { force: true });
  fs.writeFileSync(p.stamp, requirementsHash(p) + '\n');
  return { ok: true, unchanged: false, python: p.python };
}

function trySetup(p: JupyterPaths, env: NodeJS.ProcessEnv, log: (m: string) => void, reuse: boolean): SetupFailure | undefined {
  const base = findBasePython(env);
  if ('failure' in base) return base.failure;
  const { python, version } = base;
  const aptVenv = `sudo apt-get install python3-venv (Debian/Ubuntu; or python${version[0]}.${version[1]}-venv)`;
  if (!reuse) {
    const probe = run(python, ['-c', 'import venv, ensurepip'], env);
    if (probe.status !== 0) {
      return { kind: 'no-venv', missing: `Python ${version.join('.')} (${python}) has no venv module (venv/ensurepip), which creates .venv`, fix: aptVenv, detail: lastLines(probe) };
    }
    fs.rmSync(p.venvDir, { recursive: true, force: true });
    log(`grasplab: creating ${rel(p.venvDir)} with ${python} (Python ${version.join('.')}) ...`);
    const made = run(python, ['-m', 'venv', p.venvDir], env);
    if (made.status !== 0 || !fs.existsSync(p.python)) {
      fs.rmSync(p.venvDir, { recursive: true, force: true });
      const noPip = /ensurepip/.test(out(made));
      return {
        kind: noPip ? 'no-venv' : 'venv-failed',
        missing: noPip ? `Python ${version.join('.')} (${python}) cannot create a venv with pip (ensurepip is missing)` : `\`${python} -m venv\` failed`,
        fix: noPip ? aptVenv : `check that ${python} -m venv /tmp/test-venv works`,
        detail: lastLines(made),
      };
    }
  }
  log(`grasplab: installing Jupyter into ${rel(p.venvDir)} from requirements.txt (pip; about 240 MB, a minute or two) ...`);
  const t0 = Date.now();
  // --retries 1: an unreachable index fails in seconds instead of pip's minutes of retries per package
  const pip = run(p.python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--retries', '1', '-r', p.requirements], env);
  if (pip.status !== 0) {
    const text = out(pip);
    const noIndex =
      /No matching distribution found|Could not find a version that satisfies|Failed to establish a new connection|Temporary failure in name resolution|Name or service not known|Network is unreachable|ConnectionError|ProxyError|HTTPSConnectionPool|No such file or directory: '.*simple/i.test(
        text,
      );
    return noIndex
      ? {
          kind: 'no-index',
          missing: 'pip could not get the packages of requirements.txt from its package index (the index is unreachable, or lacks these versions)',
          fix: 'connect to the network, or point pip at an index or mirror that has them (pip config list; PIP_INDEX_URL=...)',
          detail: lastLines(pip, 2),
        }
      : { kind: 'pip-failed', missing: 'pip install -r requirements.txt failed', fix: `read pip's error below, fix it, and retry`, detail: lastLines(pip, 3) };
  }
  const check = run(p.python, ['-c', `import ${JUPYTER_MODULES.join(', ')}`], env);
  if (check.status !== 0) {
    return { kind: 'broken-venv', missing: `.venv lacks Jupyter modules after pip install`, fix: `rm -rf ${rel(p.venvDir)}`, detail: lastLines(check) };
  }
  log(`grasplab: Jupyter installed in ${rel(p.venvDir)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  return undefined;
}

/** The Python that creates the venv: GRASPLAB_SETUP_PYTHON, else python3, else python; at least 3.9. */
function findBasePython(env: NodeJS.ProcessEnv): { python: string; version: number[] } | { failure: SetupFailure } {
  const candidates = env.GRASPLAB_SETUP_PYTHON ? [env.GRASPLAB_SETUP_PYTHON] : ['python3', 'python'];
  let old: { python: string; version: number[] } | undefined;
  for (const python of candidates) {
    const r = run(python, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])'], env);
    if (r.status !== 0) continue;
    const version = r.stdout.trim().split('.').map(Number);
    if (version[0] > MIN_PYTHON[0] || (version[0] === MIN_PYTHON[0] && version[1] >= MIN_PYTHON[1])) return { python, version };
    old = { python, version };
  }
  if (old) {
    return {
      failure: { kind: 'old-python', missing: `${old.python} is Python ${old.version.join('.')}; JupyterLab needs ≥ ${MIN_PYTHON.join('.')}`, fix: 'install a newer Python 3 (Debian/Ubuntu: sudo apt-get install python3 python3-venv)' },
    };
  }
  return {
    failure: {
      kind: 'no-python',
      missing: `Python 3 was not found (looked for ${candidates.join(', ')})`,
      fix: 'install Python ≥ 3.9 with its venv module (Debian/Ubuntu: sudo apt-get install python3 python3-venv; macOS: brew install python)',
    },
  };
}

/**
 * The Python that runs notebooks: GRASPLAB_PYTHON if set (it must have the runner's modules), else the up-to-date
 * `.venv` (set up now if it is missing or stale). Returns the Python, or the message to print and stop with.
 */
export function jupyterPython(opts: SetupOptions & { setup?: boolean } = {}): { python: string } | { message: string } {
  const env = opts.env ?? process.env;
  if (env.GRASPLAB_PYTHON) {
    const r = run(env.GRASPLAB_PYTHON, ['-c', `import ${RUNNER_MODULES.join(', ')}`], env);
    if (r.status === 0) return { python: env.GRASPLAB_PYTHON };
    return { message: `grasplab: GRASPLAB_PYTHON=${env.GRASPLAB_PYTHON} cannot import ${RUNNER_MODULES.join(', ')} (${lastLines(r)}); unset it to use the project's .venv` };
  }
  const state = venvState(env, opts.root);
  if (state.upToDate) return { python: state.paths.python };
  if (opts.setup === false) {
    return { message: state.lastFailure ? failureMessage(state.lastFailure) : `grasplab: the project's Jupyter environment (.venv) is ${state.exists ? 'out of date' : 'missing'}; run: npm run setup:python` };
  }
  const r = setupVenv(opts);
  return r.ok ? { python: r.python! } : { message: failureMessage(r.failure!) };
}

/** Versions of the venv's Jupyter packages (for `grasplab doctor`), or undefined when it has no python. */
export function jupyterPackageVersions(python: string, env: NodeJS.ProcessEnv = process.env): Record<string, string | null> | undefined {
  const names = ['jupyterlab', 'nbclient', 'nbconvert', 'nbformat', 'ipykernel', 'jupyter_client'];
  const code = `import json, importlib.metadata as m\nr = {}\nfor n in ${JSON.stringify(names)}:\n    try: r[n] = m.version(n)\n    except Exception: r[n] = None\nprint(json.dumps(r))`;
  const r = run(python, ['-c', code], env);
  if (r.status !== 0) return undefined;
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, string | null>;
  } catch {
    return undefined;
  }
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { encoding: 'utf8', env, maxBuffer: 64 * 2 ** 20 });
}

function out(r: SpawnSyncReturns<string>): string {
  return `${r.stdout ?? ''}\n${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}`;
}

/** The last meaningful lines of a tool's output (pip's noise about ignored locations and warnings dropped). */
function lastLines(r: SpawnSyncReturns<string>, n = 1): string {
  const lines = out(r)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^WARNING: (Location|Retrying|The directory)/.test(l) && !/^\[notice\]/.test(l));
  return lines.slice(-n).join(' | ').slice(0, 400);
}

function rel(p: string): string {
  const r = path.relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : p;
}
