import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { selectBackend } from '../../lib/backend/setup';
import { seededValues, wasmMissing } from './backend_compare';

/**
 * No tensor or wasm-buffer leaks per training step with grasplab's wasm kernels: a tiny model using every replaced
 * kernel on its training path (conv, strided conv, conv-transpose, batch norm, concat of heads) holds the same memory
 * after 4 steps as after 12.
 */
describe('wasm training steps do not leak', () => {
  before(async () => {
    await selectBackend({ quiet: true });
  });

  it('memory after step 12 equals memory after step 4', { skip: wasmMissing() }, async () => {
    assert.ok(await tf.setBackend('wasm'), 'the wasm backend failed to initialise');
    const init = (seed: number) => tf.initializers.glorotUniform({ seed });
    const input = tf.input({ shape: [24, 24, 1] });
    let h = tf.layers.conv2d({ filters: 4, kernelSize: 5, strides: 3, padding: 'same', activation: 'relu', kernelInitializer: init(1) }).apply(input) as tf.SymbolicTensor;
    h = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
    h = tf.layers.conv2dTranspose({ filters: 4, kernelSize: 5, strides: 3, padding: 'same', activation: 'relu', kernelInitializer: init(2) }).apply(h) as tf.SymbolicTensor;
    const heads = [3, 4, 5, 6].map((s) => tf.layers.conv2d({ filters: 1, kernelSize: 2, padding: 'same', kernelInitializer: init(s) }).apply(h) as tf.SymbolicTensor);
    const out = tf.layers.concatenate({ axis: 3 }).apply(heads) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const optimizer = tf.train.adam(1e-3);
    const x = tf.tensor4d(seededValues(2 * 24 * 24, 41), [2, 24, 24, 1]);
    const y = tf.tensor4d(seededValues(2 * 24 * 24 * 4, 42), [2, 24, 24, 4]);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const backend = tf.engine().backend;
    const snap = () => ({ tensors: tf.memory().numTensors, bytes: tf.memory().numBytes, buffers: backend.numDataIds() });
    const step = () => {
      const { value, grads } = tf.variableGrads(() => tf.losses.meanSquaredError(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
      optimizer.applyGradients(grads as tf.NamedTensorMap as Parameters<typeof optimizer.applyGradients>[0]);
      tf.dispose([value, ...Object.values(grads)]);
    };
    let after4 = snap();
    for (let i = 1; i <= 12; i++) {
      step();
      if (i === 4) after4 = snap();
    }
    assert.deepEqual(snap(), after4);
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  });
});
