import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../lib/backend/setup';
import { localGgcnn } from './local_ggcnn';

async function main() {
  await selectBackend({ quiet: true });
  const B = Number(process.argv[2] ?? 8);
  const model = localGgcnn();
  const opt = tf.train.adam(1e-3);
  const x = tf.randomUniform([B, 300, 300, 1], 0, 1, 'float32', 1);
  const y = tf.randomUniform([B, 300, 300, 4], 0, 1, 'float32', 2);
  const step = () => opt.minimize(() => tf.losses.meanSquaredError(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, false);
  step();
  let t = Date.now();
  step();
  console.log('step ms', Date.now() - t);
  t = Date.now();
  { const yy = model.predict(x) as tf.Tensor; yy.dataSync(); yy.dispose(); }
  console.log('fwd ms', Date.now() - t);
  const prof = await tf.profile(() => { step(); });
  const agg = new Map<string, number>();
  for (const k of prof.kernels) agg.set(k.name, (agg.get(k.name) ?? 0) + (k.kernelTimeMs as number));
  const tot = [...agg.values()].reduce((a, b) => a + b, 0);
  console.log('total kernel ms', tot.toFixed(0));
  for (const [n, ms] of [...agg.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(n.padEnd(28), ms.toFixed(0));
}

async function detail() {
  await selectBackend({ quiet: true });
  const model = localGgcnn();
  const opt = tf.train.adam(1e-3);
  const x = tf.randomUniform([8, 300, 300, 1], 0, 1, 'float32', 1);
  const y = tf.randomUniform([8, 300, 300, 4], 0, 1, 'float32', 2);
  const step = () => opt.minimize(() => tf.losses.meanSquaredError(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, false);
  step();
  const prof = await tf.profile(() => { step(); });
  for (const k of prof.kernels) if ((k.kernelTimeMs as number) > 15) console.log(k.name.padEnd(22), JSON.stringify(k.inputShapes), (k.kernelTimeMs as number).toFixed(0));
}
if (process.argv[3] === 'detail') detail(); else main();
