import * as fs from 'fs';
import { buildModel } from './lib/models/registry';
import { exportOnnx } from './lib/export/onnx';
const ort = require('onnxruntime-node');
(async () => {
  const name = process.argv[2] ?? 'ggcnn';
  const cfg: any = name === 'psp' ? { name: 'pspnet', resnetDepth: 18, widthMultiplier: 0.25 } : { name };
  const bytes = exportOnnx(buildModel(cfg)).bytes;
  const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, enableProfiling: true, profileFilePrefix: '/tmp/ortprof_' + name, graphOptimizationLevel: 'all' });
  const x = new ort.Tensor('float32', new Float32Array(90000).map((_, i) => Math.sin(i) * 0.1), [1, 300, 300, 1]);
  for (let i = 0; i < 10; i++) await s.run({ depth: x });
  const f = s.endProfiling ? s.endProfiling() : undefined;
  await s.release();
  const file = fs.readdirSync('/tmp').filter((f) => f.startsWith('ortprof_' + name)).map((f) => '/tmp/' + f).sort().pop()!;
  const ev = JSON.parse(fs.readFileSync(file, 'utf8')).filter((e: any) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
  const agg = new Map<string, number>();
  for (const e of ev) { const k = `${e.args.op_name} ${e.name.replace('_kernel_time', '')}`; agg.set(k, (agg.get(k) ?? 0) + e.dur / 10 / 1000); }
  const tot = [...agg.values()].reduce((a, b) => a + b, 0);
  console.log(name, 'total ms/run', tot.toFixed(1));
  for (const [k, v] of [...agg].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(v.toFixed(2).padStart(8), k);
  fs.unlinkSync(file);
})();
