import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { selectBackend } from '../../lib/backend/setup';
import { buildModel, loadTorchWeightsFile } from '../../lib/models/registry';
import { NO_REAL_DATA_MESSAGE, realCornellDir, realEvaluation, subsetAccuracy } from '../../lib/eval/real';
import { SHARED_DIR, sharedPath, skipUnlessShared } from '../helpers/shared';

test('the real Cornell folder: GRASPLAB_REAL_DIR first, else ../shared/realdata/cornell, else none (with a message)', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-real-'));
  try {
    assert.deepEqual(realCornellDir({ GRASPLAB_REAL_DIR: tmp }), { dir: tmp, source: 'env' });
    const noShared = { GRASPLAB_SHARED_DIR: path.join(tmp, 'absent') };
    assert.equal(realCornellDir(noShared), undefined);
    const logs: string[] = [];
    assert.equal(await realEvaluation([], { env: noShared, log: (m) => logs.push(m) }), undefined);
    assert.deepEqual(logs, [NO_REAL_DATA_MESSAGE]);
    if (sharedPath('realdata', 'cornell')) assert.deepEqual(realCornellDir({ GRASPLAB_SHARED_DIR: SHARED_DIR }), { dir: path.join(SHARED_DIR, 'realdata', 'cornell'), source: 'shared' });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

const skip = skipUnlessShared('realdata', 'cornell') || skipUnlessShared('weights', 'ggcnn_cornell_epoch23.npz') || skipUnlessShared('reference', 'ggcnn_torch_verdicts.json');

test('realEvaluation scores every real image like the original ggcnn code (published weights: the reference verdicts)', { skip }, async () => {
  await selectBackend({ quiet: true });
  const model = buildModel({ name: 'ggcnn' });
  try {
    loadTorchWeightsFile(model, sharedPath('weights', 'ggcnn_cornell_epoch23.npz')!);
    const res = await realEvaluation([{ label: 'published', model }], { env: { GRASPLAB_SHARED_DIR: SHARED_DIR }, log: () => {} });
    assert.ok(res);
    const ref = JSON.parse(fs.readFileSync(sharedPath('reference', 'ggcnn_torch_verdicts.json')!, 'utf8')).ggcnn.cornell as { name: string; success: boolean }[];
    const score = res.scores[0];
    assert.equal(score.total, ref.length, 'every real image is scored');
    for (const r of ref) {
      const v = score.perImage.find((p) => p.id.endsWith(r.name));
      assert.ok(v, `${r.name} scored`);
      assert.equal(v.success, r.success, `${r.name}: same verdict as PyTorch ggcnn`);
    }
    const { model: label, 'real images': n, correct, 'real accuracy %': pct, ...causes } = res.rows[0];
    assert.deepEqual({ label, n, correct, pct }, { label: 'published', n: ref.length, correct: ref.filter((r) => r.success).length, pct: (100 * ref.filter((r) => r.success).length) / ref.length });
    // every failed image has exactly one cause; "no grasp" where PyTorch ggcnn found no quality peak either
    assert.equal(Object.values(causes).reduce((a, b) => a + b, 0), ref.length - correct);
    const refNone = (ref as { grasp?: unknown }[]).filter((r) => r.grasp === null).length;
    assert.ok(refNone >= 1, 'the reference has images without a grasp');
    assert.equal(causes['no grasp'], refNone);
    const dev = subsetAccuracy(score, (id) => Number(/pcd(\d+)/.exec(id)![1]) <= 109);
    const rest = subsetAccuracy(score, (id) => Number(/pcd(\d+)/.exec(id)![1]) > 109);
    assert.equal(dev.total + rest.total, score.total);
    assert.equal(dev.correct + rest.correct, score.correct);
  } finally {
    model.dispose();
  }
});
