import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { DataFormatError, DatasetNotFoundError } from '../../lib/errors';
import { openDataset } from '../../lib/data/dataset';
import { parseCornellGrasps } from '../../lib/data/cornell';
import { graspFromRect } from '../../lib/data/grasp_rect';
import { createImage, imageStats } from '../../lib/data/image';
import { encodeFloat32Tiff } from '../../lib/data/tiff';
import { PROJECT_ROOT } from '../../lib/config/paths';
import { sharedPath, skipUnlessShared } from '../helpers/shared';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-cornell-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

test('Cornell rectangle text: 4 "x y" lines each, [row, col] = [round(y), round(x)] (Python rounding, as ggcnn), p0→p1 the opening', () => {
  const rects = parseCornellGrasps('253 319.7 \n309 324 \n307 350.5 \n251.5 345.5\n', 'f.txt');
  assert.equal(rects.length, 1);
  assert.deepEqual(rects[0], [[320, 253], [324, 309], [350, 307], [346, 252]]); // ties to even: 350.5 → 350, 345.5 → 346
  const g = graspFromRect(rects[0]);
  assert.ok(g.length > g.width); // Cornell's first edge is the longer jaw opening here (≈56 vs 26 px)
});

test('a NaN rectangle is skipped with a warning naming the file; other junk is an error', () => {
  const warnings: string[] = [];
  const text = '1 2\r\n3 4\r\n5 6\r\n7 8\r\nNaN NaN\r\n1 1\r\n2 2\r\nNaN NaN\r\n';
  assert.equal(parseCornellGrasps(text, 'pcd9999cpos.txt', (m) => warnings.push(m)).length, 1);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /pcd9999cpos\.txt: skipped 1 rectangle/);
  assert.throws(() => parseCornellGrasps('1 2\n3 4\n5 6\n', 'g.txt'), /g\.txt: 3 coordinate lines is not a multiple of 4/);
  assert.throws(() => parseCornellGrasps('1 2\n3 4\n5 x6\n7 8\n', 'g.txt'), /g\.txt: line 3: "x6" is not a number/);
  assert.throws(() => parseCornellGrasps('1 2\n3 4 5\n5 6\n7 8\n', 'g.txt'), /g\.txt: line 2: expected "x y"/);
});

const realCornell = skipUnlessShared('realdata', 'cornell', '01');

test('real Cornell samples pcd0100–0119 and pcd0165 load: 480×640 metres, rectangles in the image', { skip: realCornell }, async () => {
  const warnings: string[] = [];
  const ds = await openDataset({ kind: 'cornell', dir: sharedPath('realdata', 'cornell')! }, { onWarning: (m) => warnings.push(m) });
  const ids = ds.entries.map((e) => e.id);
  for (let n = 100; n <= 119; n++) assert.ok(ids.includes(`01/pcd0${n}`), `01/pcd0${n} listed`);
  assert.ok(ids.includes('01/pcd0165'));
  assert.ok(ds.entries.every((e) => e.objectId === '01'));
  for (const e of ds.entries) {
    const raw = await ds.load(e);
    assert.deepEqual([raw.depth.height, raw.depth.width], [480, 640]);
    const s = imageStats(raw.depth);
    assert.ok(s.min > 0 && s.max < 5 && s.mean > 0.3 && s.mean < 3, `${e.id}: depth ${s.min}..${s.max} mean ${s.mean} m`);
    assert.ok(raw.grasps.length > 0, `${e.id} has rectangles`);
    for (const r of raw.grasps) for (const [row, col] of r) assert.ok(row >= 0 && row < 480 && col >= 0 && col < 640, `${e.id}: corner ${row},${col}`);
    const lengths = raw.grasps.map((r) => graspFromRect(r).length);
    assert.ok(lengths.every((l) => l > 5 && l < 200), `${e.id}: openings ${lengths}`);
  }
  // pcd0165cpos.txt holds one NaN rectangle: dropped, and the warning names the file
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /01[/\\]pcd0165cpos\.txt: skipped 1 rectangle/);
  const text = fs.readFileSync(ds.files({ id: '01/pcd0165', objectId: '01' }).cpos, 'utf8');
  const lines = text.split('\n').filter((l) => l.trim()).length;
  assert.equal((await ds.load({ id: '01/pcd0165', objectId: '01' })).grasps.length, lines / 4 - 1);
  assert.ok((await ds.loadNegatives(ds.entries[0])).length > 0);
  const rgb = await ds.loadRgb(ds.entries[0]);
  assert.deepEqual([rgb.height, rgb.width], [480, 640]);
});

test('Cornell from point clouds when no d.tiff exists', async () => {
  const dir = path.join(tmp, 'pcdonly', '03');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'pcd0300cpos.txt'), '10 20\n30 20\n30 30\n10 30\n');
  fs.writeFileSync(path.join(dir, 'pcd0300.txt'), 'FIELDS x y z rgb index\nDATA ascii\n0 0 600 0 1000\n0 0 800 0 1001\n');
  const ds = await openDataset({ kind: 'cornell', dir: path.join(tmp, 'pcdonly') });
  const raw = await ds.load(ds.entries[0]);
  assert.ok(Math.abs(raw.depth.data[1000] - 0.6) < 1e-6);
  assert.ok(Math.abs(raw.depth.data[1001] - 0.8) < 1e-6);
  assert.equal(imageStats(raw.depth).missing, 480 * 640 - 2); // holes stay 0 until preprocess inpaints
  assert.deepEqual(raw.grasps[0][1], [20, 30]);
});

test('bad Cornell folders: missing/empty folder, missing depth, malformed files name what is wrong', async () => {
  await assert.rejects(openDataset({ kind: 'cornell', dir: path.join(tmp, 'absent') }), (e: Error) => e instanceof DatasetNotFoundError && /absent does not exist \(looked for \*\/pcd\*cpos\.txt\)/.test(e.message));
  fs.mkdirSync(path.join(tmp, 'empty', '01'), { recursive: true });
  await assert.rejects(openDataset({ kind: 'synthetic', dir: path.join(tmp, 'empty') }), /no \*\/pcd\*cpos\.txt under .*empty; run `npm run data`/);

  const dir = path.join(tmp, 'bad', '01');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'pcd0100cpos.txt'), '1 2\n3 4\n5 6\n7 8\n');
  fs.writeFileSync(path.join(dir, 'pcd0101cpos.txt'), '1 2\n3 4\n5 6\n7 8\n');
  fs.writeFileSync(path.join(dir, 'pcd0101d.tiff'), encodeFloat32Tiff(createImage(480, 640, 0.7)).subarray(0, 5000));
  fs.writeFileSync(path.join(dir, 'pcd0102cpos.txt'), '1 2\n3 4\n5 six\n7 8\n');
  fs.writeFileSync(path.join(dir, 'pcd0102d.tiff'), encodeFloat32Tiff(createImage(480, 640, 0.7)));
  fs.writeFileSync(path.join(dir, 'pcd0103cpos.txt'), '1 2\n3 4\n5 6\n7 8\n');
  fs.writeFileSync(path.join(dir, 'pcd0103d.tiff'), encodeFloat32Tiff(createImage(480, 640, 0)));
  const ds = await openDataset({ kind: 'cornell', dir: path.join(tmp, 'bad') });
  const err = (name: string, re: RegExp) => (e: Error) => e instanceof DataFormatError && e.message.includes(name) && re.test(e.message);
  await assert.rejects(ds.load(ds.entries[0]), err('pcd0100d.tiff', /no depth for this sample: neither this file nor pcd0100\.txt exists/));
  await assert.rejects(ds.load(ds.entries[1]), err('pcd0101d.tiff', /cannot decode TIFF/));
  await assert.rejects(ds.load(ds.entries[2]), err('pcd0102cpos.txt', /line 3: "six" is not a number/));
  await assert.rejects(ds.load(ds.entries[3]), err('pcd0103d.tiff', /no valid pixel/));
  await assert.rejects(ds.load({ id: '01/pcd0999', objectId: '01' }), /no entry "01\/pcd0999"/);
});

test('scripts/pcd-to-tiff.ts renders */pcdXXXX.txt to pcdXXXXd.tiff, inpainted, that the loader then prefers', async () => {
  const root = path.join(tmp, 'convert');
  const dir = path.join(root, '05');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'pcd0500cpos.txt'), '10 20\n30 20\n30 30\n10 30\n');
  fs.writeFileSync(path.join(dir, 'pcd0500.txt'), 'FIELDS x y z rgb index\nDATA ascii\n0 0 600 0 0\n0 0 600 0 307199\n');
  const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'scripts', 'pcd-to-tiff.ts'), root], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  assert.match(out, /wrote 1 of 1 depth images/);
  const ds = await openDataset({ kind: 'cornell', dir: root });
  const raw = await ds.load(ds.entries[0]);
  const s = imageStats(raw.depth);
  assert.equal(s.missing, 0);
  assert.ok(Math.abs(s.min - 0.6) < 1e-6 && Math.abs(s.max - 0.6) < 1e-6);
});
