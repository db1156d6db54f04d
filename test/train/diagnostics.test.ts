import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../lib/backend/setup';
import { buildModel } from '../../lib/models/registry';
import { gradientNormsByStage } from '../../lib/train/diagnostics';

test('gradient norms per stage: the aux term adds gradient to the backbone and none to the head-only stages it skips', async () => {
  await selectBackend({ quiet: true });
  const model = buildModel({ name: 'pspnet', resnetDepth: 18, widthMultiplier: 0.0625, aux: true, dropout: 0 });
  const x = tf.randomNormal([1, 300, 300, 1], 0, 0.1, 'float32', 3) as tf.Tensor4D;
  const y = tf.randomUniform([1, 300, 300, 4], 0, 1, 'float32', 4) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const without = gradientNormsByStage(model, x, y, 0);
  const withAux = gradientNormsByStage(model, x, y, 1);
  assert.equal(tf.memory().numTensors, before, 'no tensors leak');
  for (const s of ['conv0', 'layer1', 'layer2', 'layer3', 'layer4', 'ppm']) {
    assert.ok(without[s] > 0 && Number.isFinite(without[s]), `${s} has a gradient`);
  }
  assert.equal(without.aux ?? 0, 0, 'with weight 0 the aux head gets no gradient');
  assert.ok(withAux.aux > 0, 'with weight 1 the aux head gets a gradient');
  // layer4 and the PPM lie after layer3: the aux term (on layer3) cannot change their gradient
  assert.ok(Math.abs(withAux.layer4 - without.layer4) <= 1e-5 * without.layer4 + 1e-12, 'layer4 unchanged');
  assert.ok(Math.abs(withAux.layer1 - without.layer1) > 1e-6 * without.layer1, 'layer1 gradient changed by the aux term');
  tf.dispose([x, y]);
  model.dispose();
});
