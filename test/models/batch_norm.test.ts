import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../lib/backend/setup';
import { TorchBatchNormalization, batchNormTraining } from '../../lib/models/batch_norm';
import { torchBatchNorm } from '../../lib/models/torch_layers';
import { onBackend, wasmMissing } from '../backend/backend_compare';
import { pseudoRandom } from './helpers';

before(async () => {
  await selectBackend({ quiet: true });
});

/** Float64 BatchNorm training forward and backward over NHWC values (the textbook formulas, per channel). */
function reference(x: Float32Array, dy: Float32Array, gamma: Float32Array, beta: Float32Array, c: number, eps: number) {
  const n = x.length / c;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let i = 0; i < x.length; i++) mean[i % c] += x[i] / n;
  for (let i = 0; i < x.length; i++) variance[i % c] += (x[i] - mean[i % c]) ** 2 / n;
  const rstd = Array.from(variance, (v) => 1 / Math.sqrt(v + eps));
  const xhat = Float64Array.from(x, (v, i) => (v - mean[i % c]) * rstd[i % c]);
  const y = Float64Array.from(xhat, (v, i) => gamma[i % c] * v + beta[i % c]);
  const dBeta = new Float64Array(c);
  const dGamma = new Float64Array(c);
  for (let i = 0; i < x.length; i++) {
    dBeta[i % c] += dy[i];
    dGamma[i % c] += dy[i] * xhat[i];
  }
  const dx = Float64Array.from(x, (_, i) => {
    const k = i % c;
    return (gamma[k] * rstd[k] / n) * (n * dy[i] - dBeta[k] - xhat[i] * dGamma[k]);
  });
  return { y, dx, dGamma, dBeta, mean, variance };
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return s === 0 ? d : d / s;
}

describe('fused BatchNorm training op (batch_norm.ts)', () => {
  // odd shapes; one with a large mean against a small spread (as normalised depth gives the first layers)
  const cases = [
    { shape: [2, 5, 7, 3], offset: 0, spread: 1 },
    { shape: [3, 4, 4, 5], offset: 0.5, spread: 0.2 },
    { shape: [1, 9, 3, 2], offset: 30, spread: 0.01 },
  ];

  for (const backend of ['cpu', 'wasm']) {
    test(`${backend}: y, mean, variance, dx, dγ, dβ equal a float64 reference`, { skip: backend === 'wasm' && wasmMissing() }, async () => {
      for (const [ci, c] of cases.entries()) {
        const ch = c.shape[3];
        const size = c.shape.reduce((a, b) => a * b, 1);
        const x = pseudoRandom(size, 11 + ci).map((v) => c.offset + c.spread * v);
        const dy = pseudoRandom(size, 21 + ci);
        const gamma = pseudoRandom(ch, 31 + ci).map((v) => 1 + 0.5 * v);
        const beta = pseudoRandom(ch, 41 + ci);
        const ref = reference(x, dy, gamma, beta, ch, 1e-5);
        const dyShape = c.shape as [number, number, number, number];
        // ours, and tfjs's own training-mode BN (moments + batchNorm, autodiff gradients) as the float32 yardstick
        const run = (fused: boolean) =>
          onBackend(backend, () => {
            const fwd = (a: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => {
              if (fused) return batchNormTraining(a as tf.Tensor4D, gg as tf.Tensor1D, bb as tf.Tensor1D, 1e-5);
              const m = tf.moments(a, [0, 1, 2]);
              return { y: tf.batchNorm(a, m.mean, m.variance, bb, gg, 1e-5) as tf.Tensor4D, mean: m.mean as tf.Tensor1D, variance: m.variance as tf.Tensor1D };
            };
            const xt = tf.tensor4d(x, dyShape);
            const g = tf.tensor1d(gamma);
            const b = tf.tensor1d(beta);
            const { y, mean, variance } = fwd(xt, g, b);
            const [dx, dg, db] = tf.grads((a: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(fwd(a, gg, bb).y, tf.tensor(dy, dyShape))))([xt, g, b]);
            return [y, mean, variance, dx, dg, db];
          });
        const outs = await run(true);
        const stock = await run(false);
        const names = ['y', 'mean', 'variance', 'dx', 'dγ', 'dβ'];
        const want = [ref.y, ref.mean, ref.variance, ref.dx, ref.dGamma, ref.dBeta];
        outs.forEach((o, i) => {
          const err = relErr(o, want[i]);
          // a large mean over a small spread loses digits in float32 whatever the formula: allow what tfjs's own BN loses
          const tol = Math.max(1e-4, 2 * relErr(stock[i], want[i]));
          assert.ok(err < tol, `${backend} case ${ci} ${names[i]}: relative error ${err.toExponential(2)} (tolerance ${tol.toExponential(2)})`);
        });
      }
    });
  }

  test('leaves no tensors behind (the batch statistics it hands out are disposed by the layer)', () => {
    const input = tf.input({ shape: [6, 5, 3] });
    const model = tf.model({ inputs: input, outputs: torchBatchNorm(input, 'bn') });
    const x = tf.tensor4d(pseudoRandom(2 * 6 * 5 * 3, 3), [2, 6, 5, 3]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar);
      tf.dispose([value, ...Object.values(grads)]);
    }
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([x]);
    model.dispose();
  });
});

describe('TorchBatchNormalization layer', () => {
  /** the same BN (weights, moving stats) as grasplab's layer and as tfjs-layers' stock layer */
  function pair(): { ours: tf.LayersModel; stock: tf.LayersModel } {
    const make = (stock: boolean) => {
      const input = tf.input({ shape: [7, 6, 4] });
      const bn = stock
        ? tf.layers.batchNormalization({ name: 'bn', axis: -1, epsilon: 1e-5, momentum: 0.9 }).apply(input)
        : torchBatchNorm(input, 'bn');
      return tf.model({ inputs: input, outputs: bn as tf.SymbolicTensor });
    };
    const ours = make(false);
    const stock = make(true);
    const w = [pseudoRandom(4, 1).map((v) => 1 + 0.3 * v), pseudoRandom(4, 2), pseudoRandom(4, 3), pseudoRandom(4, 4).map((v) => 1.5 + v)];
    const weights = w.map((v) => tf.tensor1d(v));
    ours.setWeights(weights);
    stock.setWeights(weights);
    tf.dispose(weights);
    return { ours, stock };
  }

  test('is tfjs BatchNormalization: same class name, weights and config; saved models reload into it', async () => {
    const { ours, stock } = pair();
    const layer = ours.getLayer('bn');
    assert.ok(layer instanceof TorchBatchNormalization);
    assert.equal(layer.getClassName(), 'BatchNormalization');
    assert.deepEqual(layer.getConfig(), stock.getLayer('bn').getConfig());
    assert.deepEqual(ours.weights.map((w) => w.originalName), stock.weights.map((w) => w.originalName));
    let artifacts: tf.io.ModelArtifacts | undefined;
    await ours.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    assert.ok(loaded.getLayer('bn') instanceof TorchBatchNormalization);
  });

  test('training output, gradients and moving-statistics update equal the stock layer; inference is identical', () => {
    const { ours, stock } = pair();
    const x = tf.tensor4d(pseudoRandom(3 * 7 * 6 * 4, 9).map((v) => 0.2 + 0.1 * v), [3, 7, 6, 4]);
    const r = tf.tensor4d(pseudoRandom(3 * 7 * 6 * 4, 10), [3, 7, 6, 4]);
    const run = (m: tf.LayersModel) => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(m.apply(x, { training: true }) as tf.Tensor, r)) as tf.Scalar);
      const g = m.trainableWeights.map((w) => grads[w.name].dataSync());
      const moving = m.getWeights().slice(2).map((t) => t.dataSync());
      const out = (m.apply(x, { training: true }) as tf.Tensor).dataSync();
      tf.dispose([value, ...Object.values(grads)]);
      return { g, moving, out };
    };
    const a = run(ours);
    const b = run(stock);
    assert.ok(relErr(a.out, b.out) < 1e-5, 'training output');
    a.g.forEach((g, i) => assert.ok(relErr(g, b.g[i]) < 1e-4, `gradient of ${ours.trainableWeights[i].originalName}: ${relErr(g, b.g[i])}`));
    a.moving.forEach((m, i) => assert.ok(relErr(m, b.moving[i]) < 1e-6, 'moving statistics'));
    const inferOurs = (ours.predict(x) as tf.Tensor).dataSync();
    const inferStock = (stock.predict(x) as tf.Tensor).dataSync();
    assert.deepEqual(Array.from(inferOurs), Array.from(inferStock));
    tf.dispose([x, r]);
  });
});
