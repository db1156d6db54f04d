import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatJacquardGrasp, jacquardImageName, jacquardOutputLines, pyFixed2 } from '../../lib/eval/jacquard_output';
import type { Grasp } from '../../lib/types';

test("a grasp line is 'x;y;−θ°;length·s;width·s' with s = 1024/outputSize", () => {
  const g: Grasp = { center: [150, 75], angle: Math.PI / 6, length: 60, width: 30 };
  // x = 75·1024/300 = 256, y = 512, θ = −30°, 60·1024/300 = 204.8, 102.4
  assert.equal(formatJacquardGrasp(g), '256.00;512.00;-30.00;204.80;102.40');
  assert.equal(formatJacquardGrasp(g, 1024), '75.00;150.00;-30.00;60.00;30.00');
  // x is the column, y the row
  const [x, y] = formatJacquardGrasp({ ...g, center: [10, 200] }, 1024).split(';');
  assert.deepEqual([x, y], ['200.00', '10.00']);
});

test("numbers print like Python's '%0.2f' (ties to even, negative zero)", () => {
  assert.equal(pyFixed2(0.125), '0.12');
  assert.equal(pyFixed2(0.375), '0.38');
  assert.equal(pyFixed2(-0.125), '-0.12');
  assert.equal(pyFixed2(2.5), '2.50');
  assert.equal(pyFixed2(1.005), '1.00'); // 1.005 is stored as 1.00499999…
  assert.equal(pyFixed2(-0), '-0.00');
  assert.equal(pyFixed2(-0.001), '-0.00');
  assert.equal(pyFixed2(123.456), '123.46');
  // ggcnn writes −1·angle·180/π, so a grasp at angle 0 prints as -0.00
  assert.equal(formatJacquardGrasp({ center: [0, 0], angle: 0, length: 0, width: 0 }).split(';')[2], '-0.00');
});

test('image names follow ggcnn get_jname', () => {
  assert.equal(jacquardImageName('/data/jacquard/1a9f/0_1a9f_grasps.txt'), '0_1a9f');
  assert.equal(jacquardImageName('1a9f/3_1a9f_perfect_depth.tiff'), '3_1a9f');
  assert.equal(jacquardImageName('0_1a9f'), '0_1a9f');
  assert.equal(jacquardImageName('1a9f/0_1a9f'), '0_1a9f');
});

test('output lines: the image name, then each grasp (1 per image by default)', () => {
  const g1: Grasp = { center: [30, 60], angle: 0.5, length: 40, width: 20 };
  const g2: Grasp = { center: [90, 10], angle: -0.2, length: 30, width: 15 };
  const images = [{ id: 'x/1_x_grasps.txt', grasps: [g1, g2] }, { id: '2_y', grasps: [] }, { id: '3_z', grasps: [g2] }];
  assert.deepEqual(jacquardOutputLines(images), ['1_x', formatJacquardGrasp(g1), '3_z', formatJacquardGrasp(g2)]);
  assert.equal(jacquardOutputLines(images, { maxGrasps: 2 }).length, 6);
});
