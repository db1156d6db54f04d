import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../lib/backend/setup';
import { AdaptiveAvgPool2D, adaptivePoolWindows } from '../../lib/models/adaptive_avg_pool';
import { DilatedConv2D, dilatedConv2d } from '../../lib/models/dilated_conv';
import { loadTorchStateDict } from '../../lib/models/import_torch';
import { NpyArray } from '../../lib/models/npz';
import { ResizeBilinear } from '../../lib/models/resize_bilinear';
import { relu as reluLayer, torchConv2d, torchConvTranspose2d, torchMaxPoolAfterRelu } from '../../lib/models/torch_layers';
import { hwcToMap64, map64ToHwc, maxAbsDiff, pseudoRandom } from './helpers';
import * as R from './torch_reference';

before(async () => {
  await selectBackend({ quiet: true });
});

/** A one-layer model built by `make`, with its weights set from a PyTorch-layout state dict. */
function tinyModel(inShape: number[], make: (x: tf.SymbolicTensor) => tf.SymbolicTensor, sd?: Record<string, { shape: number[]; data: Float32Array }>): tf.LayersModel {
  const input = tf.input({ shape: inShape });
  const model = tf.model({ inputs: input, outputs: make(input) });
  if (sd) {
    const dict = new Map<string, NpyArray>(Object.entries(sd).map(([k, v]) => [k, { dtype: 'float32', shape: v.shape, data: v.data }]));
    loadTorchStateDict(model, dict, 'test');
  }
  return model;
}

function predict(model: tf.LayersModel, values: Float32Array, shape: number[]): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor(values, shape)) as tf.Tensor).dataSync() as Float32Array);
}

describe('float64 PyTorch reference (checks the checker)', () => {
  test('ConvTranspose2d matches a hand-computed case (k3, s2, p1, output_padding 1)', () => {
    // full (uncropped) output of x=[[1,2],[3,4]] with w=[[1,2,0],[0,0,0],[0,0,3]] is 5x5; PyTorch keeps rows/cols 1..4
    const x = R.map64(1, 2, 2, [1, 2, 3, 4]);
    const y = R.convTranspose2d(x, { shape: [1, 1, 3, 3], data: [1, 2, 0, 0, 0, 0, 0, 0, 3] }, undefined, 2, 1, 1);
    assert.deepEqual([y.h, y.w], [4, 4]);
    assert.deepEqual(Array.from(y.data), [0, 0, 0, 0, 6, 7, 8, 6, 0, 0, 0, 0, 0, 9, 0, 12]);
  });

  test('ConvTranspose2d is the adjoint of Conv2d: <conv(a), b> = <a, convT(b)>', () => {
    const w = { shape: [3, 2, 5, 5], data: pseudoRandom(150, 3) }; // conv 2→3 (OIHW) = convT 3→2 (IOHW)
    const a = R.map64(2, 12, 12, pseudoRandom(288, 4));
    const ya = R.conv2d(a, w, undefined, 2, 2);
    const b = R.map64(3, ya.h, ya.w, pseudoRandom(3 * ya.h * ya.w, 5));
    const tb = R.convTranspose2d(b, w, undefined, 2, 2, 1);
    assert.deepEqual([tb.h, tb.w], [12, 12]);
    const dot = (p: Float64Array, q: Float64Array) => p.reduce((s, v, i) => s + v * q[i], 0);
    assert.ok(Math.abs(dot(ya.data, b.data) - dot(a.data, tb.data)) < 1e-9);
  });
});

describe('PyTorch-semantics layers', () => {
  test('torchConvTranspose2d with imported IOHW weights equals PyTorch ConvTranspose2d (no flip)', () => {
    const cases = [
      { h: 2, cin: 1, cout: 1, k: 3, s: 2, p: 1, op: 1 },
      { h: 7, cin: 3, cout: 2, k: 5, s: 2, p: 2, op: 1 },
      { h: 5, cin: 2, cout: 3, k: 9, s: 3, p: 3, op: 1 },
      { h: 4, cin: 2, cout: 2, k: 3, s: 2, p: 0, op: 0 },
    ];
    for (const c of cases) {
      const weight = { shape: [c.cin, c.cout, c.k, c.k], data: pseudoRandom(c.cin * c.cout * c.k * c.k, c.k + c.h) };
      const bias = { shape: [c.cout], data: pseudoRandom(c.cout, 9) };
      const model = tinyModel([c.h, c.h, c.cin], (x) => torchConvTranspose2d(x, { name: 'up', filters: c.cout, kernel: c.k, stride: c.s, padding: c.p, outputPadding: c.op, init: 'glorotUniform', seed: 1 }), { 'up.weight': weight, 'up.bias': bias });
      const xv = pseudoRandom(c.h * c.h * c.cin, 2);
      const ref = R.convTranspose2d(hwcToMap64(xv, c.h, c.h, c.cin), weight, bias.data, c.s, c.p, c.op);
      assert.deepEqual(model.outputs[0].shape.slice(1), [ref.h, ref.w, c.cout], JSON.stringify(c));
      assert.ok(maxAbsDiff(predict(model, xv, [1, c.h, c.h, c.cin]), map64ToHwc(ref)) < 1e-5, JSON.stringify(c));
    }
  });

  test('torchConv2d pads symmetrically like PyTorch for strided convs on even sizes', () => {
    for (const c of [{ h: 10, k: 3, s: 2, p: 1 }, { h: 12, k: 9, s: 3, p: 3 }, { h: 9, k: 5, s: 1, p: 2 }]) {
      const weight = { shape: [4, 2, c.k, c.k], data: pseudoRandom(8 * c.k * c.k, c.h) };
      const bias = { shape: [4], data: pseudoRandom(4, 7) };
      const model = tinyModel([c.h, c.h, 2], (x) => torchConv2d(x, { name: 'conv', filters: 4, kernel: c.k, stride: c.s, padding: c.p, init: 'glorotUniform', seed: 1 }), { 'conv.weight': weight, 'conv.bias': bias });
      const xv = pseudoRandom(c.h * c.h * 2, 11);
      const ref = R.conv2d(hwcToMap64(xv, c.h, c.h, 2), weight, bias.data, c.s, c.p);
      assert.ok(maxAbsDiff(predict(model, xv, [1, c.h, c.h, 2]), map64ToHwc(ref)) < 1e-5, JSON.stringify(c));
    }
  });

  test('max pool after ReLU with zero padding equals PyTorch MaxPool2d(3, 2, 1) (−∞ padding)', () => {
    const model = tinyModel([10, 10, 2], (x) => torchMaxPoolAfterRelu(reluLayer(x, 'r'), { name: 'pool', kernel: 3, stride: 2, padding: 1 }));
    const xv = pseudoRandom(200, 13);
    const ref = R.maxPool2d(R.relu(hwcToMap64(xv, 10, 10, 2)), 3, 2, 1);
    assert.deepEqual(model.outputs[0].shape.slice(1), [5, 5, 2]);
    assert.ok(maxAbsDiff(predict(model, xv, [1, 10, 10, 2]), map64ToHwc(ref)) < 1e-6);
  });
});

/** TF's atrous_conv2d identity: an independent, autodiff-able formulation of a padded dilated conv. */
function spaceToBatchDilatedConv(x: tf.Tensor4D, w: tf.Tensor4D, d: number, p: number): tf.Tensor4D {
  const [, h, wd] = x.shape;
  const extra = (n: number) => (d - ((n + 2 * p) % d)) % d;
  const [eh, ew] = [extra(h), extra(wd)];
  const blocks = tf.spaceToBatchND(x, [d, d], [[p, p + eh], [p, p + ew]]) as tf.Tensor4D;
  return tf.batchToSpaceND(tf.conv2d(blocks, w, 1, 'valid'), [d, d], [[0, eh], [0, ew]]) as tf.Tensor4D;
}

describe('dilated convolution (trainable)', () => {
  const cases = [
    { b: 2, h: 11, w: 12, c: 3, f: 4, k: 3, d: 2, p: 2 },
    { b: 1, h: 13, w: 13, c: 2, f: 3, k: 5, d: 4, p: 8 },
    { b: 1, h: 10, w: 9, c: 3, f: 2, k: 3, d: 3, p: 1 },
  ];

  test('forward equals the loop reference and tf.conv2d with dilations', () => {
    for (const c of cases) {
      const xv = pseudoRandom(c.b * c.h * c.w * c.c, 1);
      const wv = pseudoRandom(c.k * c.k * c.c * c.f, 2);
      const [ours, native] = tf.tidy(() => {
        const x = tf.tensor4d(xv, [c.b, c.h, c.w, c.c]);
        const w = tf.tensor4d(wv, [c.k, c.k, c.c, c.f]);
        const padded = tf.pad(x, [[0, 0], [c.p, c.p], [c.p, c.p], [0, 0]]);
        return [dilatedConv2d(x, w, c.d, c.p).arraySync(), tf.conv2d(padded, w, 1, 'valid', 'NHWC', [c.d, c.d]).arraySync()];
      });
      assert.deepEqual(ours, native);
      // loop reference on image 0: kernel HWIO → OIHW
      const oihw = new Float32Array(wv.length);
      for (let i = 0; i < c.k; i++) for (let j = 0; j < c.k; j++) for (let ci = 0; ci < c.c; ci++) for (let o = 0; o < c.f; o++) oihw[((o * c.c + ci) * c.k + i) * c.k + j] = wv[((i * c.k + j) * c.c + ci) * c.f + o];
      const ref = R.conv2d(hwcToMap64(xv.subarray(0, c.h * c.w * c.c), c.h, c.w, c.c), { shape: [c.f, c.c, c.k, c.k], data: oihw }, undefined, 1, c.p, c.d);
      assert.ok(maxAbsDiff((ours as number[][][][])[0].flat(2), map64ToHwc(ref)) < 1e-5, JSON.stringify(c));
    }
  });

  test('gradients (x and kernel) equal autodiff of the space-to-batch formulation and finite differences', () => {
    for (const c of cases) {
      const x = tf.tensor4d(pseudoRandom(c.b * c.h * c.w * c.c, 3), [c.b, c.h, c.w, c.c]);
      const w = tf.tensor4d(pseudoRandom(c.k * c.k * c.c * c.f, 4), [c.k, c.k, c.c, c.f]);
      const outShape = dilatedConv2d(x, w, c.d, c.p).shape;
      const r = tf.tensor(pseudoRandom(outShape.reduce((a, b) => a * b, 1), 5), outShape);
      const loss = (fn: typeof dilatedConv2d) => (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(fn(a as tf.Tensor4D, b as tf.Tensor4D, c.d, c.p), r));
      const [gx, gw] = tf.grads(loss(dilatedConv2d))([x, w]);
      const [sx, sw] = tf.grads(loss(spaceToBatchDilatedConv))([x, w]);
      const gxv = gx.dataSync();
      const gwv = gw.dataSync();
      assert.ok(gxv.every(Number.isFinite) && gwv.every(Number.isFinite));
      assert.ok(maxAbsDiff(gxv, sx.dataSync()) < 1e-4, `dx ${JSON.stringify(c)}`);
      assert.ok(maxAbsDiff(gwv, sw.dataSync()) < 1e-3, `dW ${JSON.stringify(c)}`);
      // the loss is linear in x and in W, so a central difference is exact up to float rounding
      const fd = (t: tf.Tensor, i: number, which: 0 | 1) => {
        const v = t.dataSync().slice();
        const at = (delta: number) => {
          const u = v.slice();
          u[i] += delta;
          return tf.tidy(() => {
            const moved = tf.tensor(u, t.shape);
            return loss(dilatedConv2d)(which === 0 ? moved : x, which === 0 ? w : moved).dataSync()[0];
          });
        };
        return (at(0.5) - at(-0.5)) / 1;
      };
      for (const i of [0, 7, x.size - 1]) assert.ok(Math.abs(fd(x, i, 0) - gxv[i]) < 2e-3 * (1 + Math.abs(gxv[i])), `fd dx[${i}]`);
      for (const i of [0, 5, w.size - 1]) assert.ok(Math.abs(fd(w, i, 1) - gwv[i]) < 2e-3 * (1 + Math.abs(gwv[i])), `fd dW[${i}]`);
      tf.dispose([x, w, r, gx, gw, sx, sw]);
    }
  });

  test('as a layer in a model, variableGrads reach its kernel and bias (tf.conv2d with dilations has no gradient)', () => {
    const input = tf.input({ shape: [12, 12, 2] });
    const layer = new DilatedConv2D({ name: 'dil', filters: 3, kernelSize: 3, dilation: 2, activation: 'relu', seed: 3 });
    const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
    assert.deepEqual(model.outputs[0].shape, [null, 12, 12, 3]);
    const x = tf.tensor4d(pseudoRandom(288, 6), [1, 12, 12, 2]);
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar);
    assert.deepEqual(model.trainableWeights.map((w) => w.originalName).sort(), ['dil/bias', 'dil/kernel']);
    assert.deepEqual(Object.keys(grads).sort(), model.trainableWeights.map((w) => w.name).sort());
    for (const g of Object.values(grads)) {
      const v = g.dataSync();
      assert.ok(v.every(Number.isFinite) && v.some((e) => e !== 0));
    }
    tf.dispose([value, ...Object.values(grads)]);
    assert.equal(tf.memory().numTensors, before);
    // the plain tfjs route indeed lacks the gradient, which is why the layer exists
    assert.throws(() => tf.grad((a: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, tf.ones([3, 3, 2, 1]) as tf.Tensor4D, 1, 'same', 'NHWC', [2, 2])))(x));
    tf.dispose(x);
  });
});

describe('adaptive average pooling (PyTorch AdaptiveAvgPool2d)', () => {
  test('bin edges on a 38x38 map: 6 bins → windows of 7, 3 → 13/14/13, 2 → 19/19', () => {
    assert.deepEqual(adaptivePoolWindows(38, 6), [[0, 7], [6, 13], [12, 19], [19, 26], [25, 32], [31, 38]]);
    assert.deepEqual(adaptivePoolWindows(38, 3), [[0, 13], [12, 26], [25, 38]]);
    assert.deepEqual(adaptivePoolWindows(38, 2), [[0, 19], [19, 38]]);
    assert.deepEqual(adaptivePoolWindows(38, 1), [[0, 38]]);
    assert.deepEqual(adaptivePoolWindows(12, 6), [[0, 2], [2, 4], [4, 6], [6, 8], [8, 10], [10, 12]]);
  });

  test('values equal the loop reference (non-divisible and divisible sizes, batch 2)', () => {
    for (const [h, w, bins] of [[38, 38, 6], [38, 38, 3], [13, 10, 4], [12, 12, 6], [38, 38, 1]]) {
      const c = 3;
      const xv = pseudoRandom(2 * h * w * c, h + bins);
      const model = tinyModel([h, w, c], (x) => new AdaptiveAvgPool2D({ bins }).apply(x) as tf.SymbolicTensor);
      const out = predict(model, xv, [2, h, w, c]);
      for (let b = 0; b < 2; b++) {
        const img = xv.subarray(b * h * w * c, (b + 1) * h * w * c);
        const ref = R.adaptiveAvgPool(hwcToMap64(img, h, w, c), bins);
        assert.ok(maxAbsDiff(out.subarray(b * bins * bins * c, (b + 1) * bins * bins * c), map64ToHwc(ref)) < 1e-5, `${h}x${w}→${bins}`);
      }
    }
  });

  test('has a gradient', () => {
    const x = tf.tensor4d(pseudoRandom(2 * 38 * 38, 9), [1, 38, 38, 2]);
    const layer = new AdaptiveAvgPool2D({ bins: 6 });
    const g = tf.grad((a: tf.Tensor) => tf.sum(layer.apply(a) as tf.Tensor))(x);
    // every pixel is in 1 or 2 windows per axis, each window weight 1/49
    const v = g.dataSync();
    assert.ok(v.every((e) => e > 0 && e <= (4 / 49) * 1.0001));
    tf.dispose([x, g]);
  });
});

describe('bilinear resize with align_corners=True', () => {
  test('equals the loop reference (38→301, 1→38, 75→150)', () => {
    for (const [h, out] of [[38, 301], [1, 38], [75, 150]]) {
      const xv = pseudoRandom(h * h * 2, h);
      const model = tinyModel([h, h, 2], (x) => new ResizeBilinear({ height: out, width: out }).apply(x) as tf.SymbolicTensor);
      const ref = R.resizeBilinearAlignCorners(hwcToMap64(xv, h, h, 2), out, out);
      assert.ok(maxAbsDiff(predict(model, xv, [1, h, h, 2]), map64ToHwc(ref)) < 1e-5, `${h}→${out}`);
    }
  });

  test('its gradient is the adjoint of the forward (38→301, 10→38, 1→38), as is adaptive pooling\'s', () => {
    for (const [h, out] of [[38, 301], [10, 38], [1, 38]]) {
      adjointCheck(`resize ${h}→${out}`, (x) => new ResizeBilinear({ height: out, width: out }).apply(x) as tf.Tensor, [2, h, h, 3]);
    }
    for (const bins of [1, 2, 3, 6]) adjointCheck(`adaptive pool ${bins}`, (x) => new AdaptiveAvgPool2D({ bins }).apply(x) as tf.Tensor, [2, 38, 38, 3]);
  });
});

/**
 * For a linear map A, the gradient of Σ A(x)·r with respect to x is Aᵀr, so ⟨A(x), r⟩ must equal ⟨x, grad⟩ for any
 * x and r: a wrong backward kernel (e.g. an align-corners slip in the resize gradient) breaks the equality.
 */
function adjointCheck(what: string, f: (x: tf.Tensor) => tf.Tensor, shape: number[]): void {
  tf.tidy(() => {
    const x = tf.randomNormal(shape, 0, 1, 'float32', 1);
    const y = f(x);
    const r = tf.randomNormal(y.shape, 0, 1, 'float32', 2);
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(f(a), r)))(x);
    const lhs = tf.sum(tf.mul(y, r)).dataSync()[0];
    const rhs = tf.sum(tf.mul(x, g)).dataSync()[0];
    const scale = tf.sum(tf.abs(tf.mul(y, r))).dataSync()[0];
    assert.ok(Math.abs(lhs - rhs) < 1e-5 * scale, `${what}: ⟨Ax,r⟩ = ${lhs}, ⟨x,Aᵀr⟩ = ${rhs}`);
  });
}
