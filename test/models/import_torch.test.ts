import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { zipSync } from 'fflate';
import { selectBackend } from '../../lib/backend/setup';
import { DataFormatError } from '../../lib/errors';
import { loadTorchStateDict, loadTorchWeightsFile } from '../../lib/models/import_torch';
import { parseNpy, parseNpz, readNpzFile } from '../../lib/models/npz';
import { buildModel } from '../../lib/models/registry';
import { sharedPath, skipUnlessShared } from '../helpers/shared';
import { cornellCrop, maxAbsDiff } from './helpers';
import * as R from './torch_reference';

before(async () => {
  await selectBackend({ quiet: true });
});

/** A .npy file as numpy writes it (header padded with spaces to a multiple of 64, ending in \n). */
function npy(descr: string, shape: number[], payload: Uint8Array, opts: { fortran?: boolean; version?: 1 | 2 } = {}): Uint8Array {
  const version = opts.version ?? 1;
  const dict = `{'descr': '${descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pre = version === 1 ? 10 : 12;
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  const header = dict.padEnd(total - pre - 1, ' ') + '\n';
  const out = new Uint8Array(pre + header.length + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, header.length, true);
  else dv.setUint32(8, header.length, true);
  out.set(new TextEncoder().encode(header), pre);
  out.set(payload, pre + header.length);
  return out;
}

function bytesOf(values: number[], put: (dv: DataView, off: number, v: number) => void, size: number): Uint8Array {
  const b = new Uint8Array(values.length * size);
  const dv = new DataView(b.buffer);
  values.forEach((v, i) => put(dv, i * size, v));
  return b;
}

describe('.npy / .npz reader', () => {
  test('float32 little-endian, C order, header v1 and v2', () => {
    const payload = new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer);
    for (const version of [1, 2] as const) {
      const a = parseNpy(npy('<f4', [2, 3], payload, { version }));
      assert.equal(a.dtype, 'float32');
      assert.deepEqual(a.shape, [2, 3]);
      assert.deepEqual(Array.from(a.data as Float32Array), [1, 2, 3, 4, 5, 6]);
    }
  });

  test('big-endian float64, int64, uint8, float16, scalar', () => {
    const f8 = parseNpy(npy('>f8', [2], bytesOf([1.5, -2.25], (dv, o, v) => dv.setFloat64(o, v, false), 8)));
    assert.deepEqual(Array.from(f8.data as Float64Array), [1.5, -2.25]);
    const i8 = parseNpy(npy('<i8', [2], bytesOf([7, -3], (dv, o, v) => dv.setBigInt64(o, BigInt(v), true), 8)));
    assert.deepEqual(Array.from(i8.data as BigInt64Array), [7n, -3n]);
    const u1 = parseNpy(npy('|u1', [3], new Uint8Array([0, 128, 255])));
    assert.deepEqual(Array.from(u1.data as Uint8Array), [0, 128, 255]);
    // float16: 1.0 = 0x3c00, -2.0 = 0xc000, 0.5 = 0x3800
    const f2 = parseNpy(npy('<f2', [3], bytesOf([0x3c00, 0xc000, 0x3800], (dv, o, v) => dv.setUint16(o, v, true), 2)));
    assert.deepEqual(Array.from(f2.data as Float32Array), [1, -2, 0.5]);
    const scalar = parseNpy(npy('<f4', [], new Uint8Array(new Float32Array([42]).buffer)));
    assert.deepEqual(scalar.shape, []);
    assert.equal((scalar.data as Float32Array)[0], 42);
  });

  test('Fortran-order arrays are returned in C order', () => {
    // logical [[1,2,3],[4,5,6]] stored column-major: 1,4,2,5,3,6
    const a = parseNpy(npy('<f4', [2, 3], new Uint8Array(new Float32Array([1, 4, 2, 5, 3, 6]).buffer), { fortran: true }));
    assert.deepEqual(Array.from(a.data as Float32Array), [1, 2, 3, 4, 5, 6]);
  });

  test('npz: stored and deflated members, keys without .npy', () => {
    const w = npy('<f4', [1, 2], new Uint8Array(new Float32Array([0.5, -1]).buffer));
    const b = npy('<f4', [1], new Uint8Array(new Float32Array([3]).buffer));
    for (const level of [0, 6] as const) {
      const z = parseNpz(zipSync({ 'fc.weight.npy': w, 'fc.bias.npy': b }, { level }), 'x.npz');
      assert.deepEqual([...z.keys()], ['fc.weight', 'fc.bias']);
      assert.deepEqual(Array.from(z.get('fc.weight')!.data as Float32Array), [0.5, -1]);
    }
  });

  test('bad input raises DataFormatError naming the file and the problem', () => {
    assert.throws(() => parseNpz(new Uint8Array([1, 2, 3, 4]), 'junk.npz'), (e: unknown) => e instanceof DataFormatError && /junk\.npz/.test(e.message));
    assert.throws(() => parseNpy(new Uint8Array(20), 'a.npy'), (e: unknown) => e instanceof DataFormatError && /magic/.test(e.message));
    assert.throws(() => parseNpy(npy('|O', [1], new Uint8Array(8)), 'o.npy'), (e: unknown) => e instanceof DataFormatError && /dtype/.test(e.message));
    assert.throws(
      () => parseNpy(npy('<f4', [4], new Uint8Array(8)), 't.npy'),
      (e: unknown) => e instanceof DataFormatError && /t\.npy/.test(e.message) && /truncated/.test(e.message),
    );
    assert.throws(() => parseNpz(zipSync({ 'readme.txt': new Uint8Array([65]) }), 'z.npz'), (e: unknown) => e instanceof DataFormatError && /readme\.txt/.test(e.message));
    assert.throws(() => readNpzFile('/nonexistent/w.npz'), (e: unknown) => e instanceof DataFormatError && /w\.npz/.test(e.message));
  });
});

const WEIGHTS = ['weights', 'ggcnn_cornell_epoch23.npz'];
const WEIGHTS2 = ['weights', 'ggcnn2_cornell_epoch50.npz'];

describe('published GG-CNN weights', () => {
  test('the .npz state dicts have the expected keys and layouts', { skip: skipUnlessShared(...WEIGHTS) || skipUnlessShared(...WEIGHTS2) }, () => {
    const sd = readNpzFile(sharedPath(...WEIGHTS)!);
    assert.equal(sd.size, 20);
    assert.deepEqual(sd.get('conv1.weight')!.shape, [32, 1, 9, 9]);
    assert.deepEqual(sd.get('convt3.weight')!.shape, [16, 32, 9, 9]); // ConvTranspose: [in, out, kh, kw]
    const total = [...sd.values()].reduce((s, a) => s + a.data.length, 0);
    assert.equal(total, 62420);
    const sd2 = readNpzFile(sharedPath(...WEIGHTS2)!);
    assert.equal([...sd2.values()].reduce((s, a) => s + a.data.length, 0), 66676);
  });

  for (const [name, file, forward] of [
    ['ggcnn', WEIGHTS, R.ggcnnForward],
    ['ggcnn2', WEIGHTS2, R.ggcnn2Forward],
  ] as const) {
    test(`${name}: imported model equals the float64 PyTorch reference on a 48x48 depth crop (≤ 1e-4)`, { skip: skipUnlessShared(...file) || skipUnlessShared('realdata', 'cornell', '01', 'pcd0100d.tiff') }, async () => {
      const sd = readNpzFile(sharedPath(...file)!);
      const model = buildModel({ name, inputSize: 48 });
      const report = loadTorchStateDict(model, sd, file.join('/'));
      assert.equal(report.loaded.length, sd.size);
      const { depth } = await cornellCrop(sharedPath('realdata', 'cornell', '01', 'pcd0100d.tiff')!, sharedPath('realdata', 'cornell', '01', 'pcd0100cpos.txt')!);
      // the 48x48 window around the crop centre, where the object is
      const crop = new Float32Array(48 * 48);
      for (let r = 0; r < 48; r++) for (let c = 0; c < 48; c++) crop[r * 48 + c] = depth[(126 + r) * 300 + 126 + c];
      const ours = tf.tidy(() => (model.predict(tf.tensor4d(crop, [1, 48, 48, 1])) as tf.Tensor).dataSync());
      const ref = forward(sd as never, R.map64(1, 48, 48, crop));
      const refHwc = new Float32Array(48 * 48 * 4);
      ref.forEach((m, k) => m.data.forEach((v, i) => (refHwc[i * 4 + k] = v)));
      assert.ok(maxAbsDiff(ours, refHwc) < 1e-4, `max |ours − reference| = ${maxAbsDiff(ours, refHwc)}`);
      // and the maps are not trivially constant
      assert.ok(Math.max(...refHwc) - Math.min(...refHwc) > 0.1);
      model.dispose();
    });
  }

  test('ggcnn on a real 300x300 Cornell crop: finite maps in plausible ranges, best grasp near a labelled one', { skip: skipUnlessShared(...WEIGHTS) || skipUnlessShared('realdata', 'cornell', '01', 'pcd0100d.tiff') }, async () => {
    const model = buildModel({ name: 'ggcnn' });
    loadTorchWeightsFile(model, sharedPath(...WEIGHTS)!);
    const { depth, centres } = await cornellCrop(sharedPath('realdata', 'cornell', '01', 'pcd0100d.tiff')!, sharedPath('realdata', 'cornell', '01', 'pcd0100cpos.txt')!);
    const before = tf.memory().numTensors;
    const maps = tf.tidy(() => (model.predict(tf.tensor4d(depth, [1, 300, 300, 1])) as tf.Tensor).dataSync());
    assert.equal(tf.memory().numTensors, before);
    assert.ok(maps.every(Number.isFinite));
    const channel = (k: number) => Array.from({ length: 300 * 300 }, (_, i) => maps[i * 4 + k]);
    const [pos, cos, sin, width] = [0, 1, 2, 3].map(channel);
    const maxPos = Math.max(...pos);
    assert.ok(maxPos > 0.3 && maxPos < 1.5, `max quality ${maxPos}`);
    assert.ok(cos.every((v) => Math.abs(v) < 1.5) && sin.every((v) => Math.abs(v) < 1.5));
    const peak = pos.indexOf(maxPos);
    const [pr, pc] = [Math.floor(peak / 300), peak % 300];
    // width/150 targets are in [0,1]; around the peak the prediction should be too (small overshoot allowed)
    assert.ok(width[peak] > -0.1 && width[peak] < 1.2, `width at peak ${width[peak]}`);
    const nearest = Math.min(...centres.map(([r, c]) => Math.hypot(r - pr, c - pc)));
    assert.ok(nearest < 40, `quality peak at [${pr},${pc}] is ${nearest.toFixed(1)} px from the closest labelled grasp`);
    model.dispose();
  });

  test('loading into the wrong architecture or a damaged dict fails with DataFormatError', { skip: skipUnlessShared(...WEIGHTS) }, () => {
    const file = sharedPath(...WEIGHTS)!;
    const ggcnn2 = buildModel({ name: 'ggcnn2', inputSize: 48 });
    assert.throws(() => loadTorchWeightsFile(ggcnn2, file), (e: unknown) => e instanceof DataFormatError && /conv1/.test(e.message) && /ggcnn_cornell_epoch23/.test(e.message));
    const ggcnn = buildModel({ name: 'ggcnn', inputSize: 48 });
    const sd = readNpzFile(file);
    const missing = new Map(sd);
    missing.delete('convt2.bias');
    assert.throws(() => loadTorchStateDict(ggcnn, missing, 'm'), (e: unknown) => e instanceof DataFormatError && /convt2\.bias/.test(e.message));
    const noLayer = new Map([...sd].filter(([k]) => !k.startsWith('width_output')));
    assert.throws(() => loadTorchStateDict(ggcnn, noLayer, 'n'), (e: unknown) => e instanceof DataFormatError && /width_output/.test(e.message));
    const wrongShape = new Map(sd);
    wrongShape.set('conv2.weight', { ...sd.get('conv2.weight')!, shape: [16, 32, 1, 25] });
    assert.throws(() => loadTorchStateDict(ggcnn, wrongShape, 's'), (e: unknown) => e instanceof DataFormatError && /conv2\.weight/.test(e.message));
    ggcnn.dispose();
    ggcnn2.dispose();
  });
});
