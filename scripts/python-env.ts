/**
 * The project's Jupyter environment (lib/config/jupyter_env.ts), from npm scripts:
 *   setup [--postinstall] [--force]  create/refresh .venv from requirements.txt (npm install's postinstall: never
 *                                     fails the install, prints what is missing and the fix instead)
 *   ensure                            make sure Jupyter is ready (GRASPLAB_PYTHON, or .venv set up now if stale); else
 *                                     print the message and exit 1 (npm test's first step)
 *   check                             exit 0 when Jupyter is ready, else print the message and exit 1; never installs
 *   kernel-install                    install the tslab kernel spec into .jupyter/ with the venv's Python
 *   lab [jupyter lab args]            JupyterLab on notebooks/ with the project's kernel
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { failureMessage, jupyterPython, setupVenv, venvState } from '../lib/config/jupyter_env';
import { PROJECT_ROOT } from '../lib/config/paths';

const [cmd, ...rest] = process.argv.slice(2);

function pythonOrExit(): string {
  const r = jupyterPython();
  if ('message' in r) {
    console.error(r.message);
    process.exit(1);
  }
  return r.python;
}

/** Environment that finds the project's tslab (kernel binary) and kernel spec. */
function jupyterEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    JUPYTER_PATH: [path.join(PROJECT_ROOT, '.jupyter', 'share', 'jupyter'), process.env.JUPYTER_PATH].filter(Boolean).join(path.delimiter),
    PATH: [path.join(PROJECT_ROOT, 'node_modules', '.bin'), process.env.PATH].join(path.delimiter),
  };
}

function kernelInstall(python: string): void {
  const tslab = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'tslab');
  const r = spawnSync(tslab, ['install', `--python=${python}`, `--prefix=${path.join(PROJECT_ROOT, '.jupyter')}`, `--binary=${tslab}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) {
    console.error(`grasplab: installing the tslab kernel spec with ${python} failed (exit ${r.status ?? r.signal ?? r.error?.message})`);
    process.exit(1);
  }
}

switch (cmd) {
  case 'setup': {
    const postinstall = rest.includes('--postinstall');
    if (postinstall && process.env.GRASPLAB_SKIP_PYTHON_SETUP) {
      console.log('grasplab: GRASPLAB_SKIP_PYTHON_SETUP is set: .venv not checked');
      break;
    }
    try {
      const r = setupVenv({ force: rest.includes('--force') });
      if (r.ok) {
        if (r.unchanged && !postinstall) console.log(`grasplab: ${path.relative(PROJECT_ROOT, path.dirname(path.dirname(r.python!))) || '.venv'} is up to date`);
      } else {
        console.error(failureMessage(r.failure!) + (postinstall ? '\n  (npm install itself succeeded; only the notebooks need this.)' : ''));
        if (!postinstall) process.exitCode = 1;
      }
    } catch (e) {
      // an unexpected problem must not fail `npm install` either
      console.error(`grasplab: setting up .venv failed: ${e instanceof Error ? e.message : String(e)}`);
      if (!postinstall) process.exitCode = 1;
    }
    break;
  }
  case 'check': {
    const r = jupyterPython({ setup: false });
    if ('message' in r) {
      console.error(r.message);
      process.exitCode = 1;
    } else console.log(r.python);
    break;
  }
  case 'ensure':
    pythonOrExit();
    break;
  case 'kernel-install':
    kernelInstall(pythonOrExit());
    break;
  case 'lab': {
    const python = pythonOrExit();
    kernelInstall(python);
    const state = venvState();
    const jupyter = process.env.GRASPLAB_PYTHON ? [python, '-m', 'jupyter'] : [path.join(path.dirname(state.paths.python), 'jupyter')];
    const r = spawnSync(jupyter[0], [...jupyter.slice(1), 'lab', path.join(PROJECT_ROOT, 'notebooks'), ...rest], { stdio: 'inherit', env: jupyterEnv() });
    process.exitCode = r.status ?? 1;
    break;
  }
  default:
    console.error('usage: tsx scripts/python-env.ts setup [--postinstall] [--force] | ensure | check | kernel-install | lab [args]');
    process.exitCode = 2;
}
