import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../lib/backend/setup';
import { openDataset } from '../../lib/data/dataset';
import { BatchLoader } from '../../lib/data/loader';
import { UnsupportedLayerError } from '../../lib/errors';
import { exportOnnx, quantizeInt8PerChannel, saveOnnx, type OnnxWeights } from '../../lib/export/onnx';
import { decodeModel } from '../../lib/export/onnx_proto';
import { OrtPredictor } from '../../lib/export/onnx_runtime';
import { loadTorchStateDict, loadTorchWeightsFile } from '../../lib/models/import_torch';
import { parseNpy, readNpzFile } from '../../lib/models/npz';
import { tfjsPredictor, type NhwcBatch } from '../../lib/models/predictor';
import { buildModel, type ModelConfig } from '../../lib/models/registry';
import { sharedPath, skipUnlessShared } from '../helpers/shared';
import { diffStats, pythonOnnx, randomDepth, randomiseBatchNorm, skipUnlessOrt } from './onnx_helpers';

/**
 * ONNX export (lib/export/onnx.ts) against tfjs: every model family run by ONNX Runtime gives tfjs's maps to 1e-4
 * (absolute, and relative to the maps' scale), at batch 1 and 3 through one session (the batch dimension is dynamic),
 * on random inputs and on a real Cornell crop through the project's preprocessing with the published weights.
 */

const SKIP_ORT = skipUnlessOrt();
const TOL = 1e-4;

before(async () => {
  await selectBackend({ quiet: true });
});

/** tfjs maps vs ONNX Runtime maps for the model on `x` (one session, several batch sizes). */
async function compare(model: tf.LayersModel, inputs: NhwcBatch[]): Promise<{ maxDiff: number; maxRef: number }[]> {
  const ort = await OrtPredictor.fromModel(model);
  const ref = tfjsPredictor(model);
  try {
    const out: { maxDiff: number; maxRef: number }[] = [];
    for (const x of inputs) {
      const [a, b] = [await ort.predict(x), await ref.predict(x)];
      assert.deepEqual(a.maps.shape, b.maps.shape);
      out.push(diffStats(a.maps.data, b.maps.data));
    }
    return out;
  } finally {
    await ort.release();
  }
}

function assertClose(s: { maxDiff: number; maxRef: number }, what: string): void {
  assert.ok(s.maxRef > 0, `${what}: the reference maps are all zero, the comparison would say nothing`);
  assert.ok(s.maxDiff <= TOL && s.maxDiff <= TOL * s.maxRef, `${what}: max |ORT − tfjs| = ${s.maxDiff.toExponential(2)} (maps up to ${s.maxRef.toExponential(2)})`);
}

const FAMILIES: { label: string; cfg: ModelConfig }[] = [
  { label: 'GG-CNN', cfg: { name: 'ggcnn' } },
  { label: 'GG-CNN2 (dilated convs, align-corners resize)', cfg: { name: 'ggcnn2' } },
  { label: 'PSPNet-R18 ×0.25', cfg: { name: 'pspnet', resnetDepth: 18, widthMultiplier: 0.25 } },
  { label: 'PSPNet-R50 ×0.125 with aux head (bottlenecks)', cfg: { name: 'pspnet', resnetDepth: 50, widthMultiplier: 0.125, aux: true } },
];

describe('ONNX Runtime equals tfjs on random inputs, batch 1 and 3', { skip: SKIP_ORT }, () => {
  for (const { label, cfg } of FAMILIES) {
    test(label, async () => {
      const model = buildModel({ ...cfg, seed: 3 });
      const bns = randomiseBatchNorm(model);
      if (cfg.name === 'pspnet') assert.ok(bns > 10, `${bns} BN layers randomised`);
      const x1: NhwcBatch = { data: randomDepth(1, 300, 11), shape: [1, 300, 300, 1] };
      const x3: NhwcBatch = { data: randomDepth(3, 300, 12), shape: [3, 300, 300, 1] };
      const [s1, s3] = await compare(model, [x1, x3]);
      assertClose(s1, `${label} batch 1`);
      assertClose(s3, `${label} batch 3`);
      model.dispose();
    });
  }

  test('PSPNet aux model: all outputs exported; the aux maps equal tfjs too', async () => {
    const model = buildModel({ name: 'pspnet', resnetDepth: 18, widthMultiplier: 0.125, aux: true, seed: 4 });
    randomiseBatchNorm(model, 9);
    const { bytes, info } = exportOnnx(model, { outputs: 'all' });
    assert.deepEqual(info.outputs.map((o) => o.name), ['maps', 'aux_maps']);
    const ort = require('onnxruntime-node');
    const session = await ort.InferenceSession.create(bytes);
    const x = randomDepth(1, 300, 5);
    const r = await session.run({ depth: new ort.Tensor('float32', x, [1, 300, 300, 1]) });
    const [main, aux] = tf.tidy(() => (model.predict(tf.tensor4d(x, [1, 300, 300, 1])) as tf.Tensor[]).map((t) => t.dataSync()));
    assertClose(diffStats(r.maps.data, main), 'main');
    assertClose(diffStats(r.aux_maps.data, aux), 'aux');
    await session.release();
    model.dispose();
  });
});

describe('ONNX Runtime on real inputs and published weights', { skip: SKIP_ORT }, () => {
  const CORNELL = ['realdata', 'cornell'];
  /** Real Cornell crops through the project's validation preprocessing (inpaint, crop around the grasps, normalise). */
  async function cornellBatch(n: number): Promise<NhwcBatch> {
    const ds = await openDataset({ kind: 'cornell', dir: sharedPath(...CORNELL)! }, { onWarning: () => {} });
    const samples = await new BatchLoader(ds, ds.entries.slice(0, n), { batchSize: 1, seed: 1, shuffle: false, preprocess: { outputSize: 300, rotate: 'none', zoom: false } }).samples();
    const data = new Float32Array(n * 300 * 300);
    samples.forEach((s, i) => data.set(s.depth.data, i * 300 * 300));
    return { data, shape: [n, 300, 300, 1] };
  }

  for (const [name, file] of [['ggcnn', 'ggcnn_cornell_epoch23.npz'], ['ggcnn2', 'ggcnn2_cornell_epoch50.npz']] as const) {
    test(`${name} with the published Cornell weights on 3 real Cornell crops`, { skip: skipUnlessShared('weights', file) || skipUnlessShared(...CORNELL) }, async () => {
      const model = buildModel({ name });
      loadTorchWeightsFile(model, sharedPath('weights', file)!);
      const x = await cornellBatch(3);
      const [s3, s1] = await compare(model, [x, { data: x.data.slice(0, 90000), shape: [1, 300, 300, 1] }]);
      assert.ok(s3.maxRef > 0.3, `real maps have their trained scale (max ${s3.maxRef})`);
      assertClose(s3, `${name} batch 3`);
      assertClose(s1, `${name} batch 1`);
      model.dispose();
    });
  }

  const TWIN = ['reference', 'pspnet_twin', 'pspnet_r50_w0_25_aux_semseg_twin'];
  test('PSPNet-R50 ×0.25 + aux with the PyTorch twin\'s weights: ORT maps = tfjs maps and ≈ PyTorch\'s', { skip: skipUnlessShared(...TWIN.slice(0, 2), `${TWIN[2]}.npz`) }, async () => {
    const dir = sharedPath(...TWIN.slice(0, 2))!;
    const model = buildModel({ name: 'pspnet', resnetDepth: 50, widthMultiplier: 0.25, aux: true });
    loadTorchStateDict(model, semsegToGrasplabNames(readNpzFile(path.join(dir, `${TWIN[2]}.npz`))));
    const input = parseNpy(new Uint8Array(fs.readFileSync(path.join(dir, `${TWIN[2]}_input.npy`))));
    const maps = parseNpy(new Uint8Array(fs.readFileSync(path.join(dir, `${TWIN[2]}_maps.npy`))));
    const x: NhwcBatch = { data: Float32Array.from(input.data as ArrayLike<number>), shape: [1, 300, 300, 1] };
    const ort = await OrtPredictor.fromModel(model);
    try {
      const y = await ort.predict(x);
      const ref = await tfjsPredictor(model).predict(x);
      assertClose(diffStats(y.maps.data, ref.maps.data), 'ORT vs tfjs');
      const torch = diffStats(y.maps.data, maps.data as ArrayLike<number>);
      assert.ok(torch.maxDiff <= TOL, `ORT vs PyTorch: ${torch.maxDiff.toExponential(2)}`);
    } finally {
      await ort.release();
      model.dispose();
    }
  });
});

/**
 * The twin keeps semseg's Sequential indices (`layer0.0`, `ppm.features.1.2`, `cls.4`); grasplab names those modules
 * (`layer0_conv1`, `ppm_1_bn`, `cls_logits`). The rest (`layer1.0.conv1`, `conv0`, `pos_output`) already match.
 */
function semsegToGrasplabNames<T>(sd: Map<string, T>): Map<string, T> {
  const layer0 = ['conv1', 'bn1', '', 'conv2', 'bn2', '', 'conv3', 'bn3'];
  const head = ['conv', 'bn', '', '', 'logits'];
  const rename = (key: string): string =>
    key
      .replace(/^layer0\.(\d)\./, (_, i) => `layer0_${layer0[+i]}.`)
      .replace(/^ppm\.features\.(\d)\.(\d)\./, (_, b, i) => `ppm_${b}_${['', 'conv', 'bn'][+i]}.`)
      .replace(/^(cls|aux)\.(\d)\./, (_, h, i) => `${h}_${head[+i]}.`);
  return new Map([...sd].map(([k, v]) => [rename(k), v]));
}

describe('graph', () => {
  test('BatchNorm is folded into the convs, paddings and crops into conv pads; the graph is NHWC at its boundary', () => {
    const psp = buildModel({ name: 'pspnet', resnetDepth: 18, widthMultiplier: 0.25 });
    const { info } = exportOnnx(psp);
    const bnLayers = psp.layers.filter((l) => l.getClassName() === 'BatchNormalization').map((l) => l.name);
    assert.ok(bnLayers.length > 15);
    for (const bn of bnLayers) assert.ok(info.folded.some((f) => f.startsWith(`${bn} (into `)), `${bn} folded`);
    assert.equal(info.ops.BatchNormalization, undefined);
    assert.equal(info.ops.Pad, undefined, 'zero paddings live in conv/pool pads');
    assert.equal(info.ops.Transpose, 1, 'one transpose: the NHWC output (the 1-channel input is a Reshape)');
    assert.deepEqual(info.input, { name: 'depth', shape: ['batch', 300, 300, 1] });
    assert.deepEqual(info.outputs, [{ name: 'maps', shape: ['batch', 300, 300, 4] }]);
    const ggcnn = buildModel({ name: 'ggcnn' });
    const native = exportOnnx(ggcnn, { transposedConv: 'native' }).info;
    assert.equal(native.ops.ConvTranspose, 3);
    assert.equal(native.ops.Slice, undefined, 'transposed-conv crops became ConvTranspose pads');
    const subpixel = exportOnnx(ggcnn).info;
    assert.deepEqual([subpixel.ops.ConvTranspose, subpixel.ops.DepthToSpace, subpixel.ops.Slice], [undefined, 3, 3], 'one Slice per transposed conv: its crop');
    psp.dispose();
    ggcnn.dispose();
  });

  test('transposed convolutions written as ConvTranspose and as sub-pixel Conv + DepthToSpace compute the same maps', { skip: SKIP_ORT }, async () => {
    // odd/even kernel-stride pairs of GG-CNN (9/3, 5/2, 3/2) and its crops, on published weights when present
    const model = buildModel({ name: 'ggcnn', inputSize: 96 });
    const weights = sharedPath('weights', 'ggcnn_cornell_epoch23.npz');
    if (weights) loadTorchWeightsFile(model, weights);
    const ort = require('onnxruntime-node');
    const x = randomDepth(2, 96, 21);
    const run = async (mode: 'native' | 'subpixel') => {
      const session = await ort.InferenceSession.create(exportOnnx(model, { transposedConv: mode }).bytes);
      const y = (await session.run({ depth: new ort.Tensor('float32', x, [2, 96, 96, 1]) })).maps.data as Float32Array;
      await session.release();
      return y;
    };
    const ref = tf.tidy(() => (model.predict(tf.tensor4d(x, [2, 96, 96, 1])) as tf.Tensor).dataSync());
    assertClose(diffStats(await run('native'), ref), 'ConvTranspose');
    assertClose(diffStats(await run('subpixel'), ref), 'sub-pixel');
    // the feature map of the last transposed conv (KD's head_features, [B,97,97,32]) as an extra output
    const p = await OrtPredictor.fromModel(model, { featureLayer: 'head_features' });
    const viaTfjs = await tfjsPredictor(model, { featureLayer: 'head_features' }).predict({ data: x, shape: [2, 96, 96, 1] });
    const viaOrt = await p.predict({ data: x, shape: [2, 96, 96, 1] });
    await p.release();
    assert.deepEqual(viaOrt.features!.shape, [2, 97, 97, 32]);
    assertClose(diffStats(viaOrt.features!.data, viaTfjs.features!.data), 'head_features');
    model.dispose();
  });

  test('float16 / int8 weights: smaller files, Cast / DequantizeLinear in the graph', () => {
    const model = buildModel({ name: 'ggcnn2' });
    const sizes = Object.fromEntries((['float32', 'float16', 'int8'] as OnnxWeights[]).map((w) => [w, exportOnnx(model, { weights: w })]));
    assert.ok(sizes.float16.bytes.length < 0.55 * sizes.float32.bytes.length, `${sizes.float16.bytes.length} vs ${sizes.float32.bytes.length}`);
    assert.ok(sizes.int8.bytes.length < 0.3 * sizes.float32.bytes.length, `${sizes.int8.bytes.length} vs ${sizes.float32.bytes.length}`);
    const convs = sizes.float32.info.ops.Conv;
    assert.equal(convs, 9, 'GG-CNN2: 8 feature convs and the fused output head');
    assert.equal(sizes.float16.info.ops.Cast, 2 * convs, 'weight and bias of every conv');
    assert.equal(sizes.int8.info.ops.DequantizeLinear, convs, 'the weight of every conv');
    const m = decodeModel(sizes.float32.bytes);
    assert.equal(Number(m.opsetImport[0].version), 17);
    assert.deepEqual(m.metadataProps.find((p) => p.key === 'grasplab.output_channels')?.value, 'pos,cos,sin,width');
    model.dispose();
  });

  test('int8 per-channel quantisation: error ≤ half a step of each channel', () => {
    const w = Float32Array.from([0.5, -1, 0.25, 0, 0.003, -0.002, 0.001, 0]);
    const { values, scales } = quantizeInt8PerChannel(w, [2, 4, 1, 1], 0);
    assert.deepEqual([...scales].map((s) => +s.toPrecision(4)), [+(1 / 127).toPrecision(4), +(0.003 / 127).toPrecision(4)]);
    w.forEach((v, i) => assert.ok(Math.abs(values[i] * scales[i < 4 ? 0 : 1] - v) <= scales[i < 4 ? 0 : 1] / 2 + 1e-9));
    assert.equal(values[1], -127);
  });

  test('a layer without an ONNX conversion raises UnsupportedLayerError naming every such layer', () => {
    const input = tf.input({ shape: [300, 300, 1] });
    let h = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'tanh', name: 'tanh_conv' }).apply(input) as tf.SymbolicTensor;
    h = tf.layers.upSampling2d({ size: [1, 1], name: 'nearest_up' }).apply(h) as tf.SymbolicTensor;
    const out = tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'head' }).apply(h) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    assert.throws(
      () => exportOnnx(model),
      (e: unknown) =>
        e instanceof UnsupportedLayerError &&
        e.layers.map((l) => l.name).join() === 'tanh_conv,nearest_up' &&
        /'nearest_up' \(UpSampling2D: no ONNX conversion/.test(e.message) &&
        /'tanh_conv' \(Conv2D: activation 'tanh'/.test(e.message),
    );
    model.dispose();
  });

  const PY = pythonOnnx();
  test('the exports pass onnx.checker (full check with shape inference) in python-onnx', { skip: PY.ok ? false : PY.reason }, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-onnx-'));
    try {
      const files: string[] = [];
      const psp = buildModel({ name: 'pspnet', resnetDepth: 18, widthMultiplier: 0.125, aux: true });
      for (const w of ['float32', 'float16', 'int8'] as OnnxWeights[]) files.push(saveOnnx(psp, path.join(dir, `psp_${w}.onnx`), { weights: w, outputs: 'all' }).file);
      files.push(saveOnnx(buildModel({ name: 'ggcnn' }), path.join(dir, 'ggcnn.onnx')).file);
      files.push(saveOnnx(buildModel({ name: 'ggcnn2' }), path.join(dir, 'ggcnn2.onnx')).file);
      const script = [
        'import sys, onnx',
        'for f in sys.argv[1:]:',
        '    m = onnx.load(f); onnx.checker.check_model(m, full_check=True)',
        '    o = m.graph.output[0].type.tensor_type.shape.dim',
        '    print(f, [d.dim_param or d.dim_value for d in o])',
      ].join('\n');
      const r = spawnSync('/usr/bin/python3', ['-c', script, ...files], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim().split('\n').length, files.length);
      assert.match(r.stdout, /\['batch', 300, 300, 4\]/);
      psp.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
