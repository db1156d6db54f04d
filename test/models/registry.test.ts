import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../lib/backend/setup';
import { ConfigError, ShapeError } from '../../lib/errors';
import { assertInputSize, buildModel, describeModel, FEATURE_LAYER, featureModel, inferenceModel, ModelConfig, modelSummary } from '../../lib/models/registry';
import { pseudoRandom } from './helpers';

before(async () => {
  await selectBackend({ quiet: true });
});

describe('GG-CNN and GG-CNN2', () => {
  test('GG-CNN: [B,300,300,1] → [B,300,300,4], 62,420 parameters, like the PyTorch model', () => {
    const model = buildModel({ name: 'ggcnn' });
    assert.deepEqual(model.inputs[0].shape, [null, 300, 300, 1]);
    assert.deepEqual(model.outputs.map((o) => o.shape), [[null, 300, 300, 4]]);
    assert.equal(model.countParams(), 62420);
    assert.equal(describeModel(model).params, 62420);
    // PyTorch sizes along the way: 100, 50, 25 (convs), 50, 100, 301 (transposed convs), 300 (2x2 heads)
    const sizes = ['conv1', 'conv2', 'conv3', 'convt1_crop', 'convt2_crop', 'convt3_crop', 'maps'].map((n) => model.getLayer(n).outputShape[1]);
    assert.deepEqual(sizes, [100, 50, 25, 50, 100, 301, 300]);
    model.dispose();
  });

  test('GG-CNN2: [B,300,300,4] output, 66,676 parameters, dilated convs 2 and 4 at 75x75', () => {
    const model = buildModel({ name: 'ggcnn2' });
    assert.deepEqual(model.outputs.map((o) => o.shape), [[null, 300, 300, 4]]);
    assert.equal(model.countParams(), 66676);
    const l10 = model.getLayer('features_10');
    const l12 = model.getLayer('features_12');
    assert.equal(l10.getClassName(), 'GrasplabDilatedConv2D');
    assert.deepEqual([l10.getConfig().dilation, l12.getConfig().dilation], [2, 4]);
    assert.deepEqual(l12.outputShape, [null, 75, 75, 32]);
    model.dispose();
  });

  test('forward pass: finite output of the right shape, no leaked tensors', () => {
    const x = tf.tensor4d(pseudoRandom(2 * 300 * 300, 3), [2, 300, 300, 1]);
    for (const name of ['ggcnn', 'ggcnn2'] as const) {
      const model = buildModel({ name });
      const before = tf.memory().numTensors;
      const y = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
      assert.equal(tf.memory().numTensors, before);
      assert.equal(y.length, 2 * 300 * 300 * 4);
      assert.ok(y.every(Number.isFinite));
      model.dispose();
    }
    x.dispose();
  });

  test('same config and seed → same weights; another seed → different weights', () => {
    for (const name of ['ggcnn', 'ggcnn2'] as const) {
      const [a, b, c] = [7, 7, 8].map((seed) => buildModel({ name, seed, inputSize: 48 }));
      const values = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
      assert.deepEqual(values(a), values(b));
      assert.notDeepEqual(values(a), values(c));
      [a, b, c].forEach((m) => m.dispose());
    }
  });

  test('FLOPs = 2 × conv multiply-adds for one 300x300 image (GG-CNN counted by hand)', () => {
    const macs =
      100 * 100 * 9 * 9 * 1 * 32 + // conv1 (per output pixel)
      50 * 50 * 5 * 5 * 32 * 16 +
      25 * 25 * 3 * 3 * 16 * 8 +
      25 * 25 * 3 * 3 * 8 * 8 + // convt1 (per input pixel)
      50 * 50 * 5 * 5 * 8 * 16 +
      100 * 100 * 9 * 9 * 16 * 32 +
      4 * 300 * 300 * 2 * 2 * 32; // four 2x2 heads
    const d = describeModel(buildModel({ name: 'ggcnn' }));
    assert.equal(d.macs, macs);
    assert.equal(d.flops, 2 * macs);
    assert.match(modelSummary(buildModel({ name: 'ggcnn2' })), /ggcnn2: 66,676 trainable/);
  });

  test('other input sizes work where the architecture maps S onto S; others are a ShapeError', () => {
    assert.deepEqual(buildModel({ name: 'ggcnn', inputSize: 48 }).outputs[0].shape, [null, 48, 48, 4]);
    assert.deepEqual(buildModel({ name: 'ggcnn2', inputSize: 64 }).outputs[0].shape, [null, 64, 64, 4]);
    assert.throws(() => buildModel({ name: 'ggcnn', inputSize: 299 }), (e: unknown) => e instanceof ShapeError && /multiple of 12/.test(e.message));
    assert.throws(() => buildModel({ name: 'ggcnn2', inputSize: 302 }), (e: unknown) => e instanceof ShapeError && /multiple of 4/.test(e.message));
  });
});

describe('head bias', () => {
  test("'prior' starts every head at the targets' background (cos 1, rest 0), on the output and in every head; kernels unchanged", () => {
    const x = tf.tensor4d(pseudoRandom(300 * 300, 5), [1, 300, 300, 1]);
    // a model with an aux head too: both fused heads get the prior
    for (const cfg of [{ name: 'ggcnn' }, { name: 'pspnet', resnetDepth: 18, widthMultiplier: 0.125, aux: true }] as ModelConfig[]) {
      const zeros = buildModel(cfg);
      const prior = buildModel({ ...cfg, headBias: 'prior' });
      const heads = prior.layers.filter((l) => l.name === 'maps' || l.name === 'aux_maps');
      assert.equal(heads.length, cfg.aux ? 2 : 1);
      for (const head of heads) {
        const [kPrior, bPrior] = head.getWeights();
        const [kZeros, bZeros] = zeros.getLayer(head.name).getWeights();
        assert.deepEqual(Array.from(bPrior.dataSync()), [0, 1, 0, 0]);
        assert.deepEqual(Array.from(bZeros.dataSync()), [0, 0, 0, 0]);
        assert.deepEqual(Array.from(kPrior.dataSync()), Array.from(kZeros.dataSync()));
      }
      // the outputs differ by exactly the bias: +1 on the cos channel, nothing elsewhere
      const [yz, yp] = [zeros, prior].map((m) => inferenceModel(m).predict(x) as tf.Tensor);
      const shift = tf.tidy(() => tf.mean(tf.sub(yp, yz), [0, 1, 2]).dataSync());
      for (const [c, want] of [0, 1, 0, 0].entries()) assert.ok(Math.abs(shift[c] - want) < 1e-4, `${cfg.name} channel ${c}: ${shift[c]}`);
      tf.dispose([yz, yp]);
      zeros.dispose();
      prior.dispose();
    }
    x.dispose();
  });
});

describe('config validation and input checks', () => {
  test('bad configs are ConfigErrors naming the field', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ name: 'unet' }, /unknown model 'unet'/],
      [{ name: 'ggcnn', aux: true }, /aux only apply to pspnet/],
      [{ name: 'ggcnn2', widthMultiplier: 0.5 }, /widthMultiplier/],
      [{ name: 'pspnet', resnetDepth: 42 }, /resnetDepth/],
      [{ name: 'pspnet', widthMultiplier: 0 }, /widthMultiplier/],
      [{ name: 'pspnet', dropout: 1 }, /dropout/],
      [{ name: 'ggcnn', seed: 1.5 }, /seed/],
      [{ name: 'ggcnn', headBias: 'ones' }, /headBias must be one of zeros, prior/],
    ];
    for (const [cfg, re] of bad) assert.throws(() => buildModel(cfg as ModelConfig), (e: unknown) => e instanceof ConfigError && re.test(e.message), JSON.stringify(cfg));
  });

  test('assertInputSize and the model itself reject a wrong input size with a ShapeError', () => {
    const model = buildModel({ name: 'ggcnn' });
    assertInputSize([2, 300, 300, 1], model);
    const x = tf.zeros([1, 299, 299, 1]);
    assert.throws(() => assertInputSize(x, model), (e: unknown) => e instanceof ShapeError && /\[B,300,300,1\]/.test(e.message) && /299/.test(e.message));
    assert.throws(() => assertInputSize([1, 300, 300, 3], { size: 300, channels: 1 }), ShapeError);
    // model.apply (training loops) hits the model's own size check before any convolution
    assert.throws(() => model.apply(x), (e: unknown) => e instanceof ShapeError && /ggcnn/.test(e.message));
    // model.predict is refused by tfjs's own input check
    assert.throws(() => model.predict(x));
    x.dispose();
    model.dispose();
  });

  test('featureOutput / featureModel expose the head feature map', () => {
    const m = buildModel({ name: 'ggcnn', featureOutput: true });
    assert.deepEqual(m.outputs.map((o) => o.shape), [[null, 300, 300, 4], [null, 301, 301, 32]]);
    assert.equal(m.outputs[1].sourceLayer.name, FEATURE_LAYER);
    const f = featureModel(buildModel({ name: 'ggcnn2' }));
    assert.deepEqual(f.outputs.map((o) => o.shape), [[null, 300, 300, 4], [null, 300, 300, 16]]);
    // a single-output model is its own inference model
    const g = buildModel({ name: 'ggcnn' });
    assert.equal(inferenceModel(g), g);
  });
});
