import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { drawTargets } from '../../lib/data/targets';
import { rectFromGrasp } from '../../lib/data/grasp_rect';

const S = 100;
const at = (img: { data: Float32Array }, r: number, c: number) => img.data[r * S + c];
const count = (img: { data: Float32Array }) => img.data.reduce((n, v) => n + (v !== 0 ? 1 : 0), 0);

test('a horizontal rectangle fills its centre third: pos 1, cos 1, sin 0, width opening/150', () => {
  // centre (50,60), opening 60 along the columns, plate 20: the centre third's corners are (40,50) and (60,70), and
  // skimage 0.19 counts pixels on its edges: rows 40..60, cols 50..70
  const m = drawTargets([rectFromGrasp({ center: [50, 60], angle: 0, length: 60, width: 20 })], S);
  assert.equal(count(m.pos), 21 * 21);
  assert.equal(at(m.pos, 40, 50), 1);
  assert.equal(at(m.pos, 60, 70), 1);
  assert.equal(at(m.pos, 61, 60), 0);
  assert.equal(at(m.pos, 50, 71), 0);
  assert.equal(at(m.pos, 50, 45), 0); // inside the full rectangle but outside the centre third
  assert.equal(at(m.cos, 50, 60), 1);
  assert.equal(at(m.sin, 50, 60), 0);
  assert.ok(Math.abs(at(m.width, 50, 60) - 60 / 150) < 1e-6);
  // ggcnn's cos target is cos(2·0) = 1 wherever no rectangle sets an angle (its angle map starts at 0)
  assert.equal(at(m.cos, 0, 0), 1);
  assert.equal(count(m.width), 21 * 21);
});

test('angle is encoded as cos 2θ, sin 2θ; width clipped at 150 px; later rectangles overwrite', () => {
  const diag = rectFromGrasp({ center: [50, 50], angle: Math.PI / 4, length: 300, width: 20 });
  const vert = rectFromGrasp({ center: [50, 50], angle: -Math.PI / 2, length: 30, width: 10 });
  const m = drawTargets([diag, vert], S);
  // the vertical one, drawn last, owns the centre
  assert.ok(Math.abs(at(m.cos, 50, 50) - Math.cos(-Math.PI)) < 1e-6);
  assert.ok(Math.abs(at(m.sin, 50, 50)) < 1e-6);
  assert.ok(Math.abs(at(m.width, 50, 50) - 30 / 150) < 1e-6);
  // elsewhere on the diagonal one: cos 2θ = 0, sin 2θ = 1, width clipped to 1
  const r = 50 - 30;
  const c = 50 + 30; // 30 px along +45° (up-right)
  assert.equal(at(m.pos, r, c), 1);
  assert.ok(Math.abs(at(m.cos, r, c)) < 1e-6);
  assert.ok(Math.abs(at(m.sin, r, c) - 1) < 1e-6);
  assert.equal(at(m.width, r, c), 1);
});

test('rectangles partly outside the image are clipped; non-finite ones are ignored', () => {
  const m = drawTargets(
    [
      rectFromGrasp({ center: [0, 0], angle: 0, length: 60, width: 20 }),
      [
        [NaN, 1],
        [2, 3],
        [4, 5],
        [6, 7],
      ],
    ],
    S,
  );
  assert.equal(count(m.pos), 11 * 11); // corners (−10,−10)…(10,10): rows 0..10, cols 0..10 (edges count)
  assert.equal(drawTargets([], S).pos.data.length, S * S);
});
