/**
 * Runs every notebook in notebooks/ in order, headless, on the project-local tslab kernel, and writes each executed
 * report as HTML. `npm run reproduce` writes into results/; `--smoke` (npm test) runs the smoke profile and writes
 * into a temp dir so committed results are untouched. Fails (exit 1) naming the notebook and cell on any cell error.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { dryRun } from '../lib/config/dry_run';
import { jupyterPython } from '../lib/config/jupyter_env';
import { PROJECT_ROOT } from '../lib/config/paths';
import { removeInside } from '../lib/config/safe_remove';

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
// `--fresh` (npm run reproduce) deletes earlier training runs so every number comes from this execution; without it,
// notebooks reload finished runs of the same config and resume interrupted ones.
const fresh = args.includes('--fresh');
const only = args.filter((a) => !a.startsWith('--'));

// The project's .venv (set up by npm install; refreshed here if requirements.txt changed), or GRASPLAB_PYTHON.
const found = jupyterPython();
if ('message' in found) {
  console.error(found.message);
  process.exit(1);
}
const python = found.python;

const nbDir = path.join(PROJECT_ROOT, 'notebooks');
let notebooks = fs.readdirSync(nbDir).filter((f) => /^\d\d_.*\.ipynb$/.test(f)).sort();
if (only.length) notebooks = notebooks.filter((f) => only.some((o) => f.includes(o)));
if (!notebooks.length) {
  console.error(`grasplab: no notebooks matching ${only.join(', ') || 'NN_*.ipynb'} in ${nbDir}`);
  process.exit(1);
}

const env: NodeJS.ProcessEnv = {
  ...process.env,
  JUPYTER_PATH: [path.join(PROJECT_ROOT, '.jupyter', 'share', 'jupyter'), process.env.JUPYTER_PATH].filter(Boolean).join(path.delimiter),
  PATH: [path.join(PROJECT_ROOT, 'node_modules', '.bin'), process.env.PATH].join(path.delimiter),
  // Keep ipykernel/jupyter from writing into a read-only or shared home.
  JUPYTER_RUNTIME_DIR: process.env.JUPYTER_RUNTIME_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-jupyter-')),
};
let htmlDir = path.join(PROJECT_ROOT, 'results');
const dry = dryRun(env);
if (smoke) {
  env.GRASPLAB_PROFILE = 'smoke';
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-smoke-'));
  env.GRASPLAB_RESULTS_DIR ??= path.join(tmp, 'results');
  if (!env.GRASPLAB_DATA_DIR && (env.GRASPLAB_DATASET ?? 'synthetic') === 'synthetic') env.GRASPLAB_DATA_DIR = path.join(tmp, 'data');
  htmlDir = env.GRASPLAB_RESULTS_DIR;
} else if (dry) {
  // a dry run's numbers mean nothing: its runs, metrics and reports never touch results/ (fresh every time)
  env.GRASPLAB_RESULTS_DIR ??= path.join(PROJECT_ROOT, 'results', 'tmp', `dry-run-${env.GRASPLAB_PROFILE ?? 'cpu'}`);
  htmlDir = path.resolve(env.GRASPLAB_RESULTS_DIR);
  fs.rmSync(path.join(htmlDir, 'runs'), { recursive: true, force: true });
} else if (env.GRASPLAB_RESULTS_DIR) {
  htmlDir = path.resolve(env.GRASPLAB_RESULTS_DIR);
}
// Full runs use the threaded wasm build on multi-core machines: PSPNet trains ~1.3x faster on 2 cores, and 4 PSPNet
// training steps gave the single-threaded build's losses to 10 digits. Tests keep the stock build. Set
// GRASPLAB_WASM_THREADS yourself to choose (empty = single-threaded).
if (!smoke && env.GRASPLAB_WASM_THREADS === undefined && os.cpus().length >= 2) env.GRASPLAB_WASM_THREADS = String(Math.min(4, os.cpus().length));
fs.mkdirSync(htmlDir, { recursive: true });
if (fresh) removeInside(htmlDir, path.join(htmlDir, 'runs'));

console.log(
  `[notebooks] profile ${env.GRASPLAB_PROFILE ?? 'cpu'}${dry ? ` — ${dry.note}` : ''}, dataset ${env.GRASPLAB_DATASET ?? 'synthetic'}, wasm threads ${env.GRASPLAB_WASM_THREADS || 1}, ${notebooks.length} notebook(s), HTML -> ${htmlDir}`,
);
const t0 = Date.now();
const r = spawnSync(
  python,
  [path.join(PROJECT_ROOT, 'scripts', 'run_notebooks.py'), '--html-dir', htmlDir, ...notebooks.map((f) => path.join(nbDir, f))],
  { stdio: 'inherit', env },
);
if (r.status !== 0) {
  console.error(`[notebooks] failed after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  process.exit(r.status ?? 1);
}
console.log(`[notebooks] all ${notebooks.length} notebook(s) ok in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
