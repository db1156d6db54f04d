import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Point } from '../../lib/types';
import {
  compactRect,
  graspFromRect,
  rectAngle,
  rectCenter,
  rectFromGrasp,
  rectLength,
  rectsCenter,
  rectWidth,
  rotateRect,
  scaleRect,
  translateRect,
  wrapAngle,
} from '../../lib/data/grasp_rect';
import { Rng } from '../../lib/data/random';

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('angle convention: p0→p1 along +col is 0, towards smaller rows (up) is +π/2 side', () => {
  close(rectAngle([[10, 10], [10, 20], [15, 20], [15, 10]]), 0);
  // p1 up and to the right of p0 (row decreases): positive angle (counter-clockwise as displayed)
  close(rectAngle([[10, 10], [0, 20], [5, 25], [15, 15]]), Math.PI / 4);
  close(rectAngle([[10, 10], [20, 20], [15, 25], [5, 15]]), -Math.PI / 4);
  // a grasp and its reverse are the same grasp
  close(rectAngle([[10, 20], [10, 10], [15, 10], [15, 20]]), 0);
  close(wrapAngle(Math.PI / 2), -Math.PI / 2);
  close(wrapAngle(-Math.PI / 2), -Math.PI / 2);
});

test('rectFromGrasp and graspFromRect are inverse (length = |p0p1|, width = |p1p2|)', () => {
  const rng = new Rng(3);
  for (let i = 0; i < 50; i++) {
    const g = { center: [rng.uniform(0, 300), rng.uniform(0, 300)] as Point, angle: rng.uniform(-Math.PI / 2, Math.PI / 2), length: rng.uniform(5, 120), width: rng.uniform(5, 60) };
    const r = rectFromGrasp(g);
    const back = graspFromRect(r);
    close(back.center[0], g.center[0], 1e-9);
    close(back.center[1], g.center[1], 1e-9);
    close(back.angle, g.angle, 1e-9);
    close(back.length, g.length, 1e-9);
    close(back.width, g.width, 1e-9);
    close(rectLength(r), g.length, 1e-9);
    close(rectWidth(r), g.width, 1e-9);
  }
});

test('compactRect keeps centre, angle and width and takes a third of the length', () => {
  const r = rectFromGrasp({ center: [40, 50], angle: 0.3, length: 90, width: 30 });
  const c = graspFromRect(compactRect(r));
  close(c.length, 30, 1e-9);
  close(c.width, 30, 1e-9);
  close(c.angle, 0.3, 1e-9);
  assert.deepEqual(rectCenter(compactRect(r)).map((x) => +x.toFixed(9)), [40, 50]);
});

test('rotating a rectangle adds the rotation to its angle (counter-clockwise)', () => {
  const r = rectFromGrasp({ center: [100, 120], angle: 0.2, length: 60, width: 20 });
  const rot = rotateRect(r, 0.5, [80, 90]);
  close(rectAngle(rot), 0.7, 1e-9);
  close(rectLength(rot), 60, 1e-9);
  // a quarter turn about a point moves a point to its right to above it
  const q = rotateRect([[0, 10], [0, 10], [0, 10], [0, 10]], Math.PI / 2, [0, 0]);
  close(q[0][0], -10, 1e-9);
  close(q[0][1], 0, 1e-9);
  assert.deepEqual(translateRect(r, 1, 2)[0], [r[0][0] + 1, r[0][1] + 2]);
  assert.deepEqual(scaleRect(r, 2)[1], [r[1][0] * 2, r[1][1] * 2]);
  assert.equal(rectsCenter([]), undefined);
});
