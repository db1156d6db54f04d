import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../lib/backend/setup';
import { float16BitsToNumber, float32ToFloat16Bits } from '../../lib/export/float16';
import { affineRange, decodeValues, encodeValues, parseWeightFormat, WEIGHT_FORMATS } from '../../lib/export/quantize';
import { exportModel, loadModelFromDir, readModelJson, type ManifestEntry } from '../../lib/export/save';
import { compareFormats, exportSize, outputDifference } from '../../lib/export/compare';
import { DataFormatError, ConfigError } from '../../lib/errors';

before(async () => {
  await selectBackend({ quiet: true });
});

/** A tiny fully-convolutional map model `[B,16,16,1] → [B,16,16,4]`, seeded so runs agree. */
function tinyMapModel(seed = 1): tf.LayersModel {
  const input = tf.input({ shape: [16, 16, 1] });
  let h = tf.layers.conv2d({ filters: 16, kernelSize: 5, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(input) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
  h = tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.conv2d({ filters: 4, kernelSize: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }), biasInitializer: tf.initializers.constant({ value: 0.1 }) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-export-'));
}

function seededInput(b: number): tf.Tensor4D {
  return tf.randomUniform([b, 16, 16, 1], -1, 1, 'float32', 7) as tf.Tensor4D;
}

test('float16 encoding matches IEEE binary16 on known values and is within half an ulp', () => {
  assert.equal(float32ToFloat16Bits(1), 0x3c00);
  assert.equal(float32ToFloat16Bits(-2), 0xc000);
  assert.equal(float32ToFloat16Bits(65504), 0x7bff);
  assert.equal(float32ToFloat16Bits(1e6), 0x7c00); // overflow → +Inf
  assert.equal(float32ToFloat16Bits(2 ** -24), 0x0001); // smallest subnormal
  assert.equal(float32ToFloat16Bits(2 ** -26), 0x0000); // below half of it → 0
  assert.equal(float16BitsToNumber(float32ToFloat16Bits(1 / 3)), 0.333251953125);
  // ties to even: 1 + 2^-11 lies exactly between 1 and 1 + 2^-10
  assert.equal(float32ToFloat16Bits(1 + 2 ** -11), 0x3c00);
  assert.equal(float32ToFloat16Bits(1 + 3 * 2 ** -11), 0x3c02);
  for (const x of [0.1, -0.7, 3.14159, 1234.5, 1e-5, -6e-8]) {
    const y = float16BitsToNumber(float32ToFloat16Bits(x));
    const ulp = Math.abs(x) >= 2 ** -14 ? 2 ** (Math.floor(Math.log2(Math.abs(x))) - 10) : 2 ** -24;
    assert.ok(Math.abs(y - x) <= ulp / 2 + 1e-20, `${x} → ${y}`);
  }
});

test('affine range is nudged so that 0 is exactly representable, and quantisation error ≤ scale/2', () => {
  const r = affineRange(-0.3, 1.1, 'uint8');
  const zeroLevel = -r.min / r.scale;
  assert.ok(Math.abs(zeroLevel - Math.round(zeroLevel)) < 1e-9);
  assert.ok(Math.abs(r.scale - 1.4 / 255) < 1e-15);
  // all-positive range: no nudging
  assert.deepEqual(affineRange(0.5, 1.5, 'uint16'), { scale: 1 / 65535, min: 0.5, max: 1.5 });

  const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i * 0.37) * 0.8 + 0.1);
  values[10] = 0;
  for (const fmt of ['uint8', 'uint16'] as const) {
    const enc = encodeValues(values, fmt);
    const q = enc.quantization!;
    assert.equal(q.dtype, fmt);
    const dec = decodeValues(enc);
    assert.equal(dec[10], 0, 'zero stays exactly zero');
    const scale = (q as { scale: number }).scale;
    for (let i = 0; i < values.length; i++) assert.ok(Math.abs(dec[i] - values[i]) <= scale / 2 + 1e-7);
  }
  // constant tensor: zeros with min = value
  const c = encodeValues(new Float32Array(5).fill(0.25), 'uint8');
  assert.deepEqual(c.quantization, { dtype: 'uint8', min: 0.25, scale: 1, original_dtype: 'float32' });
  assert.deepEqual(Array.from(decodeValues(c)), [0.25, 0.25, 0.25, 0.25, 0.25]);
  assert.throws(() => encodeValues(Float32Array.of(1, NaN), 'uint8', 'conv/kernel'), /conv\/kernel.*not finite/);
  assert.throws(() => parseWeightFormat('int4'), ConfigError);
});

test('tfjs-core decodeWeights reads our manifest entries exactly as we decode them', () => {
  const values = Float32Array.from({ length: 64 }, (_, i) => Math.cos(i) * 0.5 - 0.1);
  for (const fmt of WEIGHT_FORMATS) {
    const enc = encodeValues(values, fmt);
    const spec = { name: 'w', shape: [8, 8], dtype: 'float32' as const, ...(enc.quantization ? { quantization: enc.quantization } : {}) };
    const buf = enc.bytes.buffer.slice(enc.bytes.byteOffset, enc.bytes.byteOffset + enc.bytes.byteLength) as ArrayBuffer;
    const out = tf.io.decodeWeights(buf, [spec as tf.io.WeightsManifestEntry]);
    assert.deepEqual(Array.from(out.w.dataSync()), Array.from(decodeValues(enc)), fmt);
    out.w.dispose();
  }
});

test('float32 export reloads to identical outputs; quantised exports are close and smaller', async () => {
  const model = tinyMapModel();
  const x = seededInput(3);
  const base = tmpDir();
  try {
    const rows = await compareFormats(model, x, base);
    const by = Object.fromEntries(rows.map((r) => [r.format, r]));
    assert.equal(by.float32.output.maxAbs, 0, 'float32 round trip is exact');
    assert.equal(by.float32.maxWeightError, 0);
    // weight bytes are exact fractions of float32; totals (with model.json) approximately
    assert.equal(by.float16.weightBytes * 2, by.float32.weightBytes);
    assert.equal(by.uint16.weightBytes * 2, by.float32.weightBytes);
    assert.equal(by.uint8.weightBytes * 4, by.float32.weightBytes);
    // error ordering: float16 and uint16 small, uint8 larger but bounded
    assert.ok(by.float16.output.maxAbs > 0 && by.float16.output.maxAbs < 5e-3, `float16 ${by.float16.output.maxAbs}`);
    assert.ok(by.uint16.output.maxAbs > 0 && by.uint16.output.maxAbs < 5e-3, `uint16 ${by.uint16.output.maxAbs}`);
    assert.ok(by.uint8.output.maxAbs > by.uint16.output.maxAbs, 'uint8 is coarser than uint16');
    assert.ok(by.uint8.output.maxAbs < 0.2, `uint8 ${by.uint8.output.maxAbs}`);
    for (const r of rows) assert.deepEqual(exportSize(r.dir).totalBytes, r.totalBytes);
  } finally {
    x.dispose();
    model.dispose();
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('model.json manifest entries are what tfjs reads, and reloaded weights are tfjs-dequantised values', async () => {
  const model = tinyMapModel(5);
  const dir = tmpDir();
  try {
    const res = await exportModel(model, dir, { format: 'uint8', source: { test: true } });
    assert.deepEqual(res.files, ['model.json', 'group1-shard1of1.bin']);
    const mj = readModelJson(dir);
    assert.equal(mj.format, 'layers-model');
    const entries = mj.weightsManifest[0].weights as ManifestEntry[];
    const kernel = entries.find((e) => e.shape.length === 4)!;
    assert.equal(kernel.dtype, 'float32');
    assert.equal(kernel.quantization?.dtype, 'uint8');
    assert.equal(kernel.quantization?.original_dtype, 'float32');
    assert.equal(typeof (kernel.quantization as { min: number }).min, 'number');
    assert.equal(typeof (kernel.quantization as { scale: number }).scale, 'number');
    assert.deepEqual((mj.userDefinedMetadata as { grasplab: { weightFormat: string } }).grasplab.weightFormat, 'uint8');

    // The shard is a quarter of float32: only a loader honouring `quantization` can read it. The reloaded kernel
    // equals q·scale + min computed from the shard bytes, i.e. tfjs dequantised it.
    const loaded = await loadModelFromDir(dir);
    const original = model.getWeights().map((w) => w.dataSync() as Float32Array);
    const reloaded = loaded.getWeights().map((w) => w.dataSync() as Float32Array);
    let offset = 0;
    const shard = fs.readFileSync(path.join(dir, 'group1-shard1of1.bin'));
    for (let i = 0; i < entries.length; i++) {
      const n = entries[i].shape.reduce((a, b) => a * b, 1);
      const bytes = new Uint8Array(shard.buffer, shard.byteOffset + offset, n);
      const expect = decodeValues({ bytes, quantization: entries[i].quantization });
      assert.deepEqual(Array.from(reloaded[i]), Array.from(expect), entries[i].name);
      assert.equal(reloaded[i].length, original[i].length);
      offset += n;
    }
    loaded.dispose();
  } finally {
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('small shards split the weights and still reload exactly', async () => {
  const model = tinyMapModel(9);
  const dir = tmpDir();
  const x = seededInput(1);
  try {
    const res = await exportModel(model, dir, { format: 'float32', shardBytes: 4096 });
    assert.ok(res.files.length > 2, `files ${res.files}`);
    assert.match(res.files[1], /^group1-shard1of\d+\.bin$/);
    const loaded = await loadModelFromDir(dir);
    const d = await outputDifference(model, loaded, x);
    assert.equal(d.maxAbs, 0);
    loaded.dispose();
    // re-export with one shard removes the stale ones
    await exportModel(model, dir, { format: 'float16' });
    assert.deepEqual(fs.readdirSync(dir).sort(), ['group1-shard1of1.bin', 'model.json']);
  } finally {
    x.dispose();
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('missing or broken model folders give DataFormatErrors naming the file', async () => {
  const dir = tmpDir();
  try {
    await assert.rejects(loadModelFromDir(path.join(dir, 'nope')), (e: unknown) => e instanceof DataFormatError && /no such model folder/.test((e as Error).message));
    await assert.rejects(loadModelFromDir(dir), (e: unknown) => e instanceof DataFormatError && /model\.json.*missing/.test((e as Error).message));
    fs.writeFileSync(path.join(dir, 'model.json'), '{not json');
    await assert.rejects(loadModelFromDir(dir), /model\.json: not valid JSON/);

    const model = tinyMapModel();
    await exportModel(model, dir, { format: 'uint16' });
    model.dispose();
    const shard = path.join(dir, 'group1-shard1of1.bin');
    const bytes = fs.readFileSync(shard);
    fs.writeFileSync(shard, bytes.subarray(0, bytes.length - 10));
    await assert.rejects(loadModelFromDir(dir), (e: unknown) => e instanceof DataFormatError && /group1-shard1of1\.bin.*bytes/.test((e as Error).message));
    fs.unlinkSync(shard);
    await assert.rejects(loadModelFromDir(dir), /group1-shard1of1\.bin: missing weight shard/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('export and reload do not leak tensors', async () => {
  const model = tinyMapModel();
  const dir = tmpDir();
  const x = seededInput(2);
  try {
    const before = tf.memory().numTensors;
    await exportModel(model, dir, { format: 'uint8' });
    const loaded = await loadModelFromDir(dir);
    await outputDifference(model, loaded, x);
    loaded.dispose();
    assert.equal(tf.memory().numTensors, before);
  } finally {
    x.dispose();
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
