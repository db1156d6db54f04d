/**
 * Kernel-by-kernel profile of ONE PSPNet-R18 ×0.25 training step (batch 8, 300×300, wasm), for finding what to speed
 * up: `npx tsx bench/profile_step.ts [--model pspnet-r18-w0.25] [--batch 8] [--threads 0|n] [--top 40] [--lib DIR]`.
 * Prints the step's wall and CPU time (process.cpuUsage, all threads; less disturbed by other processes than wall
 * time), kernel time by kernel name with its share, and by kernel name + input shapes.
 * `--lib DIR` profiles another checkout's lib/ (e.g. `git archive <commit> lib | tar -x -C /tmp/before` and
 * `--lib /tmp/before/lib`) in the same way, for before/after comparisons.
 * customGrad ops appear as 'unnamed scope' around kernels that are listed themselves; they are left out of the sums.
 */
import * as tf from '@tensorflow/tfjs';
import * as os from 'os';
import * as path from 'path';
import { benchModels } from './models';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string, dflt: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const lib = path.resolve(flag('--lib', path.join(__dirname, '..', 'lib')));
  const batch = Number(flag('--batch', '8'));
  const threads = Number(flag('--threads', '0'));
  const top = Number(flag('--top', '40'));
  const spec = benchModels().find((s) => s.id === flag('--model', 'pspnet-r18-w0.25'));
  if (!spec) throw new Error(`unknown model; known: ${benchModels().map((s) => s.id).join(', ')}`);
  const { selectBackend } = await import(path.join(lib, 'backend', 'setup'));
  const { buildModel } = await import(path.join(lib, 'models', 'registry'));
  const { trainStep } = await import(path.join(lib, 'train', 'step'));
  await selectBackend({ quiet: true, env: { ...process.env, GRASPLAB_BACKEND: 'wasm', GRASPLAB_WASM_THREADS: threads > 0 ? String(threads) : '' } });
  const model = buildModel({ ...spec.config, inputSize: 300 });
  const opt = tf.train.adam(1e-3);
  const x = tf.randomUniform([batch, 300, 300, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
  const y = tf.randomUniform([batch, 300, 300, 4], -1, 1, 'float32', 3) as tf.Tensor4D;
  await trainStep(model, opt, { x, y }); // warm-up: kernel set-up, XNNPACK operator creation
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const prof = await tf.profile(async () => {
    await trainStep(model, opt, { x, y });
  });
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const byName = new Map<string, [number, number]>();
  const byShape = new Map<string, [number, number]>();
  let total = 0;
  for (const k of prof.kernels) {
    if (k.name.endsWith('__op') || k.name === 'unnamed scope') continue;
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    total += ms;
    const add = (m: Map<string, [number, number]>, key: string) => {
      const e = m.get(key) ?? [0, 0];
      m.set(key, [e[0] + ms, e[1] + 1]);
    };
    add(byName, k.name);
    add(byShape, `${k.name} ${k.inputShapes.map((s) => `[${s}]`).join('')}`);
  }
  console.log(`${spec.id} train step b${batch}, wasm ${threads > 0 ? `${threads} threads` : 'single-threaded'}, lib ${lib}`);
  console.log(`wall ${wall.toFixed(0)} ms (profiling adds a little), CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms, kernel sum ${total.toFixed(0)} ms; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  for (const [n, [ms, c]] of [...byName].sort((a, b) => b[1][0] - a[1][0]).slice(0, top)) {
    console.log(`  ${n.padEnd(26)} ${ms.toFixed(0).padStart(7)} ms ${((100 * ms) / total).toFixed(1).padStart(5)} %  ${c} calls`);
  }
  console.log('by input shapes:');
  for (const [n, [ms, c]] of [...byShape].sort((a, b) => b[1][0] - a[1][0]).slice(0, top)) {
    console.log(`  ${ms.toFixed(0).padStart(7)} ms ${String(c).padStart(4)}x ${n}`);
  }
  process.exit(0); // the threaded build's workers would keep the process alive
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
