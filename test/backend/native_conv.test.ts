import * as tf from '@tensorflow/tfjs';
import { before, describe, it, type TestContext } from 'node:test';
import * as assert from 'node:assert/strict';
import { selectBackend } from '../../lib/backend/setup';
import { describeNativeConv, disableNativeConv, enableNativeConv, nativeConvStatus, nativeIsaFromEnv, nativeThreadsFromEnv } from '../../lib/backend/native_conv';
import { convGradientsTakeDilations } from '../../lib/backend/wasm_kernels';
import { BackendCapabilityError, ConfigError } from '../../lib/errors';
import { maxRelativeError, onBackend, seededValues, wasmMissing } from './backend_compare';

/**
 * grasplab's native conv kernels (native/, lib/backend/native_conv.ts) on the wasm backend: forward, input gradient
 * and filter gradient against a plain-loop reference (double sums) and the cpu backend, for odd shapes, strides,
 * dilations, pads, batch 1 and 3, 1 and 2 threads, the AVX-512, AVX2 and portable kernels (where the CPU has them); bitwise equal results for
 * 1 and 2 threads; the fallback to the wasm kernels; the native MaxPoolGrad against the JS one; BatchMatMul.
 */

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  x: [number, number, number, number]; // [B,H,W,CI]
  f: [number, number, number, number]; // [KH,KW,CI,CO]
  s: [number, number];
  d: [number, number];
  pad: Pad;
}

const CASES: Case[] = [
  { x: [1, 7, 9, 3], f: [3, 3, 3, 4], s: [1, 1], d: [1, 1], pad: 'same' },
  { x: [3, 11, 8, 5], f: [5, 5, 5, 20], s: [2, 2], d: [1, 1], pad: 'same' },
  { x: [1, 13, 13, 17], f: [3, 3, 17, 33], s: [1, 1], d: [2, 2], pad: [[0, 0], [2, 1], [2, 3], [0, 0]] },
  { x: [3, 12, 10, 8], f: [3, 3, 8, 7], s: [1, 1], d: [4, 4], pad: [[0, 0], [4, 4], [4, 4], [0, 0]] }, // PSPNet layer4-like
  { x: [3, 9, 11, 6], f: [3, 3, 6, 16], s: [1, 1], d: [2, 2], pad: 'valid' },
  { x: [1, 10, 10, 16], f: [1, 1, 16, 16], s: [2, 2], d: [1, 1], pad: 'valid' }, // ResNet downsample
  { x: [3, 20, 17, 1], f: [9, 9, 1, 4], s: [3, 3], d: [1, 1], pad: 'same' }, // GG-CNN first layer
  { x: [1, 9, 9, 3], f: [3, 3, 3, 5], s: [2, 2], d: [1, 1], pad: 'valid' },
  { x: [3, 6, 6, 16], f: [1, 1, 16, 32], s: [1, 1], d: [1, 1], pad: 'valid' }, // 1x1 read in place
  { x: [1, 8, 8, 130], f: [3, 3, 130, 19], s: [1, 1], d: [1, 1], pad: [[0, 0], [1, 0], [1, 0], [0, 0]] },
  { x: [3, 9, 7, 6], f: [2, 3, 6, 5], s: [2, 1], d: [1, 1], pad: 'same' },
  { x: [1, 5, 5, 2], f: [4, 4, 2, 3], s: [2, 2], d: [1, 1], pad: 'same' }, // even filter, asymmetric pads
  { x: [1, 4, 4, 2], f: [3, 3, 2, 2], s: [4, 4], d: [1, 1], pad: 'same' }, // stride > filter: dx phases without taps
  { x: [1, 8, 9, 2], f: [3, 3, 2, 3], s: [1, 2], d: [2, 1], pad: [[0, 0], [6, 5], [4, 7], [0, 0]] }, // pads > filter: rows of zeros
];

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const label = (c: Case) => `x [${c.x}] f [${c.f}] s ${c.s} d ${c.d} pad ${JSON.stringify(c.pad)}`;

function info(c: Case): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(c.x, c.f, c.s, c.d, c.pad as 'same', undefined, false, 'channelsLast');
}

/** Plain loops in double precision: y, dx (of Σ y·r) and dW (of Σ y·r). */
function reference(c: Case, x: Float32Array, w: Float32Array, r: Float32Array): { y: Float32Array; dx: Float32Array; dw: Float32Array } {
  const g = info(c);
  const [B, H, W, CI] = c.x;
  const [KH, KW, , CO] = c.f;
  const { outHeight: OH, outWidth: OW } = g;
  const y = new Float64Array(B * OH * OW * CO);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  for (let b = 0; b < B; b++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let kh = 0; kh < KH; kh++)
          for (let kw = 0; kw < KW; kw++) {
            const ih = oh * g.strideHeight - g.padInfo.top + kh * g.dilationHeight;
            const iw = ow * g.strideWidth - g.padInfo.left + kw * g.dilationWidth;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            for (let ci = 0; ci < CI; ci++) {
              const xi = ((b * H + ih) * W + iw) * CI + ci;
              for (let co = 0; co < CO; co++) {
                const wi = ((kh * KW + kw) * CI + ci) * CO + co;
                const yi = ((b * OH + oh) * OW + ow) * CO + co;
                y[yi] += x[xi] * w[wi];
                dx[xi] += r[yi] * w[wi];
                dw[wi] += r[yi] * x[xi];
              }
            }
          }
  return { y: Float32Array.from(y), dx: Float32Array.from(dx), dw: Float32Array.from(dw) };
}

/** The three kernels on the active (wasm) backend, called directly so dilations reach the gradient kernels. */
function runKernels(c: Case, x: Float32Array, w: Float32Array, r: Float32Array): Float32Array[] {
  const g = info(c);
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, c.x);
    const wt = tf.tensor4d(w, c.f);
    const rt = tf.tensor4d(r, g.outShape);
    const common = { strides: c.s, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined, dilations: c.d };
    const e = tf.engine();
    const y = e.runKernel('Conv2D', { x: xt, filter: wt }, common as unknown as tf.NamedAttrMap) as tf.Tensor;
    const dx = e.runKernel('Conv2DBackpropInput', { dy: rt, filter: wt }, { ...common, inputShape: c.x } as unknown as tf.NamedAttrMap) as tf.Tensor;
    const dw = e.runKernel('Conv2DBackpropFilter', { x: xt, dy: rt }, { ...common, filterShape: c.f } as unknown as tf.NamedAttrMap) as tf.Tensor;
    return [y, dx, dw];
  }).map((t) => {
    const v = t.dataSync() as Float32Array;
    t.dispose();
    return Float32Array.from(v);
  });
}

function inputs(c: Case, seed: number): [Float32Array, Float32Array, Float32Array] {
  return [seededValues(size(c.x), seed), seededValues(size(c.f), seed + 1), seededValues(size(info(c).outShape), seed + 2)];
}

let available = false;

before(async () => {
  await selectBackend({ quiet: true, env: { ...process.env, GRASPLAB_BACKEND: 'wasm', GRASPLAB_NATIVE_THREADS: '1' } });
  available = nativeConvStatus().on;
});

function needNative(t: TestContext): boolean {
  if (wasmMissing() || !available) {
    t.skip(`native conv kernels unavailable: ${describeNativeConv()}`);
    return false;
  }
  return true;
}

describe('native conv kernels on wasm', () => {
  it('parse GRASPLAB_NATIVE_THREADS (default: GRASPLAB_WASM_THREADS, else 1)', () => {
    assert.equal(nativeThreadsFromEnv({}), 1);
    assert.equal(nativeThreadsFromEnv({ GRASPLAB_WASM_THREADS: '2' }), 2);
    assert.equal(nativeThreadsFromEnv({ GRASPLAB_WASM_THREADS: '2', GRASPLAB_NATIVE_THREADS: '3' }), 3);
    for (const bad of ['0', '65', '1.5', 'two']) {
      assert.throws(() => nativeThreadsFromEnv({ GRASPLAB_NATIVE_THREADS: bad }), ConfigError, bad);
    }
  });

  it('parse GRASPLAB_NATIVE_ISA', () => {
    assert.equal(nativeIsaFromEnv({}), undefined);
    assert.equal(nativeIsaFromEnv({ GRASPLAB_NATIVE_ISA: 'avx2' }), 'avx2');
    assert.throws(() => nativeIsaFromEnv({ GRASPLAB_NATIVE_ISA: 'sse9' }), ConfigError);
  });

  for (const isa of ['avx512', 'avx2', 'generic'] as const) {
    it(`${isa} kernels: forward, input and filter gradients equal plain loops (strides, dilations, pads, batch 1/3); 2 threads bitwise equal 1`, (t) => {
      if (!needNative(t)) return;
      const st = enableNativeConv({ GRASPLAB_NATIVE_THREADS: '1' }, { isa });
      if (!st.on) return t.skip(`${isa}: ${st.reason}`);
      try {
        for (const [i, c] of CASES.entries()) {
          const [x, w, r] = inputs(c, 10 * i + 1);
          const ref = reference(c, x, w, r);
          const one = runKernels(c, x, w, r);
          ['y', 'dx', 'dW'].forEach((name, j) => {
            const err = maxRelativeError(one[j], [ref.y, ref.dx, ref.dw][j]);
            assert.ok(err < 2e-6, `${isa} ${label(c)}: ${name} differs from the reference by ${err.toExponential(2)}`);
          });
          enableNativeConv({ GRASPLAB_NATIVE_THREADS: '2' }, { isa });
          const two = runKernels(c, x, w, r);
          enableNativeConv({ GRASPLAB_NATIVE_THREADS: '1' }, { isa });
          one.forEach((v, j) => assert.deepEqual(two[j], v, `${isa} ${label(c)}: output ${j} differs between 1 and 2 threads`));
        }
      } finally {
        enableNativeConv({ GRASPLAB_NATIVE_THREADS: '1' });
      }
    });
  }

  it('conv2d and its tf.grads gradients agree with the cpu backend (undilated cases)', async (t) => {
    if (!needNative(t)) return;
    for (const [i, c] of CASES.entries()) {
      if (c.d[0] !== 1 || c.d[1] !== 1) continue;
      const [x, w, r] = inputs(c, 100 + i);
      const fn = () => {
        const xt = tf.tensor4d(x, c.x);
        const wt = tf.tensor4d(w, c.f);
        const rt = tf.tensor4d(r, info(c).outShape);
        const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad), rt));
        return [tf.conv2d(xt, wt, c.s, c.pad), ...tf.grads(f)([xt, wt])];
      };
      const wasm = await onBackend('wasm', fn);
      const cpu = await onBackend('cpu', fn);
      wasm.forEach((v, j) => {
        const err = maxRelativeError(v, cpu[j]);
        assert.ok(err < 1e-5, `${label(c)}: output ${j} differs from cpu by ${err.toExponential(2)}`);
      });
    }
  });

  it('FusedConv2D: bias with linear / relu / relu6 / leakyrelu in the kernel, prelu through wasm, as on cpu', async (t) => {
    if (!needNative(t)) return;
    const c = CASES[2];
    for (const activation of ['linear', 'relu', 'relu6', 'leakyrelu', 'prelu'] as const) {
      const fn = () => {
        const x = tf.tensor4d(seededValues(size(c.x), 7).map((v) => 4 * v), c.x);
        const filter = tf.tensor4d(seededValues(size(c.f), 8), c.f);
        const bias = tf.tensor1d(seededValues(c.f[3], 9));
        const preluActivationWeights = activation === 'prelu' ? tf.tensor1d(seededValues(c.f[3], 10)) : undefined;
        return [tf.fused.conv2d({ x, filter, bias, strides: c.s, pad: c.pad, dilations: c.d, activation, preluActivationWeights, leakyreluAlpha: 0.3 })];
      };
      const [wasm] = await onBackend('wasm', fn);
      const [cpu] = await onBackend('cpu', fn);
      const err = maxRelativeError(wasm, cpu);
      assert.ok(err < 1e-5, `${activation}: differs from cpu by ${err.toExponential(2)}`);
    }
  });

  it('repeated calls give bitwise identical results', (t) => {
    if (!needNative(t)) return;
    const c = CASES[3];
    const [x, w, r] = inputs(c, 55);
    const a = runKernels(c, x, w, r);
    const b = runKernels(c, x, w, r);
    a.forEach((v, j) => assert.deepEqual(b[j], v));
  });

  it('off (GRASPLAB_NATIVE=0 or disabled): the wasm kernels compute the same; dilated gradients are refused, not wrong', (t) => {
    if (!needNative(t)) return;
    try {
      const st = enableNativeConv({ GRASPLAB_NATIVE: '0' });
      assert.equal(st.on, false);
      assert.match(st.reason, /GRASPLAB_NATIVE=0/);
      assert.equal(convGradientsTakeDilations(), false);
      const c = CASES[1];
      const [x, w, r] = inputs(c, 77);
      const ref = reference(c, x, w, r);
      const out = runKernels(c, x, w, r);
      [ref.y, ref.dx, ref.dw].forEach((v, j) => assert.ok(maxRelativeError(out[j], v) < 1e-5, `wasm output ${j}`));
      const dil = CASES[3];
      const [dx, dwt, dr] = inputs(dil, 3);
      assert.throws(() => runKernels(dil, dx, dwt, dr), BackendCapabilityError);
      disableNativeConv('test');
      assert.equal(nativeConvStatus().on, false);
    } finally {
      enableNativeConv({ GRASPLAB_NATIVE_THREADS: '1' });
    }
    assert.equal(nativeConvStatus().on, true);
    assert.equal(convGradientsTakeDilations(), true);
  });

  it('MaxPoolGrad: native equals the JS heap kernel bitwise (ties, NaN, -Inf, padding, 1 and 2 threads)', (t) => {
    if (!needNative(t)) return;
    const x = seededValues(3 * 13 * 11 * 5, 91).map((v) => Math.round(v * 3)); // ties
    x[7] = NaN;
    x[40] = -Infinity;
    x[41] = NaN;
    const cases: [[number, number], [number, number], 'same' | 'valid'][] = [[[3, 3], [2, 2], 'same'], [[2, 3], [1, 2], 'valid'], [[3, 3], [1, 1], 'same']];
    const run = () =>
      cases.map(([f, s, pad], i) =>
        tf.tidy(() => {
          const xt = tf.tensor4d(x, [3, 13, 11, 5]);
          const y = tf.maxPool(xt, f, s, pad);
          const dy = tf.tensor(seededValues(y.size, 92 + i), y.shape);
          const info = tf.backend_util.computePool2DInfo([3, 13, 11, 5], f, s, 1, pad);
          const dx = tf.engine().runKernel('MaxPoolGrad', { dy, input: xt, output: y }, { filterSize: f, strides: s, pad, dimRoundingMode: undefined } as unknown as tf.NamedAttrMap) as tf.Tensor;
          assert.deepEqual(dx.shape, [info.batchSize, info.inHeight, info.inWidth, info.inChannels]);
          return Float32Array.from(dx.dataSync());
        }),
      );
    try {
      const native1 = run();
      enableNativeConv({ GRASPLAB_NATIVE_THREADS: '2' });
      const native2 = run();
      disableNativeConv('test');
      const js = run();
      js.forEach((v, i) => {
        assert.deepEqual(native1[i], v, `case ${i}: native (1 thread) vs JS`);
        assert.deepEqual(native2[i], v, `case ${i}: native (2 threads) vs JS`);
      });
      assert.ok(js.some((v) => v.some((e) => e !== 0)));
    } finally {
      enableNativeConv({ GRASPLAB_NATIVE_THREADS: '1' });
    }
  });

  it('BatchMatMul: transposes, broadcast and 4-D batches, several K blocks and column chunks, equal plain loops; 2 threads bitwise equal 1', (t) => {
    if (!needNative(t)) return;
    const cases: { a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
      { a: [36, 700], b: [700, 530], ta: false, tb: false }, // PSPNet pooling-like: short, wide, K > one block
      { a: [700, 9], b: [700, 300], ta: true, tb: false },
      { a: [5, 7], b: [11, 7], ta: false, tb: true },
      { a: [3, 13, 6], b: [1, 6, 17], ta: false, tb: false }, // broadcast b
      { a: [2, 3, 6, 13], b: [2, 3, 17, 6], ta: true, tb: true },
    ];
    const matmul = (c: (typeof cases)[number], av: Float32Array, bv: Float32Array) =>
      tf.tidy(() => Float32Array.from(tf.matMul(tf.tensor(av, c.a), tf.tensor(bv, c.b), c.ta, c.tb).dataSync()));
    try {
      for (const [i, c] of cases.entries()) {
        const av = seededValues(size(c.a), 200 + i);
        const bv = seededValues(size(c.b), 300 + i);
        const ra = c.a.length;
        const rb = c.b.length;
        const [m, k] = c.ta ? [c.a[ra - 1], c.a[ra - 2]] : [c.a[ra - 2], c.a[ra - 1]];
        const n = c.tb ? c.b[rb - 2] : c.b[rb - 1];
        const batch = Math.max(size(c.a.slice(0, -2)), size(c.b.slice(0, -2)));
        const sa = size(c.a.slice(0, -2)) === 1 ? 0 : m * k;
        const sb = size(c.b.slice(0, -2)) === 1 ? 0 : k * n;
        const ref = new Float32Array(batch * m * n);
        for (let q = 0; q < batch; q++)
          for (let r = 0; r < m; r++)
            for (let col = 0; col < n; col++) {
              let acc = 0;
              for (let j = 0; j < k; j++) {
                const x = av[q * sa + (c.ta ? j * m + r : r * k + j)];
                const y = bv[q * sb + (c.tb ? col * k + j : j * n + col)];
                acc += x * y;
              }
              ref[(q * m + r) * n + col] = acc;
            }
        enableNativeConv({ GRASPLAB_NATIVE_THREADS: '1' });
        const one = matmul(c, av, bv);
        const err = maxRelativeError(one, ref);
        assert.ok(err < 2e-6, `case ${i}: differs from plain loops by ${err.toExponential(2)}`);
        enableNativeConv({ GRASPLAB_NATIVE_THREADS: '2' });
        assert.deepEqual(matmul(c, av, bv), one, `case ${i}: 1 vs 2 threads`);
      }
    } finally {
      enableNativeConv({ GRASPLAB_NATIVE_THREADS: '1' });
    }
  });

  it('refuses a dy that does not match the conv output, and tensors outside the heap (named errors, no crash)', (t) => {
    if (!needNative(t)) return;
    const c = CASES[0];
    const y = tf.tensor4d(seededValues(size(info(c).outShape), 1), info(c).outShape);
    const w = tf.tensor4d(seededValues(size(c.f), 2), c.f);
    assert.throws(
      () => tf.engine().runKernel('Conv2DBackpropInput', { dy: y, filter: w }, { strides: [2, 2], pad: 'same', dataFormat: 'NHWC', inputShape: c.x } as unknown as tf.NamedAttrMap),
      BackendCapabilityError,
    );
    tf.dispose([y, w]);
    // the addon itself checks every tensor against the heap it is given
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const addon = require('grasplab-native') as { conv2d(...a: unknown[]): void };
    const heap = new Uint8Array(1024);
    const geom = Int32Array.of(1, 4, 4, 2, 3, 3, 2, 4, 4, 1, 1, 1, 1, 1, 1); // x 32 floats, w 36, y 32
    assert.throws(() => addon.conv2d(heap, geom, 0, 128, -1, 1000, 0, 0), /y lies outside the heap/);
    assert.throws(() => addon.conv2d(heap, geom, 2, 128, -1, 512, 0, 0), /multiple of 4/);
    assert.throws(() => addon.conv2d(heap, Int32Array.of(1, 4, 4, 2, 3, 3, 0, 4, 4, 1, 1, 1, 1, 1, 1), 0, 128, -1, 512, 0, 0), /must be >= 1/);
    addon.conv2d(heap, geom, 0, 128, -1, 512, 0, 0); // fits: runs
  });
});
