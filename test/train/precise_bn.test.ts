import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../lib/backend/setup';
import { useTempResultsDir } from '../helpers/results_dir';
import { Rng } from '../../lib/data/random';
import { ConfigError } from '../../lib/errors';
import { fit, type BatchSource } from '../../lib/train/loop';
import { batchNormLayers, recomputeBatchNormStats } from '../../lib/train/precise_bn';
import { trainStep, type TrainBatch } from '../../lib/train/step';
import { fakeBatch, fakeSource, maxAbsDiff, tinyModel } from './tiny';

useTempResultsDir('grasplab-precise-bn-');
before(async () => {
  await selectBackend({ quiet: true });
});

/** A source that yields copies of one batch, counting reads. */
function repeatSource(batch: TrainBatch): BatchSource & { reads: number } {
  const src = {
    reads: 0,
    nextBatch: async () => {
      src.reads++;
      return { x: batch.x.clone(), y: batch.y.clone() };
    },
  };
  return src;
}

/** Small-variance input, like normalised depth in metres: the moving variance's initial 1 is far off. */
function depthLikeBatch(seed: number): TrainBatch {
  const b = fakeBatch(new Rng(seed), 4);
  const x = tf.mul(b.x, 0.01) as tf.Tensor4D;
  b.x.dispose();
  return { x, y: b.y };
}

function outputs(model: tf.LayersModel, x: tf.Tensor4D, training: boolean): Float32Array {
  return tf.tidy(() => (model.apply(x, { training }) as tf.Tensor).dataSync() as Float32Array).slice();
}

test('precise BN: afterwards inference-mode outputs equal training-mode outputs on the calibration batch', async () => {
  const model = tinyModel({ bn: true, seed: 3 });
  const batch = depthLikeBatch(5);
  const opt = tf.train.adam(1e-2);
  for (let i = 0; i < 3; i++) await trainStep(model, opt, batch);
  const train = outputs(model, batch.x, true);
  const scale = Math.max(...Array.from(train, Math.abs));
  // 3 steps with momentum 0.9 leave the moving variance near its initial 1: inference is far from training mode
  const before = maxAbsDiff(outputs(model, batch.x, false), train);
  assert.ok(before > 0.05 * scale, `before: max diff ${before} should be large against output scale ${scale}`);

  const src = repeatSource(batch);
  const updated = await recomputeBatchNormStats(model, src, 3);
  assert.equal(updated, 1);
  assert.equal(src.reads, 3);
  const afterDiff = maxAbsDiff(outputs(model, batch.x, false), outputs(model, batch.x, true));
  assert.ok(afterDiff < 1e-3 * scale, `after: max diff ${afterDiff} (output scale ${scale})`);
  assert.equal(batchNormLayers(model)[0].momentum, 0.9, 'momentum restored');
  opt.dispose();
  tf.dispose([batch.x, batch.y]);
});

test('precise BN: the moving statistics are the average of the batch statistics', async () => {
  const model = tinyModel({ bn: true, seed: 4 });
  const batches = [depthLikeBatch(6), depthLikeBatch(7)];
  let i = 0;
  await recomputeBatchNormStats(model, { nextBatch: async () => ({ x: batches[i].x.clone(), y: batches[i++].y.clone() }) }, 2);
  // batch statistics of the BN input (the first conv's output), computed independently
  const conv = tf.model({ inputs: model.inputs, outputs: model.getLayer('tiny_c1').output as tf.SymbolicTensor });
  const stats = batches.map((b) => tf.tidy(() => {
    const { mean, variance } = tf.moments(conv.predict(b.x) as tf.Tensor, [0, 1, 2]);
    return [mean.dataSync().slice(), variance.dataSync().slice()];
  }));
  const bn = model.getLayer('tiny_bn');
  const [movingMean, movingVar] = bn.getWeights().slice(2).map((w) => w.dataSync());
  for (let c = 0; c < movingMean.length; c++) {
    assert.ok(Math.abs(movingMean[c] - (stats[0][0][c] + stats[1][0][c]) / 2) < 1e-6, `mean channel ${c}`);
    const v = (stats[0][1][c] + stats[1][1][c]) / 2;
    // float32 variances of ~1e-6 from two different reductions agree to ~0.5 %; the initial value was 1
    assert.ok(Math.abs(movingVar[c] - v) < 1e-2 * v, `variance channel ${c}: ${movingVar[c]} vs ${v}`);
  }
  batches.forEach((b) => tf.dispose([b.x, b.y]));
});

test('precise BN: a model without BatchNorm is left alone and its source is not read', async () => {
  const model = tinyModel({ bn: false });
  const batch = depthLikeBatch(8);
  const src = repeatSource(batch);
  assert.equal(await recomputeBatchNormStats(model, src, 4), 0);
  assert.equal(src.reads, 0);
  await assert.rejects(recomputeBatchNormStats(tinyModel({ bn: true, prefix: 'b' }), src, 0), ConfigError);
  tf.dispose([batch.x, batch.y]);
});

test('fit with preciseBn recalibrates after each epoch and records the time; an endless source needs its own data', async () => {
  const model = tinyModel({ bn: true, prefix: 'fitbn' });
  let calibrations = 0;
  const r = await fit({
    name: 'precise-bn', model, epochs: 2, batchesPerEpoch: 2, onProgress: null,
    data: (e) => fakeSource(10 + e),
    preciseBn: { batches: 2, data: (e) => { calibrations++; return fakeSource(100 + e); } },
  });
  assert.equal(calibrations, 2);
  assert.ok(r.history.every((h) => typeof h.bnSeconds === 'number'));
  await assert.rejects(
    fit({ name: 'precise-bn-endless', model: tinyModel({ bn: true, prefix: 'e' }), epochs: 1, batchesPerEpoch: 1, onProgress: null,
      data: fakeSource(1), preciseBn: { batches: 1 } }),
    ConfigError,
  );
});
