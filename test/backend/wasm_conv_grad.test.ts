import * as tf from '@tensorflow/tfjs';
import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { selectBackend } from '../../lib/backend/setup';
import { assertWasmMatchesCpu, seededValues } from './backend_compare';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

interface ConvCase {
  name: string;
  x: [number, number, number, number]; // [B,H,W,CI]
  filter: [number, number, number, number]; // [KH,KW,CI,CO]
  strides: [number, number];
  pad: Pad;
}

/** Gradients of Σ r·conv2d(x,W) w.r.t. x and W; r (random) keeps the output gradient non-uniform. */
function convGrads(c: ConvCase): () => tf.Tensor[] {
  return () => {
    const x = tf.tensor4d(seededValues(sizeOf(c.x), 1), c.x);
    const w = tf.tensor4d(seededValues(sizeOf(c.filter), 2), c.filter);
    const yShape = tf.conv2d(x, w, c.strides, c.pad).shape;
    const r = tf.tensor(seededValues(sizeOf(yShape), 3), yShape);
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad), r));
    return tf.grads(f)([x, w]);
  };
}

interface TransposeCase {
  name: string;
  x: [number, number, number, number]; // [B,H,W,CI] (the conv-transpose input)
  filter: [number, number, number, number]; // [KH,KW,CO,CI] (tfjs conv2dTranspose layout)
  strides: number;
  pad: 'same' | 'valid';
}

/** Gradients of Σ r·conv2dTranspose(x,W) w.r.t. x and W, the output size chosen as Keras Conv2DTranspose does. */
function transposeGrads(c: TransposeCase): () => tf.Tensor[] {
  return () => {
    const [b, h, w, _ci] = c.x;
    const [kh, kw, co] = c.filter;
    const size = (n: number, k: number) => (c.pad === 'same' ? n * c.strides : n * c.strides + Math.max(k - c.strides, 0));
    const outShape: [number, number, number, number] = [b, size(h, kh), size(w, kw), co];
    const x = tf.tensor4d(seededValues(sizeOf(c.x), 4), c.x);
    const wt = tf.tensor4d(seededValues(sizeOf(c.filter), 5), c.filter);
    const r = tf.tensor(seededValues(sizeOf(outShape), 6), outShape);
    const f = (a: tf.Tensor, k: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2dTranspose(a as tf.Tensor4D, k as tf.Tensor4D, outShape, c.strides, c.pad), r));
    return tf.grads(f)([x, wt]);
  };
}

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

const CONV_CASES: ConvCase[] = [
  { name: '3x3 stride 1 same, batch 2, non-square', x: [2, 7, 9, 3], filter: [3, 3, 3, 4], strides: [1, 1], pad: 'same' },
  { name: '5x5 stride 2 same', x: [2, 11, 8, 2], filter: [5, 5, 2, 3], strides: [2, 2], pad: 'same' },
  { name: '9x9 stride 3 same, 1 input channel (GG-CNN first layer)', x: [2, 20, 17, 1], filter: [9, 9, 1, 4], strides: [3, 3], pad: 'same' },
  { name: '9x9 stride 3 valid, unused trailing rows', x: [3, 20, 17, 2], filter: [9, 9, 2, 3], strides: [3, 3], pad: 'valid' },
  { name: '2x2 stride 2 valid, odd input', x: [2, 9, 7, 3], filter: [2, 2, 3, 2], strides: [2, 2], pad: 'valid' },
  { name: '3x5 stride [2,3] explicit pads', x: [2, 10, 13, 2], filter: [3, 5, 2, 3], strides: [2, 3], pad: [[0, 0], [1, 2], [0, 3], [0, 0]] },
  { name: '1x1 stride 2 valid', x: [2, 6, 5, 4], filter: [1, 1, 4, 3], strides: [2, 2], pad: 'valid' },
  { name: '2x2 stride 1 same, 1 output channel (GG-CNN head)', x: [2, 9, 8, 5], filter: [2, 2, 5, 1], strides: [1, 1], pad: 'same' },
  { name: '1x1 stride 1 valid (bottleneck)', x: [2, 6, 7, 9], filter: [1, 1, 9, 10], strides: [1, 1], pad: 'valid' },
  { name: '7x7 stride 2 same, larger channels', x: [1, 16, 14, 5], filter: [7, 7, 5, 6], strides: [2, 2], pad: 'same' },
];

const TRANSPOSE_CASES: TransposeCase[] = [
  { name: 'convT 3x3 stride 2 same', x: [2, 5, 6, 3], filter: [3, 3, 2, 3], strides: 2, pad: 'same' },
  { name: 'convT 9x9 stride 3 same', x: [2, 4, 5, 2], filter: [9, 9, 1, 2], strides: 3, pad: 'same' },
  { name: 'convT 5x5 stride 2 valid', x: [2, 4, 3, 2], filter: [5, 5, 3, 2], strides: 2, pad: 'valid' },
  { name: 'convT 4x4 stride 3 valid', x: [1, 3, 4, 2], filter: [4, 4, 2, 2], strides: 3, pad: 'valid' },
];

describe('wasm conv gradients match the cpu backend', () => {
  before(async () => {
    await selectBackend({ quiet: true });
  });

  for (const c of CONV_CASES) {
    it(`conv2d ${c.name}`, { skip: skipUnlessWasm() }, async () => {
      await assertWasmMatchesCpu(c.name, convGrads(c));
    });
  }
  for (const c of TRANSPOSE_CASES) {
    it(c.name, { skip: skipUnlessWasm() }, async () => {
      await assertWasmMatchesCpu(c.name, transposeGrads(c));
    });
  }

  it('dilated conv built from spaceToBatchND + plain conv (as the models use)', { skip: skipUnlessWasm() }, async () => {
    await assertWasmMatchesCpu('dilated via spaceToBatchND', () => {
      const rate = 2;
      const xs: [number, number, number, number] = [2, 12, 10, 3];
      const ws: [number, number, number, number] = [3, 3, 3, 4];
      const x = tf.tensor4d(seededValues(sizeOf(xs), 7), xs);
      const w = tf.tensor4d(seededValues(sizeOf(ws), 8), ws);
      const r = tf.tensor(seededValues(2 * 12 * 10 * 4, 9), [2, 12, 10, 4]);
      const f = (a: tf.Tensor, k: tf.Tensor) => {
        const padded = tf.pad(a, [[0, 0], [rate, rate], [rate, rate], [0, 0]]);
        const s2b = tf.spaceToBatchND(padded, [rate, rate], [[0, 0], [0, 0]]);
        const y = tf.conv2d(s2b as tf.Tensor4D, k as tf.Tensor4D, 1, 'valid');
        const back = tf.batchToSpaceND(y, [rate, rate], [[0, 0], [0, 0]]);
        return tf.sum(tf.mul(back, r));
      };
      return tf.grads(f)([x, w]);
    });
  });

  it('registration is idempotent and leaves no tensors behind', { skip: skipUnlessWasm() }, async () => {
    const { registerWasmGradientKernels } = await import('../../lib/backend/wasm_kernels');
    registerWasmGradientKernels();
    registerWasmGradientKernels();
    const c = CONV_CASES[1];
    const backend = tf.engine().backend;
    const before = { tensors: tf.memory().numTensors, data: backend.numDataIds() };
    tf.dispose(tf.tidy(() => convGrads(c)()));
    // numDataIds also counts the wasm-heap intermediates the kernel creates outside the engine.
    assert.deepEqual({ tensors: tf.memory().numTensors, data: backend.numDataIds() }, before);
  });

  it('a tiny conv / conv-transpose model trains on wasm (loss decreases)', { skip: skipUnlessWasm() }, async () => {
    tf.util.assert(tf.getBackend() === 'wasm', () => 'expected wasm');
    const input = tf.input({ shape: [16, 16, 1] });
    let h = tf.layers.conv2d({ filters: 4, kernelSize: 5, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
    h = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
    h = tf.layers.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(h) as tf.SymbolicTensor;
    const out = tf.layers.conv2d({ filters: 4, kernelSize: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(h) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
    const x = tf.tensor4d(seededValues(4 * 16 * 16, 10), [4, 16, 16, 1]);
    const y = tf.tidy(() => tf.concat([x, tf.neg(x), tf.square(x), tf.abs(x)], 3));
    const hist = await model.fit(x, y, { epochs: 15, batchSize: 4, shuffle: false, verbose: 0 });
    const losses = hist.history.loss as number[];
    assert.ok(losses.every(Number.isFinite), `non-finite loss: ${losses}`);
    assert.ok(losses[losses.length - 1] < 0.8 * losses[0], `loss did not decrease enough: ${losses[0]} -> ${losses[losses.length - 1]}`);
    tf.dispose([x, y]);
    model.dispose();
  });
});

function skipUnlessWasm(): string | false {
  return tf.findBackendFactory('wasm') || safeRequireWasm() ? false : 'wasm backend unavailable';
}

function safeRequireWasm(): boolean {
  try {
    require('@tensorflow/tfjs-backend-wasm');
    return true;
  } catch {
    return false;
  }
}
