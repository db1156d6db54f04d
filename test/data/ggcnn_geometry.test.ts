import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { GraspRectPoints, RawSample } from '../../lib/types';
import { parseCornellGrasps } from '../../lib/data/cornell';
import { parseJacquardGrasps } from '../../lib/data/jacquard';
import { createImage } from '../../lib/data/image';
import { preprocessAt } from '../../lib/data/preprocess';
import { drawTargets } from '../../lib/data/targets';
import { ggcnnRectsCenter } from '../../lib/data/ggcnn_rect';
import { pyRound } from '../../lib/py_math';

/**
 * Rectangles and target maps computed by dougsm/ggcnn's own GraspRectangles (commit 0c50aa7) with the call sequence
 * of CornellDataset/JacquardDataset.get_gtbb and GraspDatasetBase.__getitem__, by
 *   /usr/bin/python3 scripts/reference/ggcnn_rects.py /path/to/ggcnn > test/fixtures/ggcnn_rects.json
 * on made-up rectangle files, for 8 rotation/zoom pairs each.
 */
interface MapSums {
  pos: number;
  cos: number;
  sin: number;
  width: number;
  pos_rows: number;
}
interface Case {
  rotation: number;
  zoom: number;
  rects: GraspRectPoints[];
  maps: MapSums;
  center?: [number, number];
  top?: number;
  left?: number;
}
const ref = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'ggcnn_rects.json'), 'utf8')) as {
  cornell_text: string;
  jacquard_text: string;
  cornell_loaded: GraspRectPoints[];
  cornell: Case[];
  jacquard: Case[];
};

function checkMaps(rects: GraspRectPoints[], want: MapSums, what: string) {
  const m = drawTargets(rects, 300);
  const sum = (a: Float32Array) => a.reduce((s, v) => s + v, 0);
  let posRows = 0;
  m.pos.data.forEach((v, i) => (posRows += v * Math.floor(i / 300)));
  assert.equal(sum(m.pos.data), want.pos, `${what}: pos pixels`);
  assert.equal(posRows, want.pos_rows, `${what}: pos rows`);
  // float32 maps against ggcnn's float64 ones: 300·300 values summed
  for (const k of ['cos', 'sin', 'width'] as const) assert.ok(Math.abs(sum(m[k].data) - want[k]) < 2e-3, `${what}: ${k} sum ${sum(m[k].data)} vs ${want[k]}`);
}

test('Python rounding: ties to even', () => {
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999, 2.5001, 350.5, 345.5].map(pyRound), [0, 2, 2, 0, -2, 2, 3, 350, 346]);
});

test('Cornell: corners, crop centre and window, rotated/zoomed rectangles and targets equal ggcnn\'s', () => {
  const grasps = parseCornellGrasps(ref.cornell_text, 'ref-cpos.txt');
  assert.deepEqual(grasps, ref.cornell_loaded);
  const raw: RawSample = { id: 'ref', objectId: 'ref', depth: createImage(480, 640, 0.6), grasps };
  for (const k of ref.cornell) {
    const what = `rotation ${k.rotation.toFixed(3)}, zoom ${k.zoom}`;
    assert.deepEqual(ggcnnRectsCenter(grasps), k.center);
    const t = preprocessAt(raw, { outputSize: 300, rotate: 'none', zoom: false, crop: 'grasps' }, { rotation: k.rotation, zoom: k.zoom });
    assert.deepEqual([t.window.top, t.window.left], [k.top, k.left], what);
    assert.deepEqual(t.sample.grasps, k.rects, what);
    checkMaps(t.sample.grasps, k.maps, what);
  }
});

test('Jacquard: scaled by 300/1024, rotated/zoomed about (150, 150) with truncation, and targets equal ggcnn\'s', () => {
  const raw: RawSample = { id: 'ref', objectId: 'ref', depth: createImage(1024, 1024, 1.5), grasps: parseJacquardGrasps(ref.jacquard_text, 'ref_grasps.txt') };
  for (const k of ref.jacquard) {
    const what = `rotation ${k.rotation.toFixed(3)}, zoom ${k.zoom}`;
    const t = preprocessAt(raw, { outputSize: 300, rotate: 'none', zoom: false, crop: 'whole' }, { rotation: k.rotation, zoom: k.zoom });
    assert.deepEqual(t.sample.grasps, k.rects, what);
    checkMaps(t.sample.grasps, k.maps, what);
  }
});
