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
 *   --repeats N         timed repeats per measurement (default 3), after --warmup N (default 1)
 *   --batch N           batch size for forward-B and training (default 8); --size N input size (default 300)
 *   --leak-steps N      train steps for the leak check (default 20; ≤10 disables)
 *   --budget-s N        per-child time budget in seconds; started measurements finish (default 900)
 *   --no-train / --no-forward    skip parts
 *   --profile           print the top kernels of one training step per run
 *   --out FILE          JSON output (default results/bench.json)
 *   --list              list model ids and exit
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PROJECT_ROOT } from '../lib/config/paths';
import { benchModels } from './models';
import { formatSummary } from './stats';
import type { MeasureResult, MeasureTask } from './measure';

/** Measured on this machine by the project: original PyTorch GG-CNN, 2 threads, 300x300. */
const PYTORCH_GGCNN = { trainStepMsBatch8: 2100, inferMsPerImage: 96 };
const CHILD_FLAG = '--bench-child';

interface Options {
  models: string[];
  backends: MeasureTask['backend'][];
  cpuFull: boolean;
  stock: boolean;
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
}

function parseArgs(argv: string[]): Options | 'list' {
  const all = benchModels().map((s) => s.id);
  const o: Options = {
    models: all,
    backends: ['wasm', 'cpu'],
    cpuFull: false,
    stock: false,
    repeats: 3,
    warmup: 1,
    batch: 8,
    size: 300,
    leakSteps: 20,
    budgetS: 900,
    train: true,
    forward: true,
    profile: false,
    out: path.join(PROJECT_ROOT, 'results', 'bench.json'),
  };
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
      default:
        throw new Error(`unknown flag '${a}' (see the header of bench/run.ts)`);
    }
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
      for (const variant of variants) {
        tasks.push({
          spec,
          backend,
          variant,
          inputSize: o.size,
          batch: o.batch,
          repeats: o.repeats,
          warmup: o.warmup,
          forward1: o.forward,
          forwardB: o.forward && !slowCpu,
          train: o.train && !slowCpu,
          leakSteps: slowCpu ? 0 : o.leakSteps,
          budgetS: o.budgetS,
        });
      }
    }
  }
  return tasks;
}

/** Runs one task in a child process (own heap, own peak RSS); returns its result or the error. */
function runChild(task: MeasureTask): MeasureResult | { model: string; backend: string; variant: string; error: string } {
  const child = spawnSync(process.execPath, ['--import', 'tsx', __filename, CHILD_FLAG, JSON.stringify(task)], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const line = (child.stdout ?? '').split('\n').find((l) => l.startsWith('BENCH_RESULT '));
  if (child.status === 0 && line) return JSON.parse(line.slice('BENCH_RESULT '.length)) as MeasureResult;
  const err = (child.stderr ?? '').trim().split('\n').filter(Boolean).slice(-3).join(' | ');
  return { model: task.spec.id, backend: task.backend, variant: task.variant, error: err || `exit ${child.status ?? child.signal}` };
}

function printTable(results: (MeasureResult | { model: string; backend: string; variant: string; error: string })[], o: Options): void {
  const rows: string[][] = [[
    'model', 'backend', 'params', 'fwd b1 ms/img', `fwd b${o.batch} ms/img`, `train b${o.batch} ms/step`,
    'peak RSS MB', 'train peak tensor MB', 'wasm heap MB', 'leak check',
  ]];
  for (const r of results) {
    const be = r.variant === 'stock' ? `${r.backend} (stock)` : r.backend;
    if ('error' in r) {
      rows.push([r.model, be, 'error: ' + r.error.slice(0, 100), '', '', '', '', '', '', '']);
      continue;
    }
    const leak = !r.leak ? '—' : r.leak.checked ? (r.leak.ok ? `ok (${r.leak.steps} steps)` : 'LEAK') : '—';
    rows.push([
      r.model, be, String(r.params), formatSummary(r.forward1), formatSummary(r.forwardB), formatSummary(r.trainB),
      r.memory.peakRssMB.toFixed(0), r.memory.trainPeakTensorMB?.toFixed(0) ?? '—', r.memory.wasmHeapMB?.toFixed(0) ?? '—', leak,
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  for (const [i, row] of rows.entries()) {
    console.log(row.map((cell, c) => cell.padEnd(widths[c])).join(' | '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  }
}

function ratios(results: (MeasureResult | { error: string })[], batch: number): Record<string, number | string>[] {
  const out: Record<string, number | string>[] = [];
  for (const r of results) {
    if ('error' in r || r.model !== 'ggcnn') continue;
    const row: Record<string, number | string> = { backend: r.variant === 'stock' ? `${r.backend} (stock)` : r.backend };
    if (r.trainB && batch === 8) row.trainVsPytorch = ratio(r.trainB.median, PYTORCH_GGCNN.trainStepMsBatch8);
    if (r.forward1) row.inferB1VsPytorch = ratio(r.forward1.median, PYTORCH_GGCNN.inferMsPerImage);
    if (r.forwardB) row[`inferB${batch}VsPytorch`] = ratio(r.forwardB.median, PYTORCH_GGCNN.inferMsPerImage);
    out.push(row);
  }
  return out;
}

async function main(): Promise<void> {
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
  const results: ReturnType<typeof runChild>[] = [];
  for (const t of tasks) {
    const t0 = Date.now();
    process.stderr.write(`bench: ${t.spec.id} on ${t.backend}${t.variant === 'stock' ? ' (stock)' : ''} ... `);
    const r = runChild(t);
    process.stderr.write(`${'error' in r ? 'failed' : 'done'} in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    results.push(r);
    if (o.profile && !('error' in r) && r.kernels) {
      console.log(`  top kernels of one train step (${r.model}, ${r.backend}${r.variant === 'stock' ? ' stock' : ''}):`);
      for (const [name, ms, n] of r.kernels) console.log(`    ${name.padEnd(28)} ${String(ms).padStart(7)} ms  ${n} calls`);
    }
  }
  printTable(results, o);
  const rel = ratios(results, o.batch);
  if (rel.length) {
    console.log(`\nGG-CNN vs PyTorch reference (train ${PYTORCH_GGCNN.trainStepMsBatch8} ms/step b8, infer ${PYTORCH_GGCNN.inferMsPerImage} ms/img; ratio > 1 = slower):`);
    for (const r of rel) console.log('  ' + JSON.stringify(r));
  }
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  const json = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, node: process.version, loadavgAtEnd: os.loadavg() },
    options: { ...o, out: path.relative(PROJECT_ROOT, o.out) },
    reference: { pytorchGgcnn: PYTORCH_GGCNN },
    ratiosVsPytorch: rel,
    results,
  };
  fs.writeFileSync(o.out, JSON.stringify(json, null, 1) + '\n');
  console.log(`\nwrote ${path.relative(process.cwd(), o.out)}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});

function ratio(ours: number, reference: number): number {
  return Math.round((ours / reference) * 100) / 100;
}
