import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { selectBackend } from '../backend/setup';
import { wasmThreadsFromEnv, wasmThreadsInUse } from '../backend/wasm_threads';
import { dryRun } from '../config/dry_run';
import { jupyterPackageVersions, venvState } from '../config/jupyter_env';
import { currentDataset, PROJECT_ROOT, resultsDir, type DatasetKind } from '../config/paths';
import { currentProfile, type Profile } from '../config/profiles';
import { testSplitOf } from '../data/dataset_choice';
import { listCornell } from '../data/cornell';
import { listJacquard } from '../data/jacquard';
import { profileMemory, WASM_HEAP_LIMIT_BYTES, type RunMemory } from '../models/profile_memory';
import type { DOCTOR } from './commands';
import type { CliIO } from './run';
import type { Parsed } from './spec';

/**
 * `grasplab doctor`: what a user needs to know before a long run, in one report (text, or JSON with --json). It never
 * fails for a missing piece: missing pieces are what it reports.
 */
export interface DoctorReport {
  node: { version: string; platform: string; arch: string; cpus: number };
  tfjs: { version: string | null; wasmBackend: string | null };
  backend: { selected: string; choice: string; skipped: string[]; forced: string | null };
  /** what tfjs-node-gpu needs from the system (it dlopens CUDA 11.2 / cuDNN 8 libraries) */
  gpu: { package: string; installed: string | null; driver: string | null; libraries: { name: string; found: string | null }[] };
  wasm: { threadsRequested: number | null; threadsInUse: number | null; cores: number; note: string };
  onnxruntime: { installed: boolean; version: string | null; path: string | null };
  jupyter: {
    venv: string;
    python: string | null;
    pythonVersion: string | null;
    upToDate: boolean;
    packages: Record<string, string | null> | null;
    kernelSpec: { path: string; installed: boolean; binary: string | null; binaryExists: boolean };
    overridePython: string | null;
    problem: string | null;
  };
  datasets: { kind: DatasetKind; dir: string; selected: boolean; samples: number; testSplit: { dir: string; samples: number } | null }[];
  memory: { totalMB: number; availableMB: number; wasmHeapLimitMB: number };
  disk: { path: string; freeMB: number; totalMB: number };
  profile: {
    name: string;
    dryRun: string | null;
    batchSize: number;
    runs: RunMemory[];
    largest: RunMemory;
    calibration: string;
  };
  warnings: string[];
}

const MB = 2 ** 20;

/** tfjs-node-gpu 4.22 loads libtensorflow 2.9 built for CUDA 11.2 and cuDNN 8 (tfjs-node README): these sonames. */
export const CUDA_LIBRARIES = [
  'libcuda.so.1',
  'libcudart.so.11.0',
  'libcublas.so.11',
  'libcublasLt.so.11',
  'libcufft.so.10',
  'libcurand.so.10',
  'libcusolver.so.11',
  'libcusparse.so.11',
  'libcudnn.so.8',
];

export async function doctorReport(env: NodeJS.ProcessEnv = process.env, opts: { profile?: string } = {}): Promise<DoctorReport> {
  const warnings: string[] = [];
  const profile = currentProfile(opts.profile ? { ...env, GRASPLAB_PROFILE: opts.profile } : env);

  // backend: the same selection every command makes
  const sel = await selectBackend({ quiet: true, env });
  const gpuPkg = packageVersion('@tensorflow/tfjs-node-gpu');
  const gpu = { package: '@tensorflow/tfjs-node-gpu', installed: gpuPkg, driver: nvidiaDriver(), libraries: findLibraries(CUDA_LIBRARIES, env) };
  if (gpuPkg) {
    const missing = gpu.libraries.filter((l) => !l.found).map((l) => l.name);
    if (missing.length && sel.choice !== 'tensorflow-gpu') warnings.push(`tfjs-node-gpu is installed but ${missing.join(', ')} were not found: it cannot use a GPU`);
  }

  let threadsRequested: number | null = null;
  try {
    threadsRequested = wasmThreadsFromEnv(env) ?? null;
  } catch (e) {
    warnings.push((e as Error).message);
  }

  const ort = onnxRuntime();
  const jupyter = jupyterReport(env);
  if (jupyter.problem) warnings.push(jupyter.problem);
  const datasets = datasetReport(env);
  const selectedSet = datasets.find((d) => d.selected);
  if (selectedSet && selectedSet.samples === 0) {
    warnings.push(`the selected dataset (${selectedSet.kind}) has no samples in ${selectedSet.dir}${selectedSet.kind === 'synthetic' ? ' (the notebooks generate it; or npm run data)' : ''}`);
  }

  const totalMB = os.totalmem() / MB;
  const availableMB = memAvailableBytes() / MB;
  const disk = diskFree(resultsDir(env));

  const mem = profileMemory(profile);
  const largest = mem.runs.reduce((a, b) => (b.trainBytes > a.trainBytes ? b : a));
  if (sel.backend === 'wasm' && !largest.fitsWasm) {
    warnings.push(
      `the ${profile.name} profile's largest run (${largest.name}, batch ${largest.batch}) needs ~${(largest.trainBytes / 2 ** 30).toFixed(1)} GB; ` +
        `the wasm backend's heap is capped at 4 GB: use tfjs-node(-gpu) for this profile`,
    );
  }
  if (largest.trainBytes > availableMB * MB) warnings.push(`the largest run needs ~${(largest.trainBytes / 2 ** 30).toFixed(1)} GB, more than the ${(availableMB / 1024).toFixed(1)} GB of memory available now`);

  return {
    node: { version: process.version, platform: process.platform, arch: process.arch, cpus: os.cpus().length },
    tfjs: { version: packageVersion('@tensorflow/tfjs'), wasmBackend: packageVersion('@tensorflow/tfjs-backend-wasm') },
    backend: { selected: sel.backend, choice: sel.choice, skipped: sel.skipped, forced: env.GRASPLAB_BACKEND?.trim() || null },
    gpu,
    wasm: {
      threadsRequested,
      threadsInUse: sel.backend === 'wasm' ? (wasmThreadsInUse() ?? 1) : null,
      cores: os.cpus().length,
      note:
        threadsRequested === null
          ? 'single-threaded wasm build (GRASPLAB_WASM_THREADS unset; npm run reproduce sets min(4, cores) on multi-core machines)'
          : `threaded wasm build requested with ${threadsRequested} threads`,
    },
    onnxruntime: ort,
    jupyter,
    datasets,
    memory: { totalMB: round(totalMB), availableMB: round(availableMB), wasmHeapLimitMB: WASM_HEAP_LIMIT_BYTES / MB },
    disk: { path: disk.path, freeMB: round(disk.freeMB), totalMB: round(disk.totalMB) },
    profile: { name: profile.name, dryRun: dryRun(env)?.note ?? null, batchSize: profile.batchSize, runs: mem.runs, largest, calibration: mem.calibration },
    warnings,
  };
}

function round(v: number): number {
  return Math.round(v);
}

/** Installed version of an npm package (by require.resolve from the project), or null. */
export function packageVersion(name: string): string | null {
  try {
    const pkg = require.resolve(`${name}/package.json`, { paths: [PROJECT_ROOT] });
    return (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

/** onnxruntime-node (an optional dependency): detected, never required. */
function onnxRuntime(): DoctorReport['onnxruntime'] {
  try {
    const pkg = require.resolve('onnxruntime-node/package.json', { paths: [PROJECT_ROOT] });
    const version = (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version?: string }).version ?? null;
    return { installed: true, version, path: path.dirname(pkg) };
  } catch {
    return { installed: false, version: null, path: null };
  }
}

function nvidiaDriver(): string | null {
  try {
    const text = fs.readFileSync('/proc/driver/nvidia/version', 'utf8');
    return text.split('\n')[0].trim() || null;
  } catch {
    return null;
  }
}

/** Where each shared library would be found: LD_LIBRARY_PATH, the ldconfig cache, then the usual CUDA folders. */
export function findLibraries(names: readonly string[], env: NodeJS.ProcessEnv = process.env): { name: string; found: string | null }[] {
  if (process.platform !== 'linux') return names.map((name) => ({ name, found: null }));
  const dirs = [
    ...(env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    '/usr/local/cuda/lib64',
    '/usr/local/cuda-11.2/lib64',
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
  ];
  const cache = new Map<string, string>();
  const ld = spawnSync('ldconfig', ['-p'], { encoding: 'utf8' });
  const ldOut = ld.status === 0 ? ld.stdout : spawnSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' }).stdout ?? '';
  for (const line of ldOut.split('\n')) {
    const m = /^\s*(\S+)\s.*=>\s*(\S+)/.exec(line);
    if (m && !cache.has(m[1])) cache.set(m[1], m[2]);
  }
  return names.map((name) => {
    for (const d of dirs.slice(0, (env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean).length)) {
      if (fs.existsSync(path.join(d, name))) return { name, found: path.join(d, name) };
    }
    if (cache.has(name)) return { name, found: cache.get(name)! };
    for (const d of dirs) if (fs.existsSync(path.join(d, name))) return { name, found: path.join(d, name) };
    return { name, found: null };
  });
}

function jupyterReport(env: NodeJS.ProcessEnv): DoctorReport['jupyter'] {
  const state = venvState(env, PROJECT_ROOT, { probe: true });
  const override = env.GRASPLAB_PYTHON || null;
  const python = override ?? (state.exists ? state.paths.python : null);
  let pythonVersion: string | null = null;
  let packages: Record<string, string | null> | null = null;
  if (python) {
    const v = spawnSync(python, ['--version'], { encoding: 'utf8' });
    pythonVersion = v.status === 0 ? (v.stdout || v.stderr).trim().replace(/^Python /, '') : null;
    packages = jupyterPackageVersions(python, env) ?? null;
  }
  let binary: string | null = null;
  const installed = fs.existsSync(state.paths.kernelSpec);
  if (installed) {
    try {
      binary = (JSON.parse(fs.readFileSync(state.paths.kernelSpec, 'utf8')) as { argv?: string[] }).argv?.[0] ?? null;
    } catch {
      binary = null;
    }
  }
  let problem: string | null = null;
  if (!override && !state.upToDate) {
    problem = state.lastFailure
      ? `Jupyter (.venv) is not set up: ${state.lastFailure.missing}; fix: ${state.lastFailure.fix}, then npm run setup:python`
      : `Jupyter (.venv) is ${state.exists ? 'out of date' : 'missing'}: npm run setup:python`;
  } else if (packages && Object.entries(packages).some(([k, v]) => v === null && k !== 'jupyterlab')) {
    problem = `${python} lacks ${Object.entries(packages).filter(([, v]) => v === null).map(([k]) => k).join(', ')}`;
  } else if (!installed) {
    problem = 'the tslab kernel spec is not installed: npm run kernel:install';
  }
  return {
    venv: state.paths.venvDir,
    python,
    pythonVersion,
    upToDate: state.upToDate,
    packages,
    kernelSpec: { path: state.paths.kernelSpec, installed, binary, binaryExists: binary !== null && fs.existsSync(binary) },
    overridePython: override,
    problem,
  };
}

function datasetReport(env: NodeJS.ProcessEnv): DoctorReport['datasets'] {
  const selected = currentDataset(env);
  const kinds: DatasetKind[] = ['synthetic', 'cornell', 'jacquard'];
  return kinds.map((kind) => {
    const choice = kind === selected.kind ? selected : currentDataset({ ...env, GRASPLAB_DATASET: kind, GRASPLAB_DATA_DIR: undefined });
    const count = (dir: string) => (kind === 'jacquard' ? listJacquard(dir).length : listCornell(dir).length);
    const test = testSplitOf(choice);
    return {
      kind,
      dir: choice.dir,
      selected: kind === selected.kind,
      samples: count(choice.dir),
      testSplit: test ? { dir: test.dir, samples: listCornell(test.dir).length } : null,
    };
  });
}

/** MemAvailable from /proc/meminfo (what can be allocated without swapping), else os.freemem(). */
function memAvailableBytes(): number {
  try {
    const m = /MemAvailable:\s+(\d+) kB/.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    /* not Linux */
  }
  return os.freemem();
}

function diskFree(dir: string): { path: string; freeMB: number; totalMB: number } {
  let probe = path.resolve(dir);
  while (!fs.existsSync(probe)) probe = path.dirname(probe);
  const st = fs.statfsSync(probe);
  return { path: probe, freeMB: (st.bavail * st.bsize) / MB, totalMB: (st.blocks * st.bsize) / MB };
}

// ---- text ------------------------------------------------------------------------------------------------------

export function formatDoctor(r: DoctorReport): string {
  const ok = (b: boolean) => (b ? 'ok ' : '-- ');
  const gb = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GB`;
  const L: string[] = [];
  L.push(`node ${r.node.version} (${r.node.platform}/${r.node.arch}, ${r.node.cpus} cores); tfjs ${r.tfjs.version ?? 'missing'}, tfjs-backend-wasm ${r.tfjs.wasmBackend ?? 'missing'}`);
  L.push('', `backend: ${r.backend.selected} (${r.backend.choice})${r.backend.forced ? ` forced by GRASPLAB_BACKEND=${r.backend.forced}` : ''}`);
  for (const s of r.backend.skipped) L.push(`  skipped ${s}`);
  L.push(`  tfjs-node-gpu ${r.gpu.installed ?? 'not installed'}; NVIDIA driver: ${r.gpu.driver ?? 'none found'}; CUDA 11.2 / cuDNN 8 libraries it loads:`);
  for (const l of r.gpu.libraries) L.push(`    ${ok(!!l.found)}${l.name.padEnd(20)} ${l.found ?? 'not found'}`);
  L.push(`  wasm: ${r.wasm.note}; ${r.wasm.cores} cores`);
  L.push(`  onnxruntime-node: ${r.onnxruntime.installed ? `${r.onnxruntime.version} (${r.onnxruntime.path})` : 'not installed (optional)'}`);
  const j = r.jupyter;
  L.push('', `jupyter: ${j.overridePython ? `GRASPLAB_PYTHON=${j.overridePython}` : `${j.venv} ${j.upToDate ? '(up to date)' : '(NOT ready)'}`}; python ${j.pythonVersion ?? '-'}`);
  if (j.packages) L.push(`  ${Object.entries(j.packages).map(([k, v]) => `${k} ${v ?? 'MISSING'}`).join(', ')}`);
  L.push(`  ${ok(j.kernelSpec.installed && j.kernelSpec.binaryExists)}tslab kernel spec ${j.kernelSpec.installed ? j.kernelSpec.path : 'not installed (npm run kernel:install)'}`);
  L.push('', 'datasets (GRASPLAB_DATASET / GRASPLAB_DATA_DIR):');
  for (const d of r.datasets) {
    L.push(`  ${d.selected ? '*' : ' '} ${d.kind.padEnd(9)} ${String(d.samples).padStart(6)} samples  ${d.dir}${d.testSplit ? `; test split ${d.testSplit.samples} in ${d.testSplit.dir}` : ''}`);
  }
  L.push('', `memory: ${(r.memory.availableMB / 1024).toFixed(1)} GB available of ${(r.memory.totalMB / 1024).toFixed(1)} GB; disk: ${(r.disk.freeMB / 1024).toFixed(1)} GB free at ${r.disk.path}`);
  const p = r.profile;
  L.push('', `profile ${p.name}${p.dryRun ? ` — ${p.dryRun}` : ''}: training memory per run (estimate; wasm heap limit 4 GB):`);
  for (const run of p.runs) {
    L.push(`  ${run === p.largest ? '>' : ' '} ${run.name.padEnd(34)} batch ${String(run.batch).padStart(2)}  ${gb(run.trainBytes).padStart(9)}  ${run.fitsWasm ? 'fits wasm' : 'too big for wasm'}`);
  }
  L.push(`  (${p.calibration})`);
  if (r.warnings.length) L.push('', 'warnings:', ...r.warnings.map((w) => `  ! ${w}`));
  return L.join('\n');
}

export async function doctorCommand({ values }: Parsed<typeof DOCTOR.options>, io: CliIO): Promise<number> {
  const report = await doctorReport(process.env, { profile: values.profile });
  io.out(values.json ? JSON.stringify(report, null, 2) : formatDoctor(report));
  return 0;
}
