import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { Point } from '../../lib/types';
import { EDGE, forEachPolygonPixel, INSIDE, OUTSIDE, pointInPolygon, polygonArea, VERTEX } from '../../lib/data/polygon';

/**
 * Pixels of `skimage.draw.polygon` computed with scikit-image 0.19.3 (Debian's python3-skimage) by
 *   /usr/bin/python3 scripts/reference/skimage_polygon.py > test/fixtures/skimage_polygon.json
 * 62 polygons: integer rectangles (Cornell ground truth), truncated and rounded rotated rectangles, float grasp
 * rectangles, centre-third target rectangles clipped to 300x300, segments and other edge cases.
 */
interface Case {
  name: string;
  r: number[];
  c: number[];
  shape: [number, number] | null;
  count: number;
  runs: Record<string, [number, number][]>;
}
const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'skimage_polygon.json'), 'utf8')) as { skimage: string; cases: Case[] };

test('the reference values come from scikit-image 0.19', () => {
  assert.match(fixture.skimage, /^0\.19\./);
  assert.equal(fixture.cases.length, 62);
});

test('forEachPolygonPixel gives skimage.draw.polygon\'s pixels for every reference polygon', () => {
  for (const k of fixture.cases) {
    const poly = k.r.map((r, i) => [r, k.c[i]] as Point);
    const [h, w] = k.shape ?? [Infinity, Infinity];
    const mine: Record<string, [number, number][]> = {};
    let count = 0;
    forEachPolygonPixel(poly, h, w, (r, c) => {
      count++;
      const runs = (mine[String(r)] ??= []);
      const last = runs[runs.length - 1];
      if (last && last[1] === c - 1) last[1] = c;
      else runs.push([c, c]);
    });
    assert.equal(count, k.count, `${k.name}: ${count} pixels, skimage ${k.count}`);
    assert.deepEqual(mine, k.runs, k.name);
  }
});

test('pixels on an edge or a vertex are inside: an integer 30x60 rectangle covers 31x61 = 1891 pixels', () => {
  assert.equal(polygonArea([[100, 100], [100, 160], [130, 160], [130, 100]], Infinity, Infinity), 1891);
  const xs = [100, 160, 160, 100];
  const ys = [100, 100, 130, 130];
  assert.equal(pointInPolygon(xs, ys, 100, 100), VERTEX);
  assert.equal(pointInPolygon(xs, ys, 130, 100), EDGE);
  assert.equal(pointInPolygon(xs, ys, 130, 130), EDGE);
  assert.equal(pointInPolygon(xs, ys, 130, 115), INSIDE);
  assert.equal(pointInPolygon(xs, ys, 161, 115), OUTSIDE);
  // a NaN corner (ggcnn skips such rectangles when loading) draws nothing
  assert.equal(polygonArea([[NaN, 1], [2, 3], [4, 5], [6, 7]], 100, 100), 0);
});
