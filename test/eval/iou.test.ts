import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rectAngle, rectFromGrasp as graspCorners } from '../../lib/data/grasp_rect';
import { angleDifference, graspMatches, graspMaxIoU, pyMod, rasterizePolygon, rectIoU } from '../../lib/eval/iou';
import type { Grasp, GraspRectPoints } from '../../lib/types';

const DEG = Math.PI / 180;
const grasp = (angleDeg: number, center: [number, number] = [150, 150]): Grasp => ({
  center,
  angle: angleDeg * DEG,
  length: 60,
  width: 30,
});

test('an axis-aligned rectangle on integer corners covers its edges too (skimage 0.19): 31 x 61 pixels', () => {
  const r: GraspRectPoints = [[100, 100], [100, 160], [130, 160], [130, 100]];
  assert.equal(rasterizePolygon(r).count, 31 * 61);
  // negative pixels are dropped, the far side is not clipped
  assert.equal(rasterizePolygon(r.map(([y, x]) => [y - 110, x]) as GraspRectPoints).count, 21 * 61);
});

test('a rotated rectangle rasterises to about its area', () => {
  for (const a of [10, 33, 45, 77]) {
    const count = rasterizePolygon(graspCorners(grasp(a))).count;
    assert.ok(Math.abs(count - 60 * 30) / 1800 < 0.04, `angle ${a}°: ${count} px`);
  }
});

test('identical rectangles: IoU 1 and a match', () => {
  const g = grasp(20);
  const r = graspCorners(g);
  assert.equal(rectIoU(r, r), 1);
  assert.equal(graspMatches(g, [r]), true);
});

test('rectangle shifted by half its length: IoU 961 / (2·1891 − 961) (31×31 overlap), about 1/3', () => {
  const a: GraspRectPoints = [[100, 100], [100, 160], [130, 160], [130, 100]];
  const b = a.map(([r, c]) => [r, c + 30]) as GraspRectPoints;
  assert.equal(rectIoU(a, b), 961 / (2 * 1891 - 961));
  // The same for a rotated rectangle, shifted along its own axis, within rasterisation tolerance.
  const g = grasp(35);
  // Grasp axis in [row, col] is (−sin θ, cos θ); move the centre 30 px (half the length) along it.
  const moved: [number, number] = [g.center[0] - 30 * Math.sin(g.angle), g.center[1] + 30 * Math.cos(g.angle)];
  const iou = rectIoU(graspCorners(g), graspCorners({ ...g, center: moved }));
  assert.ok(Math.abs(iou - 1 / 3) < 0.03, `${iou}`);
});

test('disjoint rectangles: IoU 0 and no match', () => {
  const g = grasp(0);
  const far = graspCorners(grasp(0, [150, 250]));
  assert.equal(rectIoU(graspCorners(g), far), 0);
  assert.equal(graspMatches(g, [far]), false);
});

test('angle tolerance: 29° off matches, 31° off does not (same centre and size)', () => {
  const gt = graspCorners(grasp(10));
  const ok = grasp(39);
  const bad = grasp(41);
  // The overlap alone would pass: it is the angle that decides.
  assert.ok(rectIoU(graspCorners(bad), gt) > 0.25);
  assert.equal(graspMatches(ok, [gt]), true);
  assert.equal(graspMatches(bad, [gt]), false);
  assert.equal(graspMaxIoU(bad, [gt]), 0);
  // ...and the other way round
  assert.equal(graspMatches(grasp(-19), [gt]), true);
  assert.equal(graspMatches(grasp(-21), [gt]), false);
});

test('angle wrap-around at ±90°: 89° vs −89° is a 2° difference and matches', () => {
  assert.ok(Math.abs(angleDifference(89 * DEG, -89 * DEG) - 2 * DEG) < 1e-9);
  assert.ok(Math.abs(angleDifference(-89 * DEG, 89 * DEG) - 2 * DEG) < 1e-9);
  const gt = graspCorners(grasp(-89));
  assert.equal(graspMatches(grasp(89), [gt]), true);
  assert.ok(graspMaxIoU(grasp(89), [gt]) > 0.8);
});

test('angleDifference is symmetric, π-periodic and within [0, π/2]', () => {
  for (const [a, b] of [[0.1, 2.9], [-1.5, 1.4], [3, -3], [0.7, 0.7 + Math.PI], [-2.2, 5.1]]) {
    const d = angleDifference(a, b);
    assert.ok(d >= 0 && d <= Math.PI / 2 + 1e-12, `${a},${b}: ${d}`);
    assert.ok(Math.abs(d - angleDifference(b, a)) < 1e-12);
    assert.ok(Math.abs(d - angleDifference(a + Math.PI, b)) < 1e-9);
  }
});

test('pyMod follows Python for negative numbers', () => {
  assert.equal(pyMod(-1, 3), 2);
  assert.equal(pyMod(4, 3), 1);
  assert.ok(Math.abs(pyMod(-0.5, Math.PI) - (Math.PI - 0.5)) < 1e-15);
});

test('corners follow GG-CNN Grasp.as_gr: angle recovered from p0→p1, length |p0p1|, width |p1p2|', () => {
  for (const a of [-89, -45, 0, 30, 60, 89.5]) {
    const r = graspCorners({ center: [100, 120], angle: a * DEG, length: 50, width: 20 });
    assert.ok(Math.abs(rectAngle(r) - a * DEG) < 1e-9, `angle ${a}`);
    assert.ok(Math.abs(Math.hypot(r[1][0] - r[0][0], r[1][1] - r[0][1]) - 50) < 1e-9);
    assert.ok(Math.abs(Math.hypot(r[2][0] - r[1][0], r[2][1] - r[1][1]) - 20) < 1e-9);
  }
  // Angle 0 lies along the column axis; a CCW angle moves p1 (the +x end) up, i.e. to a smaller row.
  const r0 = graspCorners({ center: [100, 100], angle: 0, length: 40, width: 10 });
  assert.deepEqual(r0.map(([y, x]) => [y, x]), [[95, 80], [95, 120], [105, 120], [105, 80]]);
  const r30 = graspCorners({ center: [100, 100], angle: 30 * DEG, length: 40, width: 0 });
  assert.ok(r30[1][0] < 100 && r30[1][1] > 100);
  // rectAngle is in [-π/2, π/2)
  assert.ok(Math.abs(rectAngle(graspCorners({ center: [0, 0], angle: Math.PI / 2, length: 10, width: 4 })) + Math.PI / 2) < 1e-9);
});

test('best of several ground truths counts; an empty ground-truth list never matches', () => {
  const g = grasp(0);
  const gts = [graspCorners(grasp(80)), graspCorners(grasp(0, [150, 300])), graspCorners(grasp(5, [152, 150]))];
  assert.equal(graspMatches(g, gts), true);
  assert.equal(graspMatches(g, gts.slice(0, 2)), false);
  assert.equal(graspMatches(g, []), false);
  assert.equal(graspMatches(g, [graspCorners(grasp(5, [152, 150]))], { iouThreshold: 0.999 }), false);
});
