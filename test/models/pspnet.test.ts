import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Dropout2D } from '../../lib/models/dropout2d';
import { selectBackend } from '../../lib/backend/setup';
import { ShapeError } from '../../lib/errors';
import { PSP_BINS } from '../../lib/models/pspnet';
import { assertInputSize, buildModel, describeModel, FEATURE_LAYER, featureModel, inferenceModel, pspnetParamCount } from '../../lib/models/registry';
import { resnetParamCount } from '../../lib/models/resnet';
import { trainStep } from '../../lib/train/step';
import { pseudoRandom } from './helpers';

before(async () => {
  await selectBackend({ quiet: true });
});

// the smoke profile's widths: fast enough to build and run at 300x300 in a test
const SMALL = { name: 'pspnet', resnetDepth: 18, widthMultiplier: 0.125 } as const;

describe('PSPNet-ResNet', () => {
  test('[B,300,300,1] → [B,300,300,4]; 38x38 maps after layer2 (output stride 8); PPM bins 1,2,3,6', () => {
    const model = buildModel(SMALL);
    assert.deepEqual(model.outputs.map((o) => o.shape), [[null, 300, 300, 4]]);
    assert.deepEqual(model.getLayer('conv0').outputShape, [null, 300, 300, 3]);
    assert.equal(model.getLayer('conv0').countParams(), 3); // 1x1, 1→3, no bias (the report)
    assert.deepEqual(model.getLayer('layer0_maxpool').outputShape.slice(1, 3), [75, 75]);
    for (const l of ['layer2_1_relu', 'layer3_1_relu', 'layer4_1_relu']) assert.deepEqual(model.getLayer(l).outputShape.slice(1, 3), [38, 38], l);
    assert.deepEqual(PSP_BINS.map((_, i) => model.getLayer(`ppm_${i}_pool`).outputShape[1]), [1, 2, 3, 6]);
    assert.deepEqual(model.getLayer('cls_upsample').outputShape.slice(1, 3), [301, 301]);
    // layer3 / layer4 3x3 convs are dilated 2 / 4
    assert.equal(model.getLayer('layer3_0_conv1').getConfig().dilation, 2);
    assert.equal(model.getLayer('layer4_1_conv2').getConfig().dilation, 4);
    model.dispose();
  });

  test('forward on 1x300x300: finite maps, no leaked tensors', () => {
    const model = buildModel(SMALL);
    const x = tf.tensor4d(pseudoRandom(300 * 300, 2), [1, 300, 300, 1]);
    const before = tf.memory().numTensors;
    const y = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
    assert.equal(tf.memory().numTensors, before);
    assert.equal(y.length, 300 * 300 * 4);
    assert.ok(y.every(Number.isFinite));
    x.dispose();
    model.dispose();
  });

  test('aux model: outputs [main, aux]; inferenceModel shares layers and gives identical main output', () => {
    const model = buildModel({ ...SMALL, aux: true });
    assert.deepEqual(model.outputs.map((o) => o.shape), [[null, 300, 300, 4], [null, 300, 300, 4]]);
    assert.deepEqual(model.outputs.map((o) => o.sourceLayer.name), ['maps', 'aux_maps']);
    // the aux head starts on layer3
    const auxConvInput = model.getLayer('aux_conv').input as tf.SymbolicTensor;
    assert.match(auxConvInput.sourceLayer.name, /^layer3_\d+_relu|^aux_conv_pad$/);
    const inf = inferenceModel(model);
    assert.deepEqual(inf.outputs.map((o) => o.shape), [[null, 300, 300, 4]]);
    assert.equal(inf.getLayer('cls_conv'), model.getLayer('cls_conv'));
    assert.ok(!inf.layers.some((l) => l.name.startsWith('aux_')));
    assert.equal(describeModel(model).params - describeModel(inf).params, pspnetParamCount({ depth: 18, widthMultiplier: 0.125, aux: true }).trainable - pspnetParamCount({ depth: 18, widthMultiplier: 0.125, aux: false }).trainable);
    const x = tf.tensor4d(pseudoRandom(300 * 300, 4), [1, 300, 300, 1]);
    const [main, infMain] = tf.tidy(() => [(model.predict(x) as tf.Tensor[])[0].dataSync(), (inf.predict(x) as tf.Tensor).dataSync()]);
    assert.deepEqual(infMain, main);
    x.dispose();
    model.dispose();
  });

  test('features for structured KD: featureOutput adds head_features last; featureModel gives [maps, features]', () => {
    const model = buildModel({ ...SMALL, aux: true, featureOutput: true });
    assert.deepEqual(model.outputs.map((o) => o.sourceLayer.name), ['maps', 'aux_maps', FEATURE_LAYER]);
    assert.deepEqual(model.outputs[2].shape, [null, 38, 38, 64]); // 512 × 0.125
    const f = featureModel(buildModel(SMALL));
    assert.deepEqual(f.outputs.map((o) => o.shape), [[null, 300, 300, 4], [null, 38, 38, 64]]);
  });

  test('every trainable weight gets a finite gradient (dilated convs, adaptive pooling, resize, aux head)', () => {
    const model = buildModel({ name: 'pspnet', resnetDepth: 18, widthMultiplier: 0.0625, aux: true, dropout: 0.1 });
    const x = tf.tensor4d(pseudoRandom(300 * 300, 5), [1, 300, 300, 1]);
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() =>
      tf.tidy(() => {
        const [main, aux] = model.apply(x, { training: true }) as tf.Tensor[];
        return tf.add(tf.mean(tf.square(main)), tf.mul(0.4, tf.mean(tf.square(aux)))) as tf.Scalar;
      }),
    );
    // variableGrads keys are the variables' unique names (originalName + a suffix when names repeat across models)
    const trainable = model.trainableWeights.map((w) => w.name).sort();
    assert.deepEqual(Object.keys(grads).sort(), trainable);
    const byOriginal = (n: string) => grads[model.trainableWeights.find((w) => w.originalName === n)!.name];
    for (const [name, g] of Object.entries(grads)) assert.ok(g.dataSync().every(Number.isFinite), name);
    // the dilated layer3/layer4 kernels really receive a signal
    for (const name of ['layer3_0_conv1/kernel', 'layer4_1_conv2/kernel']) assert.ok(byOriginal(name).dataSync().some((v) => v !== 0), name);
    tf.dispose([value, ...Object.values(grads)]);
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
    model.dispose();
  });

  test('input other than 300x300: ShapeError at build time and at predict/apply time', () => {
    assert.throws(() => buildModel({ ...SMALL, inputSize: 296 }), (e: unknown) => e instanceof ShapeError && /300x300/.test(e.message));
    const model = buildModel(SMALL);
    const x = tf.zeros([1, 297, 297, 1]);
    assert.throws(() => assertInputSize(x, model), (e: unknown) => e instanceof ShapeError && /\[B,300,300,1\]/.test(e.message));
    assert.throws(() => model.apply(x), (e: unknown) => e instanceof ShapeError && /pspnet/.test(e.message));
    x.dispose();
    model.dispose();
  });

  test('Dropout2d drops whole channels with p = dropout, reproducibly, and only in training', () => {
    const model = buildModel({ ...SMALL, dropout: 0.25, aux: true });
    for (const n of ['cls_dropout', 'aux_dropout']) assert.equal(model.getLayer(n).getConfig().rate, 0.25);
    assert.throws(() => buildModel({ ...SMALL, dropout: 0 }).getLayer('cls_dropout'));

    const x = tf.ones([2, 5, 5, 64]);
    const masks = (seed: number) => {
      const layer = new Dropout2D({ rate: 0.25, seed });
      return [0, 1].map(() => tf.tidy(() => (layer.apply(x, { training: true }) as tf.Tensor).arraySync() as number[][][][]));
    };
    const [a1, a2] = masks(7);
    const [b1] = masks(7);
    assert.deepEqual(a1, b1, 'same seed, same call index → same mask');
    assert.notDeepEqual(a1, a2, 'the next call draws a new mask');
    for (const out of [a1, a2]) {
      const kept = out.map((img) => img[0][0].map((v, c) => {
        // whole channels: every pixel of a channel is dropped or kept together, kept ones scaled by 1/(1−p)
        const vals = new Set(img.flatMap((row) => row.map((px) => px[c])));
        assert.equal(vals.size, 1);
        assert.ok(v === 0 || Math.abs(v - 1 / 0.75) < 1e-6);
        return v !== 0;
      }));
      const dropped = kept.flat().filter((k) => !k).length / kept.flat().length;
      assert.ok(dropped > 0.1 && dropped < 0.45, `dropped fraction ${dropped}`);
    }
    const inference = new Dropout2D({ rate: 0.25, seed: 1 }).apply(x) as tf.Tensor;
    assert.equal(tf.tidy(() => tf.sub(inference, x).abs().max().dataSync()[0]), 0);
    tf.dispose([x, inference]);
  });
});

describe('reproducible training', () => {
  test('the same seed gives the same losses step after step (dropout included)', async () => {
    const x = tf.tensor4d(pseudoRandom(2 * 300 * 300, 11), [2, 300, 300, 1]);
    const y = tf.tensor4d(pseudoRandom(2 * 300 * 300 * 4, 12).map((v) => Math.abs(v)), [2, 300, 300, 4]);
    const run = async () => {
      const model = buildModel({ ...SMALL, widthMultiplier: 0.0625, seed: 5 });
      const opt = tf.train.adam(1e-3);
      const losses: number[] = [];
      for (let i = 0; i < 3; i++) losses.push((await trainStep(model, opt, { x, y })).loss);
      opt.dispose();
      model.dispose();
      return losses;
    };
    const [a, b] = [await run(), await run()];
    assert.deepEqual(a, b);
    assert.ok(a[2] < a[0], `the model trains: loss ${a[0]} → ${a[2]}`);
    tf.dispose([x, y]);
  });
});

describe('parameter counts', () => {
  test('the analytic count equals the built model for every depth, small widths, with and without aux', () => {
    for (const depth of [18, 34, 50, 101] as const) {
      for (const [widthMultiplier, aux] of [[0.0625, false], [0.125, true]] as const) {
        if (depth === 101 && aux) continue; // keep the test short; R101 shares R50's code path
        const model = buildModel({ name: 'pspnet', resnetDepth: depth, widthMultiplier, aux });
        const d = describeModel(model);
        const a = pspnetParamCount({ depth, widthMultiplier, aux });
        assert.deepEqual([d.params, d.nonTrainableParams], [a.trainable, a.nonTrainable], `R${depth} w${widthMultiplier} aux ${aux}`);
        assert.equal(model.countParams(), a.trainable + a.nonTrainable);
        model.dispose();
      }
    }
  });

  test('full width matches the reference counts (deep-stem ResNet without fc; PSPNet-R50 ≈ 46.7 M, R101 ≈ 65.7 M)', () => {
    // reference-methods §3 (computed from semseg): backbones R50 23,631,808 and R101 42,623,936
    assert.equal(resnetParamCount(50, 1).trainable, 23631808);
    assert.equal(resnetParamCount(101, 1).trainable, 42623936);
    const r50 = pspnetParamCount({ depth: 50, widthMultiplier: 1, aux: false }).trainable;
    const r50aux = pspnetParamCount({ depth: 50, widthMultiplier: 1, aux: true }).trainable;
    const r101 = pspnetParamCount({ depth: 101, widthMultiplier: 1, aux: false }).trainable;
    // reference: backbone + PPM 4,198,400 + cls head 18,877,444 (+ aux 2,360,836); ours adds conv0 (3) and the
    // four 2x2 output convs on 4 classes per head (4·17 = 68)
    assert.equal(r50, 23631808 + 4198400 + 18877444 + 3 + 68);
    assert.equal(r50aux - r50, 2360836 + 68);
    assert.equal(r101 - r50, 42623936 - 23631808);
    assert.ok(Math.abs(r50 - 46.7e6) < 0.05e6 && Math.abs(r101 - 65.7e6) < 0.05e6);
  });
});
