/**
 * Interleaved A/B of grasplab's native conv kernels against the wasm kernels, in ONE process (the same heap, model and
 * batch; the machine's load hits both sides alike): training steps alternate native on / off and the CPU time of each
 * step (process.cpuUsage, all threads) and its wall time are recorded.
 *   npx tsx bench/native_ab.ts [--model pspnet-r18-w0.25] [--batch 8] [--threads 0|n] [--rounds 5] [--vs off|avx2|generic]
 * `--threads n` loads the threaded wasm build with n threads and gives the native pool n threads too.
 * `--vs avx2` compares the default native kernels (the best the CPU has) with the AVX2 ones instead of with none.
 * Prints medians and the on/off ratios; `main thread` is the CPU time of the JS thread alone (with threads, a
 * measure of the critical path that other processes' load disturbs less than wall time).
 */
import * as tf from '@tensorflow/tfjs';
import * as fs from 'fs';
import * as os from 'os';
import { benchModels } from './models';
import { selectBackend } from '../lib/backend/setup';
import { describeNativeConv, disableNativeConv, enableNativeConv } from '../lib/backend/native_conv';
import { buildModel } from '../lib/models/registry';
import { trainStep } from '../lib/train/step';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string, dflt: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const batch = Number(flag('--batch', '8'));
  const threads = Number(flag('--threads', '0'));
  const rounds = Number(flag('--rounds', '5'));
  const vs = flag('--vs', 'off');
  if (!['off', 'avx2', 'generic'].includes(vs)) throw new Error(`--vs ${vs}: use off, avx2 or generic`);
  const spec = benchModels().find((s) => s.id === flag('--model', 'pspnet-r18-w0.25'));
  if (!spec) throw new Error(`unknown model; known: ${benchModels().map((s) => s.id).join(', ')}`);
  const env = { ...process.env, GRASPLAB_BACKEND: 'wasm', GRASPLAB_WASM_THREADS: threads > 0 ? String(threads) : '' };
  const report = await selectBackend({ quiet: true, env });
  if (!report.native?.on) throw new Error(describeNativeConv(report.native));
  const model = buildModel({ ...spec.config, inputSize: 300 });
  const opt = tf.train.adam(1e-3);
  const x = tf.randomUniform([batch, 300, 300, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
  const y = tf.randomUniform([batch, 300, 300, 4], -1, 1, 'float32', 3) as tf.Tensor4D;
  const step = async () => {
    const m0 = mainThreadCpuMs();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await trainStep(model, opt, { x, y });
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    return { cpu: (c.user + c.system) / 1000, wall, main: mainThreadCpuMs() - m0 };
  };
  const on = () => enableNativeConv(env);
  const other = () => (vs === 'off' ? disableNativeConv('A/B') : enableNativeConv(env, { isa: vs as 'avx2' | 'generic' }));
  const nativeLine = describeNativeConv(on());
  await step(); // warm-up both paths (operator creation, buffers)
  other();
  await step();
  const res: Record<'on' | 'off', { cpu: number; wall: number; main: number }[]> = { on: [], off: [] };
  const load: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const side of r % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
      if (side === 'on') on();
      else other();
      res[side].push(await step());
    }
    load.push(os.loadavg()[0]);
  }
  const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const line = (side: 'on' | 'off') =>
    `${side.padEnd(4)} CPU ${med(res[side].map((s) => s.cpu)).toFixed(0).padStart(6)} ms  main thread ${med(res[side].map((s) => s.main)).toFixed(0).padStart(6)} ms  wall ${med(res[side].map((s) => s.wall)).toFixed(0).padStart(6)} ms   (CPU per step: ${res[side].map((s) => s.cpu.toFixed(0)).join(', ')})`;
  console.log(`${spec.id} train step b${batch}, wasm ${threads > 0 ? `threaded build, ${threads} threads` : 'single-threaded build'}, ${nativeLine}; ${rounds} interleaved rounds, medians`);
  console.log(line('on'));
  console.log(line('off') + (vs === 'off' ? '' : `   ('off' = native ${vs} kernels)`));
  const ratio = (k: 'cpu' | 'wall' | 'main') => med(res.off.map((s) => s[k])) / med(res.on.map((s) => s[k]));
  console.log(`off/on: CPU ${ratio('cpu').toFixed(2)}x, main thread ${ratio('main').toFixed(2)}x, wall ${ratio('wall').toFixed(2)}x; 1-min load average during the rounds ${load.map((l) => l.toFixed(1)).join(' ')} (${os.cpus().length} cores)`);
  process.exit(0); // the threaded build's workers would keep the process alive
}

/**
 * CPU time of this process's main (JS) thread, from /proc (ns resolution; 0 where /proc is missing). With several
 * threads it estimates the critical path on an idle machine: the main thread runs everything serial plus its share
 * of each parallel kernel, and sleeps while waiting for the others.
 */
function mainThreadCpuMs(): number {
  try {
    return Number(fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return 0;
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
