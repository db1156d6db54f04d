import * as fs from 'fs';
import { buildModel } from './lib/models/registry';
import { exportOnnx } from './lib/export/onnx';
const ort = require('onnxruntime-node');
async function time(sess: any, inName: string, b: number, reps: number) {
  const x = new ort.Tensor('float32', new Float32Array(b * 90000).map((_, i) => Math.sin(i) * 0.1), inName === 'x' ? [b, 1, 300, 300] : [b, 300, 300, 1]);
  for (let i = 0; i < 3; i++) await sess.run({ [inName]: x });
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) { const t = performance.now(); await sess.run({ [inName]: x }); ts.push(performance.now() - t); }
  ts.sort((a, b) => a - b); return ts[Math.floor(ts.length / 2)] / b;
}
(async () => {
  const mine = exportOnnx(buildModel({ name: 'pspnet', resnetDepth: 18, widthMultiplier: 0.25 })).bytes;
  const twin = fs.readFileSync('/tmp/twin/twin18.onnx');
  const spin = process.argv.includes('--spin');
  for (const threads of [1, 2]) for (const b of [1, 8]) {
    const opts = { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', ...(spin ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } }) };
    const s1 = await ort.InferenceSession.create(mine, opts);
    const s2 = await ort.InferenceSession.create(twin, opts);
    const r: number[][] = [[], []];
    for (let k = 0; k < 3; k++) { r[0].push(await time(s1, 'depth', b, b === 1 ? 15 : 4)); r[1].push(await time(s2, 'x', b, b === 1 ? 15 : 4)); }
    const med = (a: number[]) => a.sort((x, y) => x - y)[1].toFixed(1);
    console.log(`threads ${threads} batch ${b} spin ${spin}: grasplab ${med(r[0])} ms/img, pytorch-exported twin ${med(r[1])} ms/img`);
    await s1.release(); await s2.release();
  }
})();
