import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { rectFromGrasp } from '../../lib/data/grasp_rect';
import { diagnoseFailures, diagnoseVerdict } from '../../lib/eval/failure_modes';
import { graspMaxIoU } from '../../lib/eval/iou';
import type { ImageVerdict } from '../../lib/eval/metric';
import { ShapeError } from '../../lib/errors';
import type { Grasp, GraspRectPoints, Sample } from '../../lib/types';

const deg = Math.PI / 180;
/** A labelled rectangle: centre (row, col), angle in degrees, opening 40 px, plate 20 px. */
const label = (r: number, c: number, a: number): GraspRectPoints => rectFromGrasp({ center: [r, c], angle: a * deg, length: 40, width: 20 });
/** The verdict the metric gives `grasp` against `labels` (success: IoU > 0.25 with an angle-compatible label). */
function verdict(id: string, grasp: Grasp | undefined, labels: GraspRectPoints[]): ImageVerdict {
  const iou = grasp ? graspMaxIoU(grasp, labels) : 0;
  return { id, success: iou > 0.25, grasps: grasp ? [grasp] : [], bestIoU: iou };
}
const grasp = (r: number, c: number, a: number, length = 40): Grasp => ({ center: [r, c], angle: a * deg, length, width: length / 2 });

test('diagnoseVerdict: success, no grasp, wrong place, wrong angle, right place and angle but wrong size', () => {
  const labels = [label(100, 100, 0), label(100, 130, 0)];
  assert.deepEqual(diagnoseVerdict(verdict('ok', grasp(101, 101, 5), labels), labels), { id: 'ok', success: true });
  assert.equal(diagnoseVerdict(verdict('none', undefined, labels), labels).mode, 'no-grasp');
  const far = diagnoseVerdict(verdict('far', grasp(200, 100, 0), labels), labels);
  assert.equal(far.mode, 'position');
  assert.ok(Math.abs(far.centreDistance! - 100) < 1e-9);
  const turned = diagnoseVerdict(verdict('turned', grasp(100, 100, 60), labels), labels);
  assert.equal(turned.mode, 'angle');
  assert.ok(Math.abs(turned.angleError! - 60) < 1e-6, `angle error ${turned.angleError}`);
  // same place and angle, a 6 px opening: IoU ≤ 0.25 with both labels
  const tiny = verdict('tiny', grasp(100, 100, 0, 6), labels);
  assert.equal(tiny.success, false);
  const d = diagnoseVerdict(tiny, labels);
  assert.equal(d.mode, 'size');
  assert.ok(d.angleError! < 1e-6);
});

test('diagnoseVerdict: angles wrap modulo 180°, any nearby label with a matching angle clears the angle, nearPx is a parameter', () => {
  const tilted = [label(100, 100, 89)];
  // −89° and 89° are 2° apart: a size failure (tiny opening), not an angle one
  assert.equal(diagnoseVerdict(verdict('wrap', grasp(100, 100, -89, 6), tilted), tilted).mode, 'size');
  // two labels at the same place, across and along: a grasp along one of them is not an angle failure
  const both = [label(100, 100, 0), label(100, 100, 90)];
  const along = diagnoseVerdict(verdict('along', grasp(100, 100, 88, 6), both), both);
  assert.equal(along.mode, 'size');
  assert.ok(along.angleError! < 2.0001);
  // a label 30 px away is "near" with nearPx 40, not with the default 20
  const aside = [label(100, 130, 0)];
  const v = verdict('aside', grasp(100, 100, 70), aside);
  assert.equal(diagnoseVerdict(v, aside).mode, 'position');
  assert.equal(diagnoseVerdict(v, aside, { nearPx: 40 }).mode, 'angle');
});

test('diagnoseFailures: counts per mode over a set, verdicts matched to samples by id', () => {
  const img = { height: 300, width: 300, data: new Float32Array(300 * 300) };
  const samples: Sample[] = ['a', 'b', 'c', 'd'].map((id) => ({ id, depth: img, grasps: [label(150, 150, 0)] }));
  const l = samples[0].grasps;
  const verdicts = [verdict('d', grasp(150, 150, 45), l), verdict('a', grasp(150, 151, 0), l), verdict('c', undefined, l), verdict('b', grasp(150, 150, 80), l)];
  const r = diagnoseFailures(samples, verdicts);
  assert.equal(r.images, 4);
  assert.equal(r.successes, 1);
  assert.deepEqual(r.counts, { 'no-grasp': 1, position: 0, angle: 2, size: 0 });
  assert.deepEqual(r.perImage.map((p) => p.id), ['d', 'a', 'c', 'b']);
  assert.throws(() => diagnoseFailures(samples.slice(1), verdicts), (e: Error) => e instanceof ShapeError && /"a"/.test(e.message));
});
