import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../lib/backend/setup';
import { describeNativeConv, nativeConvStatus } from '../../lib/backend/native_conv';
import { buildModel } from '../../lib/models/registry';
import { graspLossVector } from '../../lib/train/losses';
import { maxRelativeError, onBackend, wasmMissing } from '../backend/backend_compare';
import { pseudoRandom } from './helpers';

before(async () => {
  await selectBackend({ quiet: true, env: { ...process.env, GRASPLAB_BACKEND: 'wasm' } });
});

/**
 * End to end: the loss and every weight gradient of a small PSPNet-R18 (aux head, dilated layer3/4, strided and 1x1
 * convs, the PPM, the 2x2 output convs) on wasm with grasplab's native conv kernels equal the cpu backend's.
 * Width 1/32 and BatchNorm in inference mode keep the cpu backend (its filter gradient is a slow scalar loop) to a
 * few seconds; training-mode BatchNorm at this width is ill-conditioned (its gradients differ from cpu by ~7e-3 on
 * wasm with or without the native kernels), so it would test BatchNorm's rounding rather than the convolutions.
 */
test('PSPNet-R18 (width 1/32, 300x300, batch 1, aux): loss and all weight gradients on wasm + native kernels match cpu', { skip: wasmMissing(), timeout: 120_000 }, async (t) => {
  if (!nativeConvStatus().on) return t.skip(describeNativeConv());
  const model = buildModel({ name: 'pspnet', resnetDepth: 18, widthMultiplier: 0.03125, aux: true, dropout: 0, seed: 3 });
  const x = tf.tensor4d(pseudoRandom(300 * 300, 31), [1, 300, 300, 1]);
  const y = tf.tensor4d(pseudoRandom(300 * 300 * 4, 32), [1, 300, 300, 4]);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const fn = () => {
    const { value, grads } = tf.variableGrads(() => {
      const [main, aux] = model.apply(x, { training: false }) as tf.Tensor4D[];
      return tf.add(tf.sum(graspLossVector(main, y)), tf.mul(0.4, tf.sum(graspLossVector(aux, y)))) as tf.Scalar;
    }, vars);
    return [value, ...vars.map((v) => grads[v.name])];
  };
  const wasm = await onBackend('wasm', fn);
  const cpu = await onBackend('cpu', fn);
  assert.equal(wasm.length, vars.length + 1);
  const loss = maxRelativeError(wasm[0], cpu[0]);
  assert.ok(loss < 1e-5, `loss differs by ${loss.toExponential(2)}`);
  let worst = { err: 0, name: '' };
  for (let i = 1; i < wasm.length; i++) {
    const err = maxRelativeError(wasm[i], cpu[i]);
    if (err > worst.err) worst = { err, name: vars[i - 1].name };
  }
  // float32 sums in another order through ~40 layers (measured: worst ~2e-6)
  assert.ok(worst.err < 1e-4, `gradient of ${worst.name} differs from cpu by ${worst.err.toExponential(2)} (relative to its max)`);
  t.diagnostic(`${vars.length} gradients, worst relative difference ${worst.err.toExponential(2)} (${worst.name})`);
  tf.dispose([x, y]);
  model.dispose();
});
