import { test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { PNG } from 'pngjs';
import { selectBackend } from '../../lib/backend/setup';
import { PROJECT_ROOT } from '../../lib/config/paths';
import { writeDepthTiff } from '../../lib/data/tiff';
import { main } from '../../lib/cli';
import { decodeDepthImage } from '../../lib/export/depth_decode';
import { encodeDepthPng16, readDepthFile } from '../../lib/export/depth_file';
import { prepareDepthInput, toInputPoint, toSourceGrasp, toSourcePoint } from '../../lib/export/depth_input';
import { benchmarkDepth } from '../../lib/export/latency';
import { predictGrasps } from '../../lib/export/predict';
import { exportModel, readModelJson } from '../../lib/export/save';
import { DataFormatError, ShapeError } from '../../lib/errors';
import type { Image2D } from '../../lib/types';
import { captureIO } from '../helpers/cli_io';

const S = 300;
let dir: string;
let modelDir: string;
let model: tf.LayersModel;

/** A small fully-convolutional `[B,300,300,1] → [B,300,300,4]` model (seeded), standing in for a trained one. */
function tinyModel(): tf.LayersModel {
  const input = tf.input({ shape: [S, S, 1] });
  const h = tf.layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(input) as tf.SymbolicTensor;
  const out = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }), biasInitializer: tf.initializers.constant({ value: 0.3 }) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

function scene(h: number, w: number): Image2D {
  const b = benchmarkDepth(Math.max(h, w));
  const data = new Float32Array(h * w);
  for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) data[r * w + c] = b.data[r * b.width + c];
  return { height: h, width: w, data };
}

before(async () => {
  await selectBackend({ quiet: true });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-predict-'));
  modelDir = path.join(dir, 'model');
  model = tinyModel();
  await exportModel(model, modelDir, { format: 'float16' });
  await writeDepthTiff(path.join(dir, 'scene300.tiff'), scene(S, S));
  await writeDepthTiff(path.join(dir, 'scene480x640.tiff'), scene(480, 640));
});

after(() => {
  model.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('predict on a synthetic depth TIFF prints k grasps with finite fields and writes an overlay PNG', async () => {
  const io = captureIO();
  const overlay = path.join(dir, 'out', 'overlay.png');
  const code = await main(['predict', '--model', modelDir, path.join(dir, 'scene300.tiff'), '--top-k', '3', '--overlay', overlay, '--threshold=-1e9'], io);
  assert.equal(code, 0, io.stderr.join('\n'));
  const res = JSON.parse(io.stdout.join('\n'));
  assert.equal(res.grasps.length, 3);
  for (const g of res.grasps) {
    for (const v of [...g.center, g.angle, g.angleDeg, g.opening, g.jaw, g.quality]) assert.ok(Number.isFinite(v), JSON.stringify(g));
    assert.ok(g.angle >= -Math.PI / 2 && g.angle <= Math.PI / 2);
    assert.ok(g.center[0] >= 0 && g.center[0] < S && g.center[1] >= 0 && g.center[1] < S);
  }
  assert.ok(res.grasps[0].quality >= res.grasps[1].quality, 'best first');
  const png = PNG.sync.read(fs.readFileSync(overlay));
  assert.deepEqual([png.height, png.width], [S, S]);
  // the best grasp's colour (green) is drawn somewhere
  let green = 0;
  for (let i = 0; i < png.data.length; i += 4) if (png.data[i] === 0 && png.data[i + 1] === 220 && png.data[i + 2] === 60) green++;
  assert.ok(green > 10, `green pixels ${green}`);
});

test('a wrong-size image is refused with the --crop center / --crop resize hint; both fits then work', async () => {
  const img = path.join(dir, 'scene480x640.tiff');
  const io = captureIO();
  assert.equal(await main(['predict', '--model', modelDir, img], io), 1);
  const msg = io.stderr.join('\n');
  assert.match(msg, /ShapeError/);
  assert.match(msg, /480x640.*300x300/);
  assert.match(msg, /--crop center/);
  assert.match(msg, /--crop resize/);

  for (const fit of [['--crop', 'center'], ['--resize']]) {
    const ok = captureIO();
    assert.equal(await main(['predict', '--model', modelDir, img, ...fit, '--top-k', '2', '--threshold=-1e9'], ok), 0, ok.stderr.join('\n'));
    const res = JSON.parse(ok.stdout.join('\n'));
    assert.equal(res.grasps.length, 2);
    // grasps come back in the 480x640 source frame, inside the window the network saw
    const w = res.inputWindow;
    for (const g of res.grasps) {
      assert.ok(g.center[0] >= w.top - 1 && g.center[0] <= w.top + w.winH, `${fit}: ${g.center}`);
      assert.ok(g.center[1] >= w.left - 1 && g.center[1] <= w.left + w.winW, `${fit}: ${g.center}`);
    }
  }
});

test('missing model files, unreadable images and bad options give clear errors', async () => {
  const img = path.join(dir, 'scene300.tiff');
  let io = captureIO();
  assert.equal(await main(['predict', '--model', path.join(dir, 'none'), img], io), 1);
  assert.match(io.stderr.join('\n'), /DataFormatError: .*none: no such model folder/);

  const empty = path.join(dir, 'empty-model');
  fs.mkdirSync(empty);
  io = captureIO();
  assert.equal(await main(['predict', '--model', empty, img], io), 1);
  assert.match(io.stderr.join('\n'), /empty-model: holds no model\.json/);

  const txt = path.join(dir, 'notes.txt');
  fs.writeFileSync(txt, 'hello');
  io = captureIO();
  assert.equal(await main(['predict', '--model', modelDir, txt], io), 1);
  assert.match(io.stderr.join('\n'), /notes\.txt: not a TIFF or PNG/);

  io = captureIO();
  assert.equal(await main(['predict', '--model', modelDir, path.join(dir, 'nope.tiff')], io), 1);
  assert.match(io.stderr.join('\n'), /nope\.tiff: no such file/);

  io = captureIO();
  assert.equal(await main(['predict', '--model', modelDir, img, '--crop', 'diagonal'], io), 2, 'a bad option value is a usage error');
  assert.match(io.stderr.join('\n'), /--crop: expected one of none, center, resize, got 'diagonal'/);

  io = captureIO();
  assert.equal(await main(['predict', img], io), 2);
  assert.match(io.stderr.join('\n'), /--model is required/);

  io = captureIO();
  assert.equal(await main(['predict', '--model', modelDir, img, '--bogus'], io), 2);
  assert.match(io.stderr.join('\n'), /bogus/);
});

test('16-bit PNG depth in millimetres reads back in metres; 8-bit PNGs and mm TIFFs are refused', async () => {
  const d = scene(40, 50);
  d.data[7] = 0; // a hole stays a hole
  const dec = await decodeDepthImage(new Uint8Array(encodeDepthPng16(d)), 'x.png');
  assert.equal(dec.encoding, 'png16-mm');
  assert.deepEqual([dec.depth.height, dec.depth.width], [40, 50]);
  for (let i = 0; i < d.data.length; i++) assert.ok(Math.abs(dec.depth.data[i] - d.data[i]) <= 0.0005 + 1e-7);
  assert.equal(dec.depth.data[7], 0);

  const png8 = new PNG({ width: 4, height: 4 });
  png8.data.fill(128);
  await assert.rejects(decodeDepthImage(new Uint8Array(PNG.sync.write(png8)), 'rgb.png'), (e: unknown) => e instanceof DataFormatError && /rgb\.png: PNG is 8-bit/.test((e as Error).message));

  const mmTiff = path.join(dir, 'mm.tiff');
  await writeDepthTiff(mmTiff, { height: 4, width: 4, data: new Float32Array(16).fill(700) });
  await assert.rejects(readDepthFile(mmTiff), /mm\.tiff: median depth is 700: looks like millimetres/);
});

test('input fitting maps points and grasps back to the source frame', () => {
  const d = scene(480, 640);
  for (const fit of ['center', 'resize'] as const) {
    const p = prepareDepthInput(d, S, fit);
    assert.deepEqual([p.input.height, p.input.width], [S, S]);
    for (const v of p.input.data) assert.ok(v >= -1 && v <= 1);
    const src: [number, number] = [123.5, 456.25];
    const back = toSourcePoint(toInputPoint(src, p.frame), p.frame);
    assert.ok(Math.abs(back[0] - src[0]) < 1e-9 && Math.abs(back[1] - src[1]) < 1e-9);
    const g = toSourceGrasp({ center: [150, 150], angle: 0.3, length: 30, width: 15 }, p.frame);
    assert.equal(g.angle, 0.3);
    assert.ok(Math.abs(g.length - (30 * p.frame.winH) / S) < 1e-9);
  }
  assert.throws(() => prepareDepthInput(scene(200, 640), S, 'center'), (e: unknown) => e instanceof ShapeError && /--crop resize/.test((e as Error).message));
  const allMissing = { height: S, width: S, data: new Float32Array(S * S) };
  assert.throws(() => prepareDepthInput(allMissing, S, 'none', 'blank.png'), /blank\.png: no valid depth/);
});

test('predictGrasps leaks no tensors and inpaints holes', async () => {
  const d = scene(S, S);
  for (let i = 1000; i < 1400; i++) d.data[i] = NaN;
  await predictGrasps(model, d, { topK: 1 }); // warm-up allocations of the backend
  const before = tf.memory().numTensors;
  const p = await predictGrasps(model, d, { topK: 2, detect: { thresholdAbs: -1e9 } });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(p.prepared.filled, 400);
  assert.ok(p.prepared.input.data.every(Number.isFinite));
  assert.equal(p.grasps.length, 2);
});

test('export command writes every format; the shim runs the CLI', async () => {
  const out = path.join(dir, 'exports');
  const io = captureIO();
  assert.equal(await main(['export', '--model-dir', modelDir, '--out', out, '--format', 'all'], io), 0, io.stderr.join('\n'));
  const rows = JSON.parse(io.stdout.join('\n')) as { format: string; weightBytes: number }[];
  assert.deepEqual(rows.map((r) => r.format), ['float32', 'float16', 'uint16', 'uint8', 'onnx', 'onnx-float16', 'onnx-int8']);
  assert.equal(rows[0].weightBytes, 4 * rows[3].weightBytes);
  assert.equal(readModelJson(path.join(out, 'uint8')).weightsManifest[0].weights[0].quantization?.dtype, 'uint8');

  const bad = captureIO();
  assert.equal(await main(['export', '--model-dir', modelDir, '--out', out, '--format', 'int4'], bad), 2);
  assert.match(bad.stderr.join('\n'), /--format: expected one of float32, float16, uint16, uint8, onnx, onnx-float16, onnx-int8, all, got 'int4'/);

  const r = spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'grasplab.js'), 'help', 'predict'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /grasplab predict --model PATH IMAGE/);
});
