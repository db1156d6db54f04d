/**
 * grasplab speed bench (not part of the test suite): `npm run bench -- [flags]`.
 *
 * For GG-CNN, GG-CNN2 and the PSPNet variants of the profiles, per backend: forward ms per image at batch 1 and B,
 * training step ms at batch B (Adam, GG-CNN's MSE loss on [B,S,S,4]), peak memory, and a tensor-leak check
 * (memory after step 10 = after step N). Each (model, backend) runs in its own child process so peak RSS is its own.
 * Prints a table and writes results/bench.json.
 *
 * Flags:
 *   --models a,b        model ids (default: all; see --list), or 'ggcnn,ggcnn2' etc.
 *   --backends a,b      wasm, cpu, tensorflow, tensorflow-gpu (default: wasm,cpu)
 *   --cpu-full          on cpu also time forward at batch B and the train step (very slow); default batch-1 forward only
 *   --stock             also run wasm without grasplab's replacement kernels ("before" numbers)
 *   --threads a,b       wasm builds to run: 0 = tfjs's single-threaded build (default), n = threaded build, n threads
 *   --repeats N         timed repeats per measurement (default 3), after --warmup N (default 2)
 *   --batch N           batch size for forward-B and training (default 8); --size N input size (default 300)
 *   --leak-steps N      train steps for the leak check (default 20; ≤10 disables)
 *   --budget-s N        per-child time budget in seconds; started measurements finish (default 900)
 *   --no-train / --no-forward    skip parts
 *   --profile           print the top kernels of one training step per run
 *   --out FILE          JSON output (default results/bench.json)
 *   --append            merge into an existing --out file (same model+backend+variant+threads replaced)
 *   --list              list model ids and exit
 *   --vs-pytorch        also time the PyTorch twin of each model (bench/pytorch_twin.py, /usr/bin/python3 with Debian's
 *                       python3-torch, or GRASPLAB_PYTHON) right after each wasm run, at the same thread count
 *                       (wasm single-threaded build ↔ 1 torch thread, n threads ↔ n), and print time ratios
 *                       grasplab/PyTorch and achieved GFLOP/s; defaults to --backends wasm --threads 0,2 unless given.
 *                       Skipped with a message where torch is missing.
 *   --no-ort            skip the ONNX Runtime forward timings (default: timed when onnxruntime-node is installed,
 *                       skipped with a note when not); --ort-threads a,b  intra-op threads (default 1,2);
 *                       --ort-spin  let idle ORT threads spin (grasplab's engine does not)
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PROJECT_ROOT } from '../lib/config/paths';
import { benchModels } from './models';
import { formatSummary } from './stats';
import type { MeasureResult, MeasureTask } from './measure';
import { TorchOutcome, compareWithTorch, formatComparison, runTorchTwin, torchThreadsFor } from './pytorch';
import type { OrtResult, OrtTask } from './ort';
import { onnxRuntimeAvailable } from '../lib/export/onnx_runtime';

/** Measured on this machine by the project: original PyTorch GG-CNN, 2 threads, 300x300. */
const PYTORCH_GGCNN = { trainStepMsBatch8: 2100, inferMsPerImage: 96 };
const CHILD_FLAG = '--bench-child';
const ORT_CHILD_FLAG = '--bench-ort-child';

interface Options {
  models: string[];
  backends: MeasureTask['backend'][];
  cpuFull: boolean;
  stock: boolean;
  threads: number[];
  repeats: number;
  warmup: number;
  batch: number;
  size: number;
  leakSteps: number;
  budgetS: number;
  train: boolean;
  forward: boolean;
  profile: boolean;
  out: string;
  append: boolean;
  vsPytorch: boolean;
  ort: boolean;
  ortThreads: number[];
  ortSpin: boolean;
}

function parseArgs(argv: string[]): Options | 'list' {
  const all = benchModels().map((s) => s.id);
  const o: Options = {
    models: all,
    backends: ['wasm', 'cpu'],
    cpuFull: false,
    stock: false,
    threads: [0],
    repeats: 3,
    warmup: 2,
    batch: 8,
    size: 300,
    leakSteps: 20,
    budgetS: 900,
    train: true,
    forward: true,
    profile: false,
    out: path.join(PROJECT_ROOT, 'results', 'bench.json'),
    append: false,
    vsPytorch: false,
    ort: true,
    ortThreads: [1, 2],
    ortSpin: false,
  };
  const given = new Set(argv);
  const num = (v: string | undefined, flag: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${flag} needs a number ≥ 0, got '${v}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    switch (a) {
      case '--list':
        return 'list';
      case '--models':
        o.models = next().split(',').filter(Boolean);
        for (const m of o.models) if (!all.includes(m)) throw new Error(`unknown model '${m}'; known: ${all.join(', ')}`);
        break;
      case '--backends':
        o.backends = next().split(',').filter(Boolean) as Options['backends'];
        for (const b of o.backends) {
          if (!['wasm', 'cpu', 'tensorflow', 'tensorflow-gpu'].includes(b)) throw new Error(`unknown backend '${b}'`);
        }
        break;
      case '--cpu-full': o.cpuFull = true; break;
      case '--stock': o.stock = true; break;
      case '--threads':
        o.threads = next().split(',').filter(Boolean).map((t) => num(t, a));
        for (const t of o.threads) if (!Number.isInteger(t) || t > 8) throw new Error(`--threads: integers 0..8, got ${t}`);
        break;
      case '--repeats': o.repeats = Math.max(1, num(next(), a)); break;
      case '--warmup': o.warmup = num(next(), a); break;
      case '--batch': o.batch = Math.max(1, num(next(), a)); break;
      case '--size': o.size = Math.max(8, num(next(), a)); break;
      case '--leak-steps': o.leakSteps = num(next(), a); break;
      case '--budget-s': o.budgetS = num(next(), a); break;
      case '--no-train': o.train = false; break;
      case '--no-forward': o.forward = false; break;
      case '--profile': o.profile = true; break;
      case '--out': o.out = path.resolve(next()); break;
      case '--append': o.append = true; break;
      case '--vs-pytorch': o.vsPytorch = true; break;
      case '--no-ort': o.ort = false; break;
      case '--ort-spin': o.ortSpin = true; break;
      case '--ort-threads':
        o.ortThreads = next().split(',').filter(Boolean).map((t) => num(t, a));
        for (const t of o.ortThreads) if (!Number.isInteger(t) || t < 1 || t > 16) throw new Error(`--ort-threads: integers 1..16, got ${t}`);
        break;
      default:
        throw new Error(`unknown flag '${a}' (see the header of bench/run.ts)`);
    }
  }
  if (o.vsPytorch) {
    if (!given.has('--backends')) o.backends = ['wasm'];
    if (!given.has('--threads')) o.threads = [0, 2];
  }
  return o;
}

function tasksFor(o: Options): MeasureTask[] {
  const specs = benchModels().filter((s) => o.models.includes(s.id));
  const tasks: MeasureTask[] = [];
  for (const spec of specs) {
    for (const backend of o.backends) {
      const slowCpu = backend === 'cpu' && !o.cpuFull;
      const variants: MeasureTask['variant'][] = backend === 'wasm' && o.stock ? ['stock', 'grasplab'] : ['grasplab'];
      const builds = backend === 'wasm' ? o.threads : [0];
      // 'stock' is the true before: tfjs's own single-threaded build and kernels
      for (const variant of variants) for (const threads of variant === 'stock' ? [0] : builds) {
        tasks.push({
          spec,
          backend,
          variant,
          threads,
          inputSize: o.size,
          batch: o.batch,
          repeats: o.repeats,
          warmup: o.warmup,
          forward1: o.forward,
          forwardB: o.forward && !slowCpu,
          train: o.train && !slowCpu,
          // the leak check is about grasplab's kernels; the stock run only gives 'before' timings
          leakSteps: slowCpu || variant === 'stock' ? 0 : o.leakSteps,
          budgetS: o.budgetS,
        });
      }
    }
  }
  return tasks;
}

/** Runs one task in a child process (own heap, own peak RSS); returns its result or the error. */
type ChildResult = MeasureResult | { model: string; backend: string; variant: string; threads: number; error: string };

/** 'wasm', 'wasm (stock)', 'wasm 2 thr', … */
function label(r: { backend: string; variant: string; threads: number }): string {
  return r.backend + (r.threads > 0 ? ` ${r.threads} thr` : '') + (r.variant === 'stock' ? ' (stock)' : '');
}

/** Runs this file as a child process with `flag` and `task`; the child's `<marker> <json>` line, or why it failed. */
function runMarkedChild<T>(flag: string, marker: string, task: unknown): { result: T } | { error: string } {
  const child = spawnSync(process.execPath, ['--import', 'tsx', __filename, flag, JSON.stringify(task)], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const line = (child.stdout ?? '').split('\n').find((l) => l.startsWith(`${marker} `));
  if (child.status === 0 && line) return { result: JSON.parse(line.slice(marker.length + 1)) as T };
  return { error: (child.stderr ?? '').trim().split('\n').filter(Boolean).slice(-3).join(' | ') || `exit ${child.status ?? child.signal}` };
}

function runChild(task: MeasureTask): ChildResult {
  const r = runMarkedChild<MeasureResult>(CHILD_FLAG, 'BENCH_RESULT', task);
  return 'result' in r ? r.result : { model: task.spec.id, backend: task.backend, variant: task.variant, threads: task.threads, error: r.error };
}

function printTable(results: ChildResult[], o: Options): void {
  const rows: string[][] = [[
    'model', 'backend', 'params', 'GFLOP/img', 'fwd b1 ms/img', `fwd b${o.batch} ms/img`, `train b${o.batch} ms/step`, 'train CPU ms',
    'peak RSS MB', 'train peak tensor MB', 'wasm heap MB', 'leak check',
  ]];
  for (const r of results) {
    const be = label(r);
    if ('error' in r) {
      rows.push([r.model, be, 'error: ' + r.error.slice(0, 100), '', '', '', '', '', '', '', '', '']);
      continue;
    }
    const leak = !r.leak ? '—' : r.leak.checked ? (r.leak.ok ? `ok (${r.leak.steps} steps)` : 'LEAK') : '—';
    rows.push([
      r.model, be, String(r.params), r.flops ? (r.flops / 1e9).toFixed(1) : '—', formatSummary(r.forward1), formatSummary(r.forwardB), formatSummary(r.trainB), formatSummary(r.trainCpuB),
      r.memory.peakRssMB.toFixed(0), r.memory.trainPeakTensorMB?.toFixed(0) ?? '—', r.memory.wasmHeapMB?.toFixed(0) ?? '—', leak,
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  for (const [i, row] of rows.entries()) {
    console.log(row.map((cell, c) => cell.padEnd(widths[c])).join(' | '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  }
  for (const r of results) {
    if (!('error' in r) && r.notes.length) console.log(`note: ${r.model} on ${label(r)}: ${r.notes.join('; ')}`);
  }
}

/** GG-CNN at 300x300 against the PyTorch reference (ratio > 1: slower than PyTorch). */
function ratios(results: ChildResult[]): Record<string, number | string>[] {
  const out: Record<string, number | string>[] = [];
  for (const r of results) {
    if ('error' in r || r.model !== 'ggcnn' || r.inputSize !== 300) continue;
    const row: Record<string, number | string> = { backend: label(r) };
    if (r.trainB && r.batch === 8) row.trainVsPytorch = ratio(r.trainB.median, PYTORCH_GGCNN.trainStepMsBatch8);
    if (r.forward1) row.inferB1VsPytorch = ratio(r.forward1.median, PYTORCH_GGCNN.inferMsPerImage);
    if (r.forwardB) row[`inferB${r.batch}VsPytorch`] = ratio(r.forwardB.median, PYTORCH_GGCNN.inferMsPerImage);
    out.push(row);
  }
  return out;
}

/** Runs the ONNX Runtime timings of one model in a child process (own heap and threads). */
function runOrtChild(task: OrtTask): OrtResult | { model: string; error: string } {
  const r = runMarkedChild<OrtResult>(ORT_CHILD_FLAG, 'BENCH_ORT_RESULT', task);
  return 'result' in r ? r.result : { model: task.spec.id, error: r.error };
}

/** ONNX Runtime rows beside the tfjs-wasm rows of the same run: ORT n threads against the wasm build with n threads (1 ↔ single-threaded). */
function printOrtTable(ort: (OrtResult | { model: string; error: string })[], tfjs: ChildResult[], o: Options): void {
  const rows: string[][] = [['model', 'engine', 'threads', 'fwd b1 ms/img', `fwd b${o.batch} ms/img`, 'tfjs-wasm b1 (same threads)', 'ORT / wasm b1', 'session ms']];
  for (const r of ort) {
    if ('error' in r) {
      rows.push([r.model, 'onnxruntime', '', 'error: ' + r.error.slice(0, 100), '', '', '', '']);
      continue;
    }
    for (const row of r.rows) {
      const wasm = tfjs.find((t): t is MeasureResult => !('error' in t) && t.model === r.model && t.backend === 'wasm' && t.variant === 'grasplab' && (t.threads === row.threads || (row.threads === 1 && t.threads === 0)));
      const w1 = wasm?.forward1?.median;
      rows.push([
        r.model, r.engine, String(row.threads), formatSummary(row.forward1), formatSummary(row.forwardB), w1 ? w1.toFixed(1) : '—',
        w1 && row.forward1 ? ratio(row.forward1.median, w1).toFixed(2) : '—', row.sessionMs.toFixed(0),
      ]);
    }
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  console.log('\nONNX Runtime forward (grasplab\'s ONNX export, maps read back; ratio < 1 = faster than tfjs-wasm):');
  for (const [i, row] of rows.entries()) {
    console.log(row.map((cell, c) => cell.padEnd(widths[c])).join(' | '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  }
  for (const r of ort) {
    if ('error' in r || !r.interleaved) continue;
    const { ort1, wasm } = r.interleaved;
    console.log(`  ${r.model}, batch 1, alternating rounds in one process: ORT 1 thread ${formatSummary(ort1)} ms, tfjs-wasm (single-threaded) ${formatSummary(wasm)} ms → ORT / wasm ${ratio(ort1.median, wasm.median).toFixed(2)}`);
  }
}

async function main(): Promise<void> {
  const ortChildAt = process.argv.indexOf(ORT_CHILD_FLAG);
  if (ortChildAt >= 0) {
    const { measureOrt } = await import('./ort');
    console.log('BENCH_ORT_RESULT ' + JSON.stringify(await measureOrt(JSON.parse(process.argv[ortChildAt + 1]) as OrtTask)));
    return;
  }
  const childAt = process.argv.indexOf(CHILD_FLAG);
  if (childAt >= 0) {
    const { measure } = await import('./measure');
    const result = await measure(JSON.parse(process.argv[childAt + 1]) as MeasureTask);
    console.log('BENCH_RESULT ' + JSON.stringify(result));
    return;
  }
  const o = parseArgs(process.argv.slice(2));
  if (o === 'list') {
    for (const s of benchModels()) console.log(`${s.id.padEnd(20)} ${JSON.stringify(s.config)}  used by ${s.usedBy.join('; ')}`);
    return;
  }
  const tasks = tasksFor(o);
  const results: ChildResult[] = [];
  const torchResults: TorchOutcome[] = [];
  for (const t of tasks) {
    const t0 = Date.now();
    process.stderr.write(`bench: ${t.spec.id} on ${label({ ...t, threads: t.backend === 'wasm' ? t.threads : 0 })} ... `);
    const r = runChild(t);
    process.stderr.write(`${'error' in r ? 'failed' : 'done'} in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    results.push(r);
    if (o.profile && !('error' in r) && r.kernels) {
      console.log(`  top kernels of one train step (${r.model}, ${label(r)}):`);
      for (const [name, ms, n] of r.kernels) console.log(`    ${name.padEnd(28)} ${String(ms).padStart(7)} ms  ${n} calls`);
    }
    // the twin runs right after the matching wasm run, so both see about the same machine load
    if (o.vsPytorch && t.backend === 'wasm' && t.variant === 'grasplab') {
      const threads = torchThreadsFor(t.threads);
      if (!torchResults.some((x) => x.model === t.spec.id && x.threads === threads)) {
        const t0 = Date.now();
        process.stderr.write(`bench: ${t.spec.id} on PyTorch ${threads} thr ... `);
        const tr = runTorchTwin({ model: t.spec.id, threads, batch: o.batch, size: o.size, repeats: o.repeats, warmup: o.warmup, forward: o.forward, train: o.train });
        process.stderr.write(`${'skipped' in tr ? 'skipped: ' + tr.skipped : 'done'} in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
        torchResults.push(tr);
      }
    }
  }
  printTable(results, o);
  const ortResults: (OrtResult | { model: string; error: string })[] = [];
  const ortAvail = onnxRuntimeAvailable();
  if (o.ort && o.forward && !ortAvail.ok) console.log(`\nONNX Runtime not timed: ${ortAvail.reason}`);
  if (o.ort && o.forward && ortAvail.ok) {
    for (const spec of benchModels().filter((s) => o.models.includes(s.id))) {
      const t0 = Date.now();
      process.stderr.write(`bench: ${spec.id} on onnxruntime (${o.ortThreads.join(', ')} threads) ... `);
      const r = runOrtChild({ spec, inputSize: o.size, batch: o.batch, repeats: Math.max(o.repeats, 5), warmup: Math.max(o.warmup, 2), threads: o.ortThreads, spin: o.ortSpin, interleaved: o.backends.includes('wasm') });
      process.stderr.write(`${'error' in r ? 'failed' : 'done'} in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
      ortResults.push(r);
    }
    printOrtTable(ortResults, results, o);
  }
  const rel = ratios(results);
  if (rel.length) {
    console.log(`\nGG-CNN vs PyTorch reference (train ${PYTORCH_GGCNN.trainStepMsBatch8} ms/step b8, infer ${PYTORCH_GGCNN.inferMsPerImage} ms/img; ratio > 1 = slower):`);
    for (const r of rel) console.log('  ' + JSON.stringify(r));
  }
  if (o.vsPytorch) {
    const skipped = torchResults.filter((r): r is Extract<TorchOutcome, { skipped: string }> => 'skipped' in r);
    for (const s of skipped) console.log(`\nPyTorch twin of ${s.model} (${s.threads} thr) skipped: ${s.skipped}`);
    const ours = results.filter((r): r is MeasureResult => !('error' in r) && r.backend === 'wasm' && r.variant === 'grasplab');
    const rows = compareWithTorch(ours, torchResults);
    if (rows.length) {
      console.log(`\ngrasplab (wasm) vs PyTorch ${(torchResults.find((r) => 'torch' in r) as { torch?: string } | undefined)?.torch ?? ''}, same run, ` +
        'ratio = grasplab time / PyTorch time (> 1: grasplab slower); GFLOP/s from describeModel FLOPs, a training step = 3 × forward:');
      console.log(formatComparison(rows, o.batch));
    }
  }
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  let all: ChildResult[] = results;
  let allTorch: TorchOutcome[] = torchResults;
  let allOrt = ortResults;
  const runs: unknown[] = [];
  if (o.append && fs.existsSync(o.out)) {
    const old = JSON.parse(fs.readFileSync(o.out, 'utf8')) as {
      results: ChildResult[]; pytorch?: TorchOutcome[]; ort?: typeof ortResults; runs?: unknown[]; options?: unknown; date?: string;
    };
    const key = (r: ChildResult) => `${r.model}|${label(r)}`;
    const fresh = new Set(results.map(key));
    all = [...old.results.filter((r) => !fresh.has(key(r))), ...results];
    const tkey = (r: TorchOutcome) => `${r.model}|${r.threads}`;
    const freshTorch = new Set(torchResults.map(tkey));
    allTorch = [...(old.pytorch ?? []).filter((r) => !freshTorch.has(tkey(r))), ...torchResults];
    const freshOrt = new Set(ortResults.map((r) => r.model));
    allOrt = [...(old.ort ?? []).filter((r) => !freshOrt.has(r.model)), ...ortResults];
    runs.push(...(old.runs ?? [{ date: old.date, options: old.options }]));
  }
  runs.push({ date: new Date().toISOString(), options: { ...o, out: path.relative(PROJECT_ROOT, o.out) }, loadavgAtEnd: os.loadavg() });
  const json = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
    /** every invocation that contributed results (loadavg: other processes competing for the cores) */
    runs,
    reference: { pytorchGgcnn: PYTORCH_GGCNN },
    ratiosVsPytorch: ratios(all),
    results: all,
    /** PyTorch twins timed by --vs-pytorch (bench/pytorch_twin.py), and grasplab/PyTorch ratios of the same runs */
    pytorch: allTorch,
    vsPytorch: compareWithTorch(all.filter((r): r is MeasureResult => !('error' in r) && r.backend === 'wasm' && r.variant === 'grasplab'), allTorch),
    /** ONNX Runtime forward timings of grasplab's ONNX export (bench/ort.ts) */
    ort: allOrt,
  };
  fs.writeFileSync(o.out, JSON.stringify(json, null, 1) + '\n');
  console.log(`\nwrote ${path.relative(process.cwd(), o.out)} (load average now ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} cores: other processes skew timings)`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});

function ratio(ours: number, reference: number): number {
  return Math.round((ours / reference) * 100) / 100;
}
