import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DataFormatError } from '../../lib/errors';
import type { EvaluationResult } from '../../lib/eval/metric';
import { decodeVerdicts, encodeVerdicts, readTestScore, scoreTestSplit, TEST_JSON } from '../../lib/eval/test_record';
import type { Sample } from '../../lib/types';

const sample = (id: string): Sample => ({ id, depth: { height: 1, width: 1, data: new Float32Array(1) }, grasps: [] });

test('a run is scored on the test split once per checkpoint and split; the verdicts survive the file round trip', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-testrec-'));
  try {
    const samples = ['t00/pcd0000', 't00/pcd0001', 't00/pcd0002'].map(sample);
    let calls = 0;
    const score = async (s: readonly Sample[]): Promise<EvaluationResult> => {
      calls++;
      const perImage = s.map((x, i) => ({ id: x.id, success: i !== 1, grasps: [], bestIoU: 0 }));
      return { accuracy: 2 / 3, correct: 2, total: 3, perImage };
    };
    const opts = { best: { epoch: 2, step: 20, accuracy: 0.5 }, samples, fingerprint: { split: 'x', images: 3 }, score };
    const a = await scoreTestSplit(dir, opts);
    assert.deepEqual(a.success, [true, false, true]);
    assert.equal(a.correct, 2);
    assert.ok(a.ci95[0] < 2 / 3 && 2 / 3 < a.ci95[1]);
    assert.deepEqual(a.checkpoint, { epoch: 2, step: 20, valAccuracy: 0.5 });
    const b = await scoreTestSplit(dir, opts);
    assert.equal(calls, 1, 'same checkpoint and split: read from test.json');
    assert.deepEqual(b, a);
    await scoreTestSplit(dir, { ...opts, best: { epoch: 3, step: 30, accuracy: 0.6 } });
    assert.equal(calls, 2, 'another checkpoint is scored again');
    await scoreTestSplit(dir, { ...opts, fingerprint: { split: 'x', images: 3, generatorVersion: 2 } });
    assert.equal(calls, 3, 'another split is scored again');
    assert.equal(readTestScore(path.join(dir, TEST_JSON))!.score.total, 3);
    fs.writeFileSync(path.join(dir, TEST_JSON), '{"version":1,"ids":["a"],"success":"01"}');
    assert.throws(() => readTestScore(path.join(dir, TEST_JSON)), DataFormatError);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('verdict strings', () => {
  assert.equal(encodeVerdicts([true, false, false, true]), '1001');
  assert.deepEqual(decodeVerdicts('1001', 'x'), [true, false, false, true]);
  assert.throws(() => decodeVerdicts('10a1', 'x'), DataFormatError);
});
