import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DataFormatError } from '../../lib/errors';
import { createImage } from '../../lib/data/image';
import { decodeDepthTiff, encodeFloat32Tiff, readDepthTiff, writeDepthTiff } from '../../lib/data/tiff';
import { readRgbPng, writeRgbPng } from '../../lib/data/png';
import { parsePcd, readPcdDepth } from '../../lib/data/pcd';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-formats-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

test('float32 TIFF written by encodeFloat32Tiff decodes bit-exactly with geotiff', async () => {
  const img = createImage(37, 53);
  for (let i = 0; i < img.data.length; i++) img.data[i] = i % 7 === 0 ? 0 : 0.5 + Math.sin(i) * 0.1234567;
  img.data[3] = NaN;
  const f = path.join(tmp, 'a.tiff');
  await writeDepthTiff(f, img);
  const back = await readDepthTiff(f);
  assert.equal(back.height, 37);
  assert.equal(back.width, 53);
  assert.ok(Number.isNaN(back.data[3]));
  back.data[3] = img.data[3] = 0;
  assert.deepEqual(back.data, img.data);
  // 8-byte header + IFD, then the raw float32 strip: a single uncompressed strip as tifffile writes it
  assert.equal(encodeFloat32Tiff(img).length, 160 + 37 * 53 * 4);
});

test('missing and truncated TIFFs give a DataFormatError naming the file', async () => {
  const missing = path.join(tmp, 'nope.tiff');
  await assert.rejects(readDepthTiff(missing), (e: Error) => e instanceof DataFormatError && e.message.includes(missing));
  const full = encodeFloat32Tiff(createImage(100, 100, 1));
  for (const n of [100, 20000]) {
    const f = path.join(tmp, `trunc${n}.tiff`);
    fs.writeFileSync(f, full.subarray(0, n));
    await assert.rejects(readDepthTiff(f), (e: Error) => e instanceof DataFormatError && e.message.includes(`${f}: truncated at byte ${n}:`), `truncated at ${n}`);
  }
  await assert.rejects(decodeDepthTiff(new TextEncoder().encode('not a tiff at all'), 'x.tiff'), /x\.tiff: not a TIFF \(starts with bytes 6e 6f 74 20 "not "\)/);
  await assert.rejects(decodeDepthTiff(new Uint8Array(0), 'e.tiff'), /e\.tiff: empty file, not a TIFF/);
});

test('RGB PNG round trip; a corrupt PNG names the file', async () => {
  const data = new Uint8Array(7 * 5 * 3).map((_, i) => (i * 37) % 256);
  const f = path.join(tmp, 'a.png');
  await writeRgbPng(f, { height: 5, width: 7, data });
  const back = await readRgbPng(f);
  assert.deepEqual([back.height, back.width], [5, 7]);
  assert.deepEqual(back.data, data);
  const bad = path.join(tmp, 'bad.png');
  fs.writeFileSync(bad, 'garbage');
  await assert.rejects(readRgbPng(bad), (e: Error) => e instanceof DataFormatError && e.message.includes(bad));
});

const PCD_HEADER = `# .PCD v.7 - Point Cloud Data file format
FIELDS x y z rgb index
SIZE 4 4 4 4 4
TYPE F F F F U
COUNT 1 1 1 1 1
WIDTH 3
HEIGHT 1
POINTS 3
DATA ascii
`;

test('pcd: pixel = index // 640, index % 640; value = Euclidean distance in metres; the rest is 0', async () => {
  const f = path.join(tmp, 'pcd0001.txt');
  fs.writeFileSync(f, PCD_HEADER + '300 400 0 4.2e+06 0\n0 0 700 4.2e+06 641\n-3 4 12 1.1e+06 307199\n');
  const d = await readPcdDepth(f);
  assert.deepEqual([d.height, d.width], [480, 640]);
  assert.ok(Math.abs(d.data[0] - 0.5) < 1e-7);
  assert.ok(Math.abs(d.data[1 * 640 + 1] - 0.7) < 1e-7);
  assert.ok(Math.abs(d.data[479 * 640 + 639] - 0.013) < 1e-7);
  assert.equal(d.data.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0), 3);
  // small shapes work too, and "nan" points leave their pixel missing
  const s = parsePcd(PCD_HEADER + '1 2 2 0 5\nnan nan nan 0 6\n', 'mem.txt', [3, 4]);
  assert.ok(Math.abs(s.data[5] - 0.003) < 1e-9);
  assert.equal(s.data[6], 0);
});

test('pcd: malformed lines and headers are errors naming the file and line', async () => {
  const bad = (body: string) => () => parsePcd(body, 'cloud.txt', [3, 4]);
  assert.throws(bad(PCD_HEADER + '1 2 3 0 1\n1 2 3 0\n'), /cloud\.txt: line 11: expected 5 values/);
  assert.throws(bad(PCD_HEADER + '1 2 abc 0 1\n'), /cloud\.txt: line 10: "abc" is not a number/);
  assert.throws(bad(PCD_HEADER + '1 2 3 0 99\n'), /pixel index 99 outside a 3x4 image/);
  assert.throws(bad('FIELDS x y z\nDATA binary\n'), /only ASCII/);
  assert.throws(bad('DATA ascii\n1 2 3 0 1\n'), /no FIELDS line/);
  assert.throws(bad(PCD_HEADER), /no valid points/);
  await assert.rejects(readPcdDepth(path.join(tmp, 'none.txt')), /none\.txt: cannot read point cloud/);
});
