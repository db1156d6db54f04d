import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { selectBackend } from '../../lib/backend/setup';
import { openDataset } from '../../lib/data/dataset';
import { parseCornellGrasps } from '../../lib/data/cornell';
import { parseJacquardGrasps } from '../../lib/data/jacquard';
import { createImage } from '../../lib/data/image';
import { BatchLoader } from '../../lib/data/loader';
import { preprocessSteps } from '../../lib/data/preprocess';
import { Rng } from '../../lib/data/random';
import { decodeDepthTiff, encodeFloat32Tiff } from '../../lib/data/tiff';
import { DataFormatError, DatasetNotFoundError } from '../../lib/errors';
import { evaluateModel } from '../../lib/eval/metric';
import { buildModel, loadTorchWeightsFile } from '../../lib/models/registry';
import { sharedPath, skipUnlessShared } from '../helpers/shared';

/** Non-finite, empty, mis-sized and mis-scaled data: each gets a named error or a warning and a skip, never silence. */

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-baddata-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const RECT = '300 200\n340 200\n340 220\n300 220\n';

/** A Cornell-format folder with the given samples (`cpos` text, depth image) under `<name>/01/`. */
function cornellFolder(name: string, samples: { cpos: string; depth?: Uint8Array }[]): string {
  const dir = path.join(tmp, name, '01');
  fs.mkdirSync(dir, { recursive: true });
  samples.forEach((s, i) => {
    const base = path.join(dir, `pcd01${String(i).padStart(2, '0')}`);
    fs.writeFileSync(`${base}cpos.txt`, s.cpos);
    fs.writeFileSync(`${base}d.tiff`, s.depth ?? encodeFloat32Tiff(createImage(480, 640, 0.7)));
  });
  return path.dirname(dir);
}

/** A baseline single-strip little-endian TIFF with integer samples (8 or 16 bit), as an imaging tool writes them. */
function integerTiff(width: number, height: number, bits: 8 | 16, value: number): Uint8Array {
  const bytes = bits / 8;
  const entries: [number, number, number][] = [
    [256, 4, width], [257, 4, height], [258, 3, bits], [259, 3, 1], [262, 3, 1], [273, 4, 0],
    [277, 3, 1], [278, 4, height], [279, 4, width * height * bytes], [339, 3, 1],
  ];
  const dataOffset = 8 + 2 + entries.length * 12 + 4;
  const out = new Uint8Array(dataOffset + width * height * bytes);
  const v = new DataView(out.buffer);
  out.set([0x49, 0x49, 42, 0]);
  v.setUint32(4, 8, true);
  v.setUint16(8, entries.length, true);
  entries.forEach(([tag, type, val], k) => {
    const at = 10 + k * 12;
    v.setUint16(at, tag, true);
    v.setUint16(at + 2, type, true);
    v.setUint32(at + 4, 1, true);
    const x = tag === 273 ? dataOffset : val;
    if (type === 3) v.setUint16(at + 8, x, true);
    else v.setUint32(at + 8, x, true);
  });
  for (let i = 0; i < width * height; i++) {
    if (bits === 8) out[dataOffset + i] = value;
    else v.setUint16(dataOffset + 2 * i, value, true);
  }
  return out;
}

test('infinite coordinates are refused with file and line (Cornell and Jacquard); NaN rectangles are still skipped', () => {
  for (const bad of ['Infinity 1e400', '1e400 2', '-inf 3', '4 -Infinity']) {
    assert.throws(
      () => parseCornellGrasps(`1 2\n3 4\n${bad}\n7 8\n`, 'pcd0001cpos.txt'),
      (e: Error) => e instanceof DataFormatError && /pcd0001cpos\.txt: line 3: ".*" is not a (finite coordinate|number)/.test(e.message),
      bad,
    );
  }
  const warnings: string[] = [];
  assert.equal(parseCornellGrasps(`${RECT}NaN NaN\n1 1\n2 2\nNaN NaN\n`, 'n.txt', (m) => warnings.push(m)).length, 1);
  assert.match(warnings[0], /n\.txt: skipped 1 rectangle/);
  assert.throws(() => parseJacquardGrasps('10;20;30;40;50\n10;Infinity;30;40;50\n', 'g_grasps.txt'), /g_grasps\.txt: line 2: "Infinity" \(y\) is not a finite number/);
  assert.throws(() => parseJacquardGrasps('10;20;30;1e400;50\n', 'g_grasps.txt'), /line 1: "1e400" \(opening\) is not a finite number/);
});

test('samples without grasps: a warning once per file, and the loaders skip them in training and validation', async () => {
  const dir = cornellFolder('empty', [{ cpos: RECT }, { cpos: '' }, { cpos: `${RECT}` }, { cpos: 'NaN NaN\n1 1\n2 2\n3 3\n' }]);
  const warnings: string[] = [];
  const ds = await openDataset({ kind: 'cornell', dir }, { onWarning: (m) => warnings.push(m) });
  const preprocess = { outputSize: 64, rotate: 'none' as const, zoom: false };
  const loader = new BatchLoader(ds, ds.entries, { batchSize: 2, seed: 1, shuffle: true, preprocess });
  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) {
    const b = await loader.nextBatch();
    b.samples.forEach((s) => {
      seen.add(s.id);
      assert.ok(s.grasps.length > 0, `${s.id} has no grasps`);
    });
    b.x.dispose();
    b.y.dispose();
  }
  assert.deepEqual([...seen].sort(), ['01/pcd0100', '01/pcd0102']);
  const val = await new BatchLoader(ds, ds.entries, { batchSize: 1, seed: 1, shuffle: false, preprocess }).samples();
  assert.deepEqual(val.map((s) => s.id), ['01/pcd0100', '01/pcd0102']);
  const noGrasp = warnings.filter((w) => /no grasp rectangles/.test(w));
  assert.equal(noGrasp.filter((w) => w.includes('pcd0101cpos.txt')).length, 1, warnings.join('\n'));
  assert.equal(noGrasp.filter((w) => w.includes('pcd0103cpos.txt')).length, 1, warnings.join('\n'));

  const none = cornellFolder('none', [{ cpos: '' }, { cpos: '' }]);
  const nds = await openDataset({ kind: 'cornell', dir: none }, { onWarning: () => {} });
  await assert.rejects(new BatchLoader(nds, nds.entries, { batchSize: 1, seed: 1, shuffle: true, preprocess }).nextBatch(), DatasetNotFoundError);
});

test('a Jacquard grasps file without grasps is warned about and skipped', async () => {
  const dir = path.join(tmp, 'jq', 'obj');
  fs.mkdirSync(dir, { recursive: true });
  for (const [i, text] of ['512;512;0;60;20\n', ''].entries()) {
    fs.writeFileSync(path.join(dir, `${i}_obj_grasps.txt`), text);
    fs.writeFileSync(path.join(dir, `${i}_obj_perfect_depth.tiff`), encodeFloat32Tiff(createImage(1024, 1024, 1.5)));
  }
  const warnings: string[] = [];
  const ds = await openDataset({ kind: 'jacquard', dir: path.dirname(dir) }, { onWarning: (m) => warnings.push(m) });
  const val = await new BatchLoader(ds, ds.entries, { batchSize: 1, seed: 1, shuffle: false, preprocess: { outputSize: 32, rotate: 'none', zoom: false } }).samples();
  assert.deepEqual(val.map((s) => s.id), ['0_obj']);
  assert.ok(warnings.some((w) => /1_obj_grasps\.txt: no grasps; this sample is skipped/.test(w)), warnings.join('\n'));
});

test('depth of the wrong size or unit is refused at load time, naming the file', async () => {
  const cases: { name: string; cpos?: string; depth: Uint8Array; kind?: 'cornell' | 'synthetic'; re: RegExp }[] = [
    { name: 'small', depth: encodeFloat32Tiff(createImage(100, 100, 0.7)), re: /pcd0100d\.tiff: depth image is 100x100, but cornell depth images are 480x640/ },
    { name: 'small-synth', kind: 'synthetic', depth: encodeFloat32Tiff(createImage(100, 100, 0.7)), re: /pcd0100cpos\.txt: rectangle 1 \(centred at row 210, col 320\) lies entirely outside the 100x100 depth image/ },
    { name: 'mm', depth: encodeFloat32Tiff(createImage(480, 640, 700)), re: /pcd0100d\.tiff: median depth is 700 m.*looks like millimetres, divide by 1000\?/ },
    { name: 'mm16', depth: integerTiff(640, 480, 16, 700), re: /looks like millimetres, divide by 1000\?/ },
    { name: 'u8', depth: integerTiff(640, 480, 8, 200), re: /pcd0100d\.tiff: 8-bit integer TIFF: an ordinary image, not depth/ },
    { name: 'tiny', depth: encodeFloat32Tiff(createImage(480, 640, 0.0007)), re: /median depth is 0\.0007 m, closer than 0\.1 m/ },
    { name: 'far', depth: encodeFloat32Tiff(createImage(480, 640, 1e6)), re: /median depth is 1000000 m, not plausible for a tabletop camera \(depth must be float32 metres\)$/ },
  ];
  for (const c of cases) {
    const dir = cornellFolder(c.name, [{ cpos: c.cpos ?? RECT, depth: c.depth }]);
    const ds = await openDataset({ kind: c.kind ?? 'cornell', dir });
    await assert.rejects(ds.load(ds.entries[0]), (e: Error) => e instanceof DataFormatError && c.re.test(e.message), c.name);
  }
  // a valid sample still loads
  const good = cornellFolder('good', [{ cpos: RECT }]);
  const ds = await openDataset({ kind: 'cornell', dir: good });
  assert.equal((await ds.load(ds.entries[0])).grasps.length, 1);
  // so does a rectangle at the frame's edge whose centre is just outside it (an object cut by the border)
  const edge = cornellFolder('edge', [{ cpos: RECT + '300 470\n340 470\n340 500\n300 500\n' }]);
  const edgeDs = await openDataset({ kind: 'cornell', dir: edge });
  assert.equal((await edgeDs.load(edgeDs.entries[0])).grasps.length, 2);
  await assert.rejects(decodeDepthTiff(integerTiff(4, 4, 8, 1), 'u8.tiff'), /u8\.tiff: 8-bit integer TIFF/);
});

const shared = skipUnlessShared('weights', 'ggcnn_cornell_epoch23.npz');

test('pcd0165 (one NaN rectangle among valid ones) keeps the original GG-CNN verdict', { skip: shared || skipUnlessShared('reference', 'ggcnn_torch_verdicts.json') }, async () => {
  await selectBackend({ quiet: true });
  const ref = (JSON.parse(fs.readFileSync(sharedPath('reference', 'ggcnn_torch_verdicts.json')!, 'utf8')).ggcnn.cornell as { name: string; success: boolean; n_gt: number; crop: { top: number; left: number } }[])
    .find((v) => v.name === 'pcd0165')!;
  const warnings: string[] = [];
  const ds = await openDataset({ kind: 'cornell', dir: sharedPath('realdata', 'cornell')! }, { onWarning: (m) => warnings.push(m) });
  const entry = ds.entries.find((e) => e.id === '01/pcd0165')!;
  const raw = await ds.load(entry);
  assert.equal(raw.grasps.length, ref.n_gt, 'the NaN rectangle is dropped, the others kept');
  assert.ok(warnings.some((w) => /pcd0165cpos\.txt: skipped 1 rectangle/.test(w)));
  const trace = preprocessSteps(raw, { outputSize: 300, rotate: 'none', zoom: false }, new Rng(1));
  assert.deepEqual({ top: trace.window.top, left: trace.window.left }, ref.crop);
  const model = buildModel({ name: 'ggcnn' });
  loadTorchWeightsFile(model, sharedPath('weights', 'ggcnn_cornell_epoch23.npz')!);
  const samples = await new BatchLoader(ds, [entry], { batchSize: 1, seed: 1, shuffle: false, preprocess: { outputSize: 300, rotate: 'none', zoom: false } }).samples();
  const r = await evaluateModel(model, samples);
  assert.equal(r.perImage[0].success, ref.success);
  model.dispose();
});
