import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../lib/backend/setup';
import { main } from '../../lib/cli';
import { readDepthFile } from '../../lib/export/depth_file';
import { exportModel } from '../../lib/export/save';
import { normaliseDepth } from '../../lib/data/image';
import { encodeNpy, readNpyFile, writeNpyFile } from '../../lib/models/npz';
import { buildModel } from '../../lib/models/registry';
import { zipSync } from 'fflate';
import { sharedPath, skipUnlessShared } from '../helpers/shared';
import { semsegStateDict } from '../models/semseg_dict';
import { captureIO } from '../helpers/cli_io';

const S = 300;
let dir: string;

async function cli(args: string[], expect = 0): Promise<{ json: any; stderr: string }> {
  const io = captureIO();
  const code = await main(args, io);
  assert.equal(code, expect, `grasplab ${args.join(' ')} exited ${code}: ${io.stderr.join('\n')}`);
  return { json: io.stdout.length ? JSON.parse(io.stdout.join('\n')) : undefined, stderr: io.stderr.join('\n') };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

before(async () => {
  await selectBackend({ quiet: true });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-import-'));
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('.npy writer: byte for byte what np.save writes (fixture from numpy 1.24)', () => {
  // /usr/bin/python3 -c "import numpy as np; np.save('test/fixtures/np_save_2x3_f4.npy', np.array([[1.5,-2,0.25],[3,4e-8,-0.0]], dtype=np.float32))"
  const fixture = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'np_save_2x3_f4.npy'));
  const ours = encodeNpy(Float32Array.of(1.5, -2, 0.25, 3, 4e-8, -0), [2, 3]);
  assert.deepEqual(Buffer.from(ours), fixture);
});

test('predict --maps-out writes the raw maps [S,S,4] (pos, cos, sin, width) for a depth image and for a --no-preprocess input', async () => {
  // a seeded model whose four output channels differ
  const input = tf.input({ shape: [S, S, 1] });
  const out = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }), biasInitializer: tf.initializers.constant({ value: 0.1 }) }).apply(input) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  const modelDir = path.join(dir, 'tiny');
  await exportModel(model, modelDir);
  // a depth image in metres as .npy
  const depth = new Float32Array(S * S);
  for (let i = 0; i < depth.length; i++) depth[i] = 0.7 + 0.05 * Math.sin(i / 97) + (Math.floor(i / S) > 120 && Math.floor(i / S) < 160 ? -0.04 : 0);
  writeNpyFile(path.join(dir, 'depth.npy'), depth, [S, S]);
  assert.deepEqual((await readDepthFile(path.join(dir, 'depth.npy'))).encoding, 'npy-float');
  const expect = (x: Float32Array) => tf.tidy(() => (model.predict(tf.tensor4d(x, [1, S, S, 1])) as tf.Tensor).dataSync() as Float32Array);

  await cli(['predict', '--model', modelDir, path.join(dir, 'depth.npy'), '--maps-out', path.join(dir, 'maps1.npy'), '--threshold=-1e9']);
  const maps1 = readNpyFile(path.join(dir, 'maps1.npy'));
  assert.deepEqual(maps1.shape, [S, S, 4]);
  const normalised = normaliseDepth({ height: S, width: S, data: depth }).image.data;
  assert.ok(maxAbsDiff(maps1.data as Float32Array, expect(normalised)) < 1e-6);

  // the same normalised array given as the network input itself
  writeNpyFile(path.join(dir, 'input.npy'), normalised, [1, S, S, 1]);
  const r = await cli(['predict', '--model', modelDir, path.join(dir, 'input.npy'), '--no-preprocess', '--maps-out', path.join(dir, 'maps2.npy')]);
  assert.equal(r.json.mapsOut, path.join(dir, 'maps2.npy'));
  assert.deepEqual(readNpyFile(path.join(dir, 'maps2.npy')).data, maps1.data);

  // a network input of the wrong size, or with holes, is refused (exit 1, naming the file)
  writeNpyFile(path.join(dir, 'small.npy'), new Float32Array(64 * 64), [64, 64]);
  assert.match((await cli(['predict', '--model', modelDir, path.join(dir, 'small.npy'), '--no-preprocess'], 1)).stderr, /small\.npy: a network input must be 300x300/);
  assert.match((await cli(['predict', '--model', modelDir, path.join(dir, 'small.npy'), '--no-preprocess', '--crop', 'center'], 2)).stderr, /--no-preprocess/);
  writeNpyFile(path.join(dir, 'rgb.npy'), new Float32Array(S * S * 3), [S, S, 3]);
  assert.match((await cli(['predict', '--model', modelDir, path.join(dir, 'rgb.npy')], 1)).stderr, /rgb\.npy: array of shape \(300, 300, 3\) is not one image/);
  model.dispose();
});

test('CLI: import --backbone-only of a pretrained-ResNet dict (semseg names, fc) reports the keys used and the layers left as initialised', { timeout: 120_000 }, async () => {
  const src = buildModel({ name: 'pspnet', resnetDepth: 18, widthMultiplier: 0.0625, seed: 2 });
  const stem: Record<string, string> = { '0': 'conv1', '1': 'bn1', '3': 'conv2', '4': 'bn2', '6': 'conv3', '7': 'bn3' };
  const members: Record<string, Uint8Array> = {};
  for (const [k, v] of semsegStateDict(src)) {
    const m = /^layer0\.(\d)\.(.+)$/.exec(k);
    const name = m ? `${stem[m[1]]}.${m[2]}` : /^layer[1-4]\./.test(k) ? k : undefined;
    if (name && v.data instanceof Float32Array) members[`${name}.npy`] = encodeNpy(v.data, v.shape);
  }
  members['fc.weight.npy'] = encodeNpy(new Float32Array(10 * 32), [10, 32]);
  members['fc.bias.npy'] = encodeNpy(new Float32Array(10), [10]);
  const file = path.join(dir, 'resnet18.npz');
  fs.writeFileSync(file, zipSync(members));
  src.dispose();
  assert.match((await cli(['import', '--from', file, '--model', 'pspnet', '--out', path.join(dir, 'r18')], 1)).stderr, /backbone only.*--backbone-only/);
  const r = (await cli(['import', '--from', file, '--model', 'pspnet', '--backbone-only', '--out', path.join(dir, 'r18')])).json;
  assert.deepEqual([r.modelConfig.resnetDepth, r.modelConfig.widthMultiplier, r.modelConfig.aux], [18, 0.0625, false]);
  assert.equal(r.usedKeys.length, Object.keys(members).length - 2);
  assert.ok(r.usedKeys.includes('conv1.weight') && r.usedKeys.includes('layer4.1.bn2.running_var'));
  assert.deepEqual(r.ignoredKeys.sort(), ['fc.bias', 'fc.weight']);
  assert.ok(['conv0', 'cls_conv', 'cls_logits', 'maps', 'ppm_0_conv'].every((l) => r.layersLeftInitialised.includes(l)), r.layersLeftInitialised.join());
  assert.ok(fs.existsSync(path.join(dir, 'r18', 'model.json')));
});

const TWIN = ['reference', 'pspnet_twin'];
const twin = (s: string) => sharedPath(...TWIN, `pspnet_r50_w0_25_aux_semseg_twin${s}`)!;

test('CLI: import the PyTorch PSPNet twin (semseg names) → predict --no-preprocess --maps-out reproduces its maps to 1e-4; export takes the folder', { skip: skipUnlessShared(...TWIN), timeout: 180_000 }, async () => {
  const out = path.join(dir, 'psp');
  const imp = (await cli(['import', '--from', twin('.npz'), '--model', 'pspnet', '--depth', '50', '--width-mult', '0.25', '--aux', '--out', out])).json;
  assert.deepEqual(imp.modelConfig, { name: 'pspnet', resnetDepth: 50, widthMultiplier: 0.25, aux: true, classes: 4 });
  assert.equal(imp.usedKeys.length, 326);
  assert.deepEqual(imp.layersLeftInitialised, []);
  const pred = await cli(['predict', '--model', out, twin('_input.npy'), '--no-preprocess', '--maps-out', path.join(dir, 'psp_maps.npy')]);
  assert.equal(pred.json.inpaintedPixels, 0);
  const ours = readNpyFile(path.join(dir, 'psp_maps.npy'));
  const torch = readNpyFile(twin('_maps.npy'));
  assert.deepEqual(ours.shape, [300, 300, 4]);
  const diff = maxAbsDiff(ours.data as Float32Array, torch.data as Float32Array);
  assert.ok(diff <= 1e-4, `max |ours − PyTorch| = ${diff}`);
  // export takes the imported folder (and drops the aux output)
  const exp = await cli(['export', '--model-dir', out, '--out', path.join(dir, 'psp16'), '--format', 'float16']);
  assert.ok(exp.json.files.includes('model.json'));
  // options that disagree with the state dict are refused, naming the problem
  assert.match((await cli(['import', '--from', twin('.npz'), '--model', 'pspnet', '--depth', '101', '--out', path.join(dir, 'x')], 1)).stderr, /depth 101 asked, the dict is a ResNet-50/);
  assert.match((await cli(['import', '--from', twin('.npz'), '--model', 'ggcnn', '--out', path.join(dir, 'y')], 1)).stderr, /StateDictMismatchError: .*conv0\.weight/);
  assert.match((await cli(['import', '--from', twin('.npz'), '--model', 'ggcnn', '--aux', '--out', path.join(dir, 'y')], 2)).stderr, /--aux only applies to --model pspnet/);
});

test('CLI: import the published GG-CNN weights → eval on real Cornell records each verdict\'s crop window, as the original code\'s', { skip: skipUnlessShared('weights') || skipUnlessShared('realdata', 'cornell') || skipUnlessShared('reference'), timeout: 180_000 }, async () => {
  const out = path.join(dir, 'ggcnn');
  const imp = (await cli(['import', '--from', sharedPath('weights', 'ggcnn_cornell_epoch23.npz')!, '--model', 'ggcnn', '--out', out])).json;
  assert.equal(imp.params, 62420);
  const ref = JSON.parse(fs.readFileSync(sharedPath('reference', 'ggcnn_torch_verdicts.json')!, 'utf8')).ggcnn.cornell as { name: string; crop: { top: number; left: number }; success: boolean }[];
  const saved = { d: process.env.GRASPLAB_DATASET, p: process.env.GRASPLAB_DATA_DIR };
  process.env.GRASPLAB_DATASET = 'cornell';
  process.env.GRASPLAB_DATA_DIR = sharedPath('realdata', 'cornell')!;
  try {
    const summary = (await cli(['eval', '--model-dir', out, '--out', path.join(dir, 'eval.json')])).json;
    const report = JSON.parse(fs.readFileSync(summary.out, 'utf8')) as { perImage: { id: string; success: boolean; crop: { top: number; left: number; height: number; width: number; scale: number } }[] };
    assert.ok(report.perImage.length >= 2);
    for (const v of report.perImage) {
      const r = ref.find((e) => v.id.endsWith(`/${e.name}`))!;
      assert.deepEqual([v.crop.top, v.crop.left, v.crop.height, v.crop.width, v.crop.scale], [r.crop.top, r.crop.left, 300, 300, 1], v.id);
      assert.equal(v.success, r.success, v.id);
    }
  } finally {
    for (const [k, v] of [['GRASPLAB_DATASET', saved.d], ['GRASPLAB_DATA_DIR', saved.p]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});
