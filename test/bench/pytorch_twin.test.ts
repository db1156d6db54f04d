import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import { buildModel, describeModel } from '../../lib/models/registry';
import { benchModels } from '../../bench/models';
import { compareWithTorch, pythonForTorch, runTorchTwin } from '../../bench/pytorch';

/** Whether the bench's python has torch (Debian python3-torch); the twin is optional, so the test skips without it. */
function torchMissing(): string | false {
  const r = spawnSync(pythonForTorch(), ['-c', 'import torch'], { encoding: 'utf8' });
  return r.status === 0 ? false : `no PyTorch for ${pythonForTorch()} (the --vs-pytorch twin is optional)`;
}

test('the PyTorch twins have exactly the parameter count of grasplab models (GG-CNN, GG-CNN2, PSPNet R18/R34)', { skip: torchMissing() }, () => {
  const ids = ['ggcnn', 'ggcnn2', 'pspnet-r18-w0.25', 'pspnet-r34-w0.25'];
  for (const id of ids) {
    const spec = benchModels().find((s) => s.id === id)!;
    const model = buildModel({ ...spec.config, inputSize: 300 });
    const ours = describeModel(model).params;
    model.dispose();
    const twin = runTorchTwin({ model: id, threads: 1, batch: 1, size: 300, repeats: 1, warmup: 0, forward: false, train: false });
    assert.ok(!('skipped' in twin), `twin of ${id}: ${'skipped' in twin ? twin.skipped : ''}`);
    assert.equal(twin.params, ours, `${id}: PyTorch twin ${twin.params} vs grasplab ${ours} trainable parameters`);
  }
});

test('compareWithTorch: ratios are grasplab/PyTorch medians, GFLOP/s count a training step as 3 forward passes', () => {
  const s = (median: number) => ({ median, min: median, max: median, spread: 0, n: 1, samples: [median] });
  const rows = compareWithTorch(
    [{ model: 'm', threads: 0, batch: 8, flops: 1e9, params: 12, trainableParams: 10, forward1: s(20), forwardB: s(10), trainB: s(3000), trainCpuB: s(2900) }],
    [{ model: 'm', threads: 1, torch: 'x', params: 10, batch: 8, inputSize: 300, forward1: s(10), forwardB: s(5), trainB: s(1000), trainCpuB: s(1450) }],
  );
  assert.equal(rows.length, 1);
  assert.deepEqual(rows[0].ratio, { forward1: 2, forwardB: 2, trainB: 3, trainCpuB: 2 });
  assert.equal(rows[0].paramsEqual, true);
  // forward: 1 GFLOP per image in 10 ms → 100 GFLOP/s; training: 3 × 8 GFLOP in 3 s → 8 GFLOP/s
  assert.equal(rows[0].gflops.grasplab.forwardB, 100);
  assert.equal(rows[0].gflops.grasplab.trainB, 8);
  assert.equal(rows[0].gflops.pytorch.trainB, 24);
});
