import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DataFormatError, DatasetNotFoundError } from '../../lib/errors';
import { openDataset } from '../../lib/data/dataset';
import { parseJacquardGrasps } from '../../lib/data/jacquard';
import { graspFromRect, rectCenter } from '../../lib/data/grasp_rect';
import { imageStats } from '../../lib/data/image';
import { readRgbPng } from '../../lib/data/png';
import { sharedPath, skipUnlessShared } from '../helpers/shared';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-jacquard-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

test('Jacquard lines x;y;θ°;opening;jaw → centre [y, x], angle −θ, length opening, width jaw', () => {
  const [r] = parseJacquardGrasps('470.5;253.25;30;25.5;12\n', 'g.txt');
  const g = graspFromRect(r);
  assert.ok(Math.abs(g.center[0] - 253.25) < 1e-9 && Math.abs(g.center[1] - 470.5) < 1e-9);
  assert.ok(Math.abs(g.angle - -Math.PI / 6) < 1e-9);
  assert.ok(Math.abs(g.length - 25.5) < 1e-9);
  assert.ok(Math.abs(g.width - 12) < 1e-9);
  assert.throws(() => parseJacquardGrasps('1;2;3;4;5\n1;2;3;4\n', 'g.txt'), (e: Error) => e instanceof DataFormatError && /g\.txt: line 2: expected "x;y;theta;opening;jaw"/.test(e.message));
  assert.throws(() => parseJacquardGrasps('1;2;x;4;5\n', 'g.txt'), /line 1/);
});

const realJacquard = skipUnlessShared('realdata', 'jacquard');

test('real Jacquard samples: LZW depth decodes to 1024×1024 metres, rectangles inside the image', { skip: realJacquard }, async () => {
  const ds = await openDataset({ kind: 'jacquard', dir: sharedPath('realdata', 'jacquard')! });
  const objects = [...new Set(ds.entries.map((e) => e.objectId))].sort();
  assert.deepEqual(objects, ['1a9fa4c269cfcc1b738e43095496b061', '2206259551e94d263321831d2245cf06']);
  assert.equal(ds.entries.length, 10);
  assert.equal(ds.entries[0].id, '0_1a9fa4c269cfcc1b738e43095496b061');
  for (const e of [ds.entries[0], ds.entries[7]]) {
    const raw = await ds.load(e);
    assert.deepEqual([raw.depth.height, raw.depth.width], [1024, 1024]);
    assert.ok(raw.depth.data.every(Number.isFinite));
    const s = imageStats(raw.depth);
    assert.ok(s.min > 0.5 && s.max < 3 && s.max - s.min > 0.01, `${e.id}: ${s.min}..${s.max} m`);
    const lines = fs.readFileSync(ds.files(e).grasps, 'utf8').split('\n').filter((l) => l.trim()).length;
    assert.equal(raw.grasps.length, lines);
    for (const r of raw.grasps) {
      const [row, col] = rectCenter(r);
      assert.ok(row >= 0 && row < 1024 && col >= 0 && col < 1024);
    }
    // the convention ([row, col] = [y, x]) puts the grasp centres on the object of the sample's mask (some
    // centres of this hollow object fall in its openings); swapping x and y would not
    const mask = await readRgbPng(ds.files(e).grasps.replace(/_grasps\.txt$/, '_mask.png'));
    const onMask = (row: number, col: number) => mask.data[3 * (Math.round(row) * 1024 + Math.round(col))] > 0;
    const yx = raw.grasps.filter((r) => onMask(...rectCenter(r))).length;
    const xy = raw.grasps.filter((r) => onMask(rectCenter(r)[1], rectCenter(r)[0])).length;
    assert.ok(yx > 0.7 * raw.grasps.length && xy < 0.3 * raw.grasps.length, `${e.id}: ${yx}/${raw.grasps.length} centres on the mask (${xy} swapped)`);
  }
  assert.deepEqual(await ds.loadNegatives(ds.entries[0]), []);
});

test('Jacquard folder errors', async () => {
  await assert.rejects(openDataset({ kind: 'jacquard', dir: tmp }), (e: Error) => e instanceof DatasetNotFoundError && e.message.includes(`no */*_grasps.txt under ${tmp}`));
  const obj = path.join(tmp, 'abc');
  fs.mkdirSync(obj);
  fs.writeFileSync(path.join(obj, '0_abc_grasps.txt'), '1;2;3;4;5\n');
  const ds = await openDataset({ kind: 'jacquard', dir: tmp });
  await assert.rejects(ds.load(ds.entries[0]), (e: Error) => e instanceof DataFormatError && e.message.includes('0_abc_perfect_depth.tiff'));
});
