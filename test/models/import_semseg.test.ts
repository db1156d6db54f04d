import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../lib/backend/setup';
import { ConfigError, StateDictMismatchError } from '../../lib/errors';
import { checkSemsegConfig, inferSemsegConfig, loadSemsegStateDict, SEMSEG_NAMING } from '../../lib/models/import_semseg';
import { NpyArray, readNpyFile, readNpzFile } from '../../lib/models/npz';
import { buildModel, describeModel } from '../../lib/models/registry';
import { sharedPath, skipUnlessShared } from '../helpers/shared';
import { maxAbsDiff, pseudoRandom } from './helpers';
import { semsegStateDict } from './semseg_dict';

before(async () => {
  await selectBackend({ quiet: true });
});

const TINY = { name: 'pspnet', resnetDepth: 18, widthMultiplier: 0.0625, aux: true } as const;
const x = () => tf.tensor4d(pseudoRandom(300 * 300, 5).map((v) => v * 0.05), [1, 300, 300, 1]);
const run = (m: tf.LayersModel) => tf.tidy(() => (m.predict(x()) as tf.Tensor[]).map((t) => t.dataSync() as Float32Array));

describe('semseg module names', () => {
  test('every weight layer of R18/R50 PSPNets (with aux) has a semseg module name that maps back to it', () => {
    const expect: Record<string, string> = {
      layer0_conv1: 'layer0.0',
      layer0_bn1: 'layer0.1',
      layer0_conv2: 'layer0.3',
      layer0_bn3: 'layer0.7',
      layer1_0_downsample_0: 'layer1.0.downsample.0',
      layer3_5_bn3: 'layer3.5.bn3',
      ppm_3_conv: 'ppm.features.3.1',
      ppm_0_bn: 'ppm.features.0.2',
      cls_conv: 'cls.0',
      cls_bn: 'cls.1',
      cls_logits: 'cls.4',
      aux_logits: 'aux.4',
      conv0: 'conv0',
    };
    for (const cfg of [TINY, { ...TINY, resnetDepth: 50 as const }]) {
      const m = buildModel(cfg);
      for (const l of m.layers.filter((l) => l.weights.length > 0 && !l.name.endsWith('maps'))) {
        const mod = SEMSEG_NAMING.toModule(l.name);
        assert.equal(SEMSEG_NAMING.toLayer(mod), l.name, `${l.name} → ${mod}`);
        if (expect[l.name]) assert.equal(mod, expect[l.name]);
      }
      m.dispose();
    }
    // pretrained ResNet files name the stem conv1..3/bn1..3 and carry an ImageNet classifier
    assert.equal(SEMSEG_NAMING.toLayer('conv2'), 'layer0_conv2');
    assert.equal(SEMSEG_NAMING.toLayer('bn3'), 'layer0_bn3');
    assert.equal(SEMSEG_NAMING.toLayer('fc'), null);
    assert.equal(SEMSEG_NAMING.toLayer('module.layer2.1.conv1'), 'layer2_1_conv1');
  });

  test('depth is read from the blocks per layer and the block type; ResNet-152 is named as unsupported', () => {
    const dict = (blocks: number[], bottleneck: boolean) => {
      const sd = new Map<string, NpyArray>();
      const a = (shape: number[]): NpyArray => ({ dtype: 'float32', shape, data: new Float32Array(shape.reduce((p, q) => p * q, 1)) });
      blocks.forEach((n, l) => {
        for (let b = 0; b < n; b++) for (const c of bottleneck ? ['conv1', 'conv2', 'conv3'] : ['conv1', 'conv2']) sd.set(`layer${l + 1}.${b}.${c}.weight`, a([l === 3 && c === 'conv1' ? 512 : 4, 4, 1, 1]));
      });
      return sd;
    };
    assert.equal(inferSemsegConfig(dict([3, 4, 23, 3], true)).depth, 101);
    assert.equal(inferSemsegConfig(dict([3, 4, 6, 3], true)).depth, 50);
    assert.equal(inferSemsegConfig(dict([3, 4, 6, 3], false)).depth, 34);
    assert.equal(inferSemsegConfig(dict([3, 4, 23, 3], true)).widthMultiplier, 1);
    assert.throws(() => inferSemsegConfig(dict([3, 8, 36, 3], true), 'r152.npz'), /r152\.npz: .*\[3, 8, 36, 3\].*ResNet-152/);
  });
});

describe('loading semseg state dicts', () => {
  test('a semseg-named dict of one PSPNet loads into another (any seed, with module. prefix): identical main and aux maps', () => {
    const src = buildModel({ ...TINY, seed: 3 });
    const dst = buildModel({ ...TINY, seed: 4 });
    const sd = semsegStateDict(src, 'module.');
    const [a, b] = [run(src), run(dst)];
    assert.ok(maxAbsDiff(a[0], b[0]) > 1e-3, 'different seeds give different maps before the import');
    const report = loadSemsegStateDict(dst, sd, 'sd.npz');
    assert.equal(report.loaded.length + report.ignored.length, sd.size);
    assert.ok(report.ignored.every((k) => k.endsWith('num_batches_tracked')));
    assert.deepEqual(report.leftInitialised, []);
    const c = run(dst);
    assert.equal(maxAbsDiff(a[0], c[0]), 0);
    assert.equal(maxAbsDiff(a[1], c[1]), 0);
    assert.deepEqual(inferSemsegConfig(sd), { depth: 18, widthMultiplier: 0.0625, aux: true, backboneOnly: false, layer4Planes: 32, classes: 4 });
    src.dispose();
    dst.dispose();
  });

  test('missing, unexpected and mis-shaped keys: one StateDictMismatchError listing them all, nothing assigned', () => {
    const model = buildModel({ ...TINY, aux: false });
    const sd = semsegStateDict(buildModel({ ...TINY, seed: 9 }));
    const before = model.getLayer('cls_logits').getWeights()[0].dataSync().slice();
    const bad = new Map(sd);
    bad.delete('cls.4.bias');
    bad.delete('layer2.1.bn2.running_var');
    bad.set('layer1.0.conv2.weight', { ...sd.get('layer1.0.conv2.weight')!, shape: [4, 4, 1, 9] });
    // aux.* keys for a model built without the aux head, and a stray key
    bad.set('decoder.weight', sd.get('conv0.weight')!);
    assert.throws(
      () => loadSemsegStateDict(model, bad, 'bad.npz'),
      (e: unknown) => {
        assert.ok(e instanceof StateDictMismatchError);
        assert.match(e.message, /^bad\.npz: /);
        assert.deepEqual(e.missing.sort(), ['cls.4.bias', 'layer2.1.bn2.running_var']);
        assert.ok(e.unexpected.includes('decoder.weight') && e.unexpected.includes('aux.0.weight') && e.unexpected.includes('aux_pos_output.bias'), e.unexpected.join());
        assert.deepEqual(e.shapes, [{ key: 'layer1.0.conv2.weight', got: [4, 4, 1, 9], expected: [4, 4, 3, 3] }]);
        for (const k of ['cls.4.bias', 'layer2.1.bn2.running_var', 'aux.0.weight', 'layer1.0.conv2.weight']) assert.ok(e.message.includes(k), k);
        // long lists are cut in the message (the error object keeps them all)
        assert.match(e.message, new RegExp(`${e.unexpected.length} key\\(s\\) match no weight.*\\(${e.unexpected.length - 12} more\\)`));
        return true;
      },
    );
    assert.deepEqual(model.getLayer('cls_logits').getWeights()[0].dataSync(), before, 'nothing assigned');
    // a wider network's dict: shape errors name the keys; the config check says why first
    const wide = semsegStateDict(buildModel({ ...TINY, widthMultiplier: 0.125 }));
    assert.throws(() => loadSemsegStateDict(model, wide, 'wide.npz'), (e: unknown) => e instanceof StateDictMismatchError && e.shapes.some((s) => s.key === 'layer0.0.weight'));
    assert.throws(() => checkSemsegConfig(inferSemsegConfig(wide), { widthMultiplier: 0.0625 }, 'wide.npz'), (e: unknown) => e instanceof ConfigError && /layer4 has 64/.test(e.message));
    assert.throws(() => checkSemsegConfig(inferSemsegConfig(wide), { depth: 50 }, 'wide.npz'), (e: unknown) => e instanceof ConfigError && /ResNet-18/.test(e.message));
    model.dispose();
  });

  test('backbone only: a pretrained-ResNet dict (conv1..3/bn1..3, layer1..4, fc) loads the backbone and reports what it used', () => {
    const src = buildModel({ ...TINY, resnetDepth: 50, aux: false, seed: 5 });
    const full = semsegStateDict(src);
    // as semseg's initmodel/resnet50_v2.pth names it: the stem under its ResNet names, no PSPNet parts, plus an fc
    const resnet = new Map<string, NpyArray>();
    const stem: Record<string, string> = { '0': 'conv1', '1': 'bn1', '3': 'conv2', '4': 'bn2', '6': 'conv3', '7': 'bn3' };
    for (const [k, v] of full) {
      const m = /^layer0\.(\d)\.(.+)$/.exec(k);
      if (m) resnet.set(`${stem[m[1]]}.${m[2]}`, v);
      else if (/^layer[1-4]\./.test(k)) resnet.set(k, v);
    }
    resnet.set('fc.weight', { dtype: 'float32', shape: [1000, 128], data: new Float32Array(128000) });
    resnet.set('fc.bias', { dtype: 'float32', shape: [1000], data: new Float32Array(1000) });
    const cfg = inferSemsegConfig(resnet);
    assert.deepEqual([cfg.depth, cfg.widthMultiplier, cfg.backboneOnly], [50, 0.0625, true]);

    const dst = buildModel({ ...TINY, resnetDepth: 50, aux: false, seed: 6 });
    const headBefore = dst.getLayer('cls_conv').getWeights()[0].dataSync().slice();
    // without backboneOnly the model's other weights are missing
    assert.throws(() => loadSemsegStateDict(dst, resnet, 'r50.npz'), (e: unknown) => e instanceof StateDictMismatchError && e.missing.includes('conv0.weight') && e.missing.includes('cls.4.weight'));
    const report = loadSemsegStateDict(dst, resnet, 'r50.npz', { backboneOnly: true });
    assert.deepEqual(report.ignored.filter((k) => k.startsWith('fc.')).sort(), ['fc.bias', 'fc.weight']);
    assert.equal(report.loaded.length, [...resnet.keys()].filter((k) => !k.startsWith('fc.') && !k.endsWith('num_batches_tracked')).length);
    assert.ok(report.loaded.includes('conv1.weight') && report.loaded.includes('layer4.2.bn3.running_var'));
    assert.deepEqual(report.leftInitialised.filter((l) => !l.startsWith('ppm_')), ['conv0', 'cls_conv', 'cls_bn', 'cls_logits', 'maps']);
    for (const l of dst.layers.filter((l) => /^layer[0-4]_/.test(l.name) && l.weights.length)) {
      l.getWeights().forEach((w, i) => assert.deepEqual(w.dataSync(), src.getLayer(l.name).getWeights()[i].dataSync(), l.name));
    }
    assert.deepEqual(dst.getLayer('cls_conv').getWeights()[0].dataSync(), headBefore, 'the head keeps its initial weights');
    // a full PSPNet dict works too: its non-backbone keys are reported unused
    const again = loadSemsegStateDict(dst, full, 'full.npz', { backboneOnly: true });
    assert.ok(again.unused.includes('cls.4.weight') && again.unused.includes('ppm.features.0.1.weight') && again.unused.includes('pos_output.weight'));
    src.dispose();
    dst.dispose();
  });
});

const TWIN = ['reference', 'pspnet_twin'];
const TWIN_BASE = 'pspnet_r50_w0_25_aux_semseg_twin';

test('the PyTorch PSPNet-R50 x0.25 twin (semseg names, aux, BN statistics): our import reproduces its eval-mode maps to 1e-4', { skip: skipUnlessShared(...TWIN) }, () => {
  const file = (s: string) => sharedPath(...TWIN, `${TWIN_BASE}${s}`)!;
  const sd = readNpzFile(file('.npz'));
  const meta = JSON.parse(fs.readFileSync(file('.json'), 'utf8')) as { params: number; keys: number; depth: number; width: number; aux: boolean };
  const cfg = inferSemsegConfig(sd, file('.npz'));
  assert.deepEqual([cfg.depth, cfg.widthMultiplier, cfg.aux], [meta.depth, meta.width, meta.aux]);
  const model = buildModel({ name: 'pspnet', resnetDepth: cfg.depth, widthMultiplier: cfg.widthMultiplier, aux: cfg.aux });
  // the same architecture: PyTorch's parameter count (conv weights and biases, BN affine) equals ours
  assert.equal(describeModel(model).params, meta.params);
  const report = loadSemsegStateDict(model, sd, file('.npz'));
  assert.equal(report.loaded.length, meta.keys);
  const input = readNpyFile(file('_input.npy'));
  const expected = readNpyFile(file('_maps.npy'));
  assert.deepEqual(expected.shape, [300, 300, 4]);
  const ours = tf.tidy(() => (model.predict(tf.tensor4d(input.data as Float32Array, [1, 300, 300, 1])) as tf.Tensor[])[0].dataSync() as Float32Array);
  const diff = maxAbsDiff(ours, expected.data as Float32Array);
  assert.ok(diff <= 1e-4, `max |ours − PyTorch| = ${diff}`);
  model.dispose();
});
