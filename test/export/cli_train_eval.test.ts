import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../lib/cli';
import { SYNTHETIC_DEFAULT_SEED, writeSyntheticDataset } from '../../lib/data/synthetic';
import { PROFILES } from '../../lib/config/profiles';
import { onnxRuntimeAvailable } from '../../lib/export/onnx_runtime';
import { captureIO } from '../helpers/cli_io';
import { withEnv } from '../helpers/env';

test('CLI train (smoke profile) → eval (validation split, whole folder, thresholds, test split) → export of the best checkpoint', { timeout: 300_000 }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-cli-'));
  try {
    const data = path.join(root, 'synthetic');
    // the smoke profile's set, so the workbench finds it complete and does not regenerate it
    await writeSyntheticDataset(data, { count: PROFILES.smoke.syntheticScenes, seed: SYNTHETIC_DEFAULT_SEED });
    await withEnv({ GRASPLAB_DATASET: 'synthetic', GRASPLAB_DATA_DIR: data, GRASPLAB_RESULTS_DIR: path.join(root, 'results'), GRASPLAB_PROFILE: 'smoke' }, async () => {
      let io = captureIO();
      const code = await main(['train', '--model', 'ggcnn', '--profile', 'smoke', '--epochs', '1', '--batch-size', '1', '--run-name', 'cli-test'], io);
      assert.equal(code, 0, io.stderr.join('\n'));
      const run = JSON.parse(io.stdout.join('\n'));
      assert.equal(run.status, 'completed');
      assert.equal(run.steps, PROFILES.smoke.batchesPerEpoch);
      assert.equal(run.params, 62420, 'GG-CNN');
      assert.ok(fs.existsSync(path.join(run.bestModelDir, 'model.json')));

      io = captureIO();
      const jq = path.join(root, 'jacquard.txt');
      assert.equal(await main(['eval', '--model-dir', run.bestModelDir, '--split', 'val', '--jacquard-output', jq], io), 0, io.stderr.join('\n'));
      const summary = JSON.parse(io.stdout.join('\n'));
      assert.equal(summary.split, 'val');
      assert.ok(summary.total >= 1 && summary.total <= 4, `10% of 24 images: ${summary.total}`);
      const report = JSON.parse(fs.readFileSync(summary.out, 'utf8'));
      assert.deepEqual(
        { split: report.dataset.split, seed: report.dataset.splitSeed, fraction: report.dataset.trainFraction, kind: report.dataset.kind },
        { split: 'val', seed: 1, fraction: 0.9, kind: 'synthetic' },
      );
      assert.equal(report.perImage.length, summary.total);
      // each verdict records where its 300x300 input was cropped from the 480x640 scene
      for (const v of report.perImage) assert.ok(v.crop.height === 300 && v.crop.top >= 0 && v.crop.top <= 180 && v.crop.left >= 0 && v.crop.left <= 340, JSON.stringify(v.crop));
      assert.equal(path.dirname(summary.out), path.join(root, 'results', 'eval'), 'report written under the results folder, not into the model folder');
      assert.equal(path.basename(summary.out), 'cli-test-best-synthetic-val.json');
      assert.equal(report.correct, report.perImage.filter((v: { success: boolean }) => v.success).length);
      assert.equal(report.accuracy, report.correct / report.total);
      assert.ok(fs.existsSync(jq));

      // a folder of the user's (Cornell format, no test split beside it) is scored whole by default: every image,
      // each with its crop window
      const real = path.join(root, 'cornell');
      await writeSyntheticDataset(real, { count: 5, seed: 76 });
      fs.rmSync(path.join(real, 'manifest.json')); // a plain Cornell-format folder
      io = captureIO();
      const allOut = path.join(root, 'reports', 'nested', 'all.json'); // its folder does not exist yet: created
      assert.equal(
        await main(['eval', '--model', path.dirname(run.bestModelDir), '--data-dir', real, '--out', allOut, '--top-k', '2'], io),
        0,
        io.stderr.join('\n'),
      );
      const all = JSON.parse(io.stdout.join('\n'));
      assert.equal(all.split, 'all');
      assert.equal(all.total, 5, 'every image of the folder');
      assert.equal(all.model, run.bestModelDir, 'a run folder means its best checkpoint');
      const allReport = JSON.parse(fs.readFileSync(allOut, 'utf8'));
      assert.equal(allReport.dataset.kind, 'cornell', 'detected from its files');
      assert.deepEqual(allReport.metric, { iouThreshold: 0.25, angleThresholdDeg: 30, topK: 2 });
      for (const im of allReport.perImage) {
        assert.equal(im.crop.height, 300);
        assert.equal(im.crop.scale, 1);
        assert.ok(im.crop.top >= 0 && im.crop.top <= 480 - 300 && im.crop.left >= 0 && im.crop.left <= 640 - 300, JSON.stringify(im.crop));
        assert.ok(im.grasps.length <= 2);
        assert.equal(im.imageCenters.length, im.grasps.length);
        im.grasps.forEach((g: { center: number[] }, k: number) => {
          assert.deepEqual(im.imageCenters[k], [+(im.crop.top + g.center[0]).toFixed(2), +(im.crop.left + g.center[1]).toFixed(2)]);
        });
        assert.ok(im.groundTruth >= 1);
      }

      // the thresholds reach the metric: no IoU exceeds 1, so nothing is correct; with IoU 0 and 90° every image whose
      // grasp overlaps any rectangle is
      io = captureIO();
      assert.equal(await main(['eval', '--model', run.bestModelDir, '--data-dir', data, '--split', 'all', '--limit', '5', '--iou-threshold', '1', '--out', path.join(root, 'strict.json')], io), 0);
      const strict = JSON.parse(io.stdout.join('\n'));
      assert.deepEqual([strict.total, strict.correct], [5, 0]);
      io = captureIO();
      assert.equal(
        await main(['eval', '--model', run.bestModelDir, '--data-dir', data, '--split', 'all', '--limit', '5', '--iou-threshold', '0', '--angle-threshold', '90', '--out', path.join(root, 'lax.json')], io),
        0,
      );
      const lax = JSON.parse(fs.readFileSync(path.join(root, 'lax.json'), 'utf8'));
      const detected = lax.perImage.filter((v: { grasps: unknown[]; bestIoU: number }) => v.grasps.length > 0 && v.bestIoU > 0).length;
      assert.equal(lax.correct, detected);

      // the synthetic set has a held-out test split (generated on first use): the default; the profile's testImages
      io = captureIO();
      assert.equal(await main(['eval', '--model', run.bestModelDir], io), 0, io.stderr.join('\n'));
      const synthTest = JSON.parse(io.stdout.join('\n'));
      assert.deepEqual([synthTest.split, synthTest.total, synthTest.dataDir], ['test', PROFILES.smoke.testImages, path.resolve(data + '-test')]);

      // a format detected from the folder: the synthetic manifest
      io = captureIO();
      assert.equal(await main(['eval', '--model', run.bestModelDir, '--data-dir', data, '--split', 'all', '--limit', '1', '--out', path.join(root, 'one.json')], io), 0);
      assert.equal(JSON.parse(fs.readFileSync(path.join(root, 'one.json'), 'utf8')).dataset.kind, 'synthetic');

      // --split test: a clear error where a (real) dataset has none; the default once it has one (<dir>-test)
      io = captureIO();
      assert.equal(await main(['eval', '--model', run.bestModelDir, '--data-dir', real, '--split', 'test'], io), 1);
      assert.match(io.stderr.join('\n'), /has no test split .*-test.*--split all/);
      await writeSyntheticDataset(real + '-test', { count: 2, seed: 77 });
      io = captureIO();
      assert.equal(await main(['eval', '--model', run.bestModelDir, '--data-dir', real], io), 0, io.stderr.join('\n'));
      const test = JSON.parse(io.stdout.join('\n'));
      assert.deepEqual([test.dataset, test.split, test.total, test.dataDir], ['cornell', 'test', 2, path.resolve(real + '-test')]);

      io = captureIO();
      const out = path.join(root, 'export-uint8');
      assert.equal(await main(['export', '--model-dir', run.bestModelDir, '--out', out, '--format', 'uint8'], io), 0, io.stderr.join('\n'));
      assert.ok(fs.existsSync(path.join(out, 'group1-shard1of1.bin')));

      // the ONNX export of the same checkpoint, scored by `eval` itself: the same verdicts as the checkpoint's
      io = captureIO();
      const onnxFile = path.join(root, 'export-onnx', 'ggcnn.onnx');
      assert.equal(await main(['export', '--model-dir', run.bestModelDir, '--out', onnxFile, '--format', 'onnx'], io), 0, io.stderr.join('\n'));
      assert.deepEqual(JSON.parse(io.stdout.join('\n')).outputs, [{ name: 'maps', shape: ['batch', 300, 300, 4] }]);
      assert.ok(fs.statSync(onnxFile).size > 4 * 62420);
      if (onnxRuntimeAvailable().ok) {
        io = captureIO();
        assert.equal(await main(['eval', '--model-dir', onnxFile, '--split', 'val', '--out', path.join(root, 'eval-onnx.json')], io), 0, io.stderr.join('\n'));
        const viaOnnx = JSON.parse(fs.readFileSync(path.join(root, 'eval-onnx.json'), 'utf8'));
        assert.match(viaOnnx.engine, /^onnxruntime-node/);
        assert.deepEqual(viaOnnx.perImage.map((v: { success: boolean }) => v.success), report.perImage.map((v: { success: boolean }) => v.success));
      }

      // failures name the file; usage errors exit 2
      io = captureIO();
      assert.equal(await main(['eval', '--model', path.join(root, 'weights.npz')], io), 1);
      assert.match(io.stderr.join('\n'), /weights\.npz: PyTorch weights .*grasplab import --from/);
      io = captureIO();
      assert.equal(await main(['eval', '--model', run.bestModelDir, '--out', root], io), 1);
      assert.match(io.stderr.join('\n'), /--out .* is a folder; give a file name/);
      io = captureIO();
      assert.equal(await main(['train', '--model', 'ggcnn', '--depth', '18'], io), 2);
      assert.match(io.stderr.join('\n'), /--depth only applies to --model pspnet/);
      io = captureIO();
      assert.equal(await main(['train', '--model', 'resnet'], io), 2);
      assert.match(io.stderr.join('\n'), /--model: expected one of ggcnn, ggcnn2, pspnet, got 'resnet'/);
    });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("CLI train --head-bias prior: the run's model starts its heads at the targets' background (cos 1); the default at 0", { timeout: 300_000 }, async () => {
  const { loadModelFromDir } = await import('../../lib/export/save');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-cli-bias-'));
  try {
    const data = path.join(root, 'synthetic');
    await writeSyntheticDataset(data, { count: PROFILES.smoke.syntheticScenes, seed: SYNTHETIC_DEFAULT_SEED });
    await withEnv({ GRASPLAB_DATASET: 'synthetic', GRASPLAB_DATA_DIR: data, GRASPLAB_RESULTS_DIR: path.join(root, 'results'), GRASPLAB_PROFILE: 'smoke' }, async () => {
      const cosBias: Record<string, number> = {};
      for (const bias of ['zeros', 'prior']) {
        const io = captureIO();
        const code = await main(['train', '--model', 'ggcnn', '--profile', 'smoke', '--epochs', '1', '--batch-size', '1', '--head-bias', bias], io);
        assert.equal(code, 0, io.stderr.join('\n'));
        const run = JSON.parse(io.stdout.join('\n'));
        assert.equal(path.basename(path.dirname(run.bestModelDir)).includes('-prior-'), bias === 'prior', 'the default run name tells the two apart');
        const model = await loadModelFromDir(run.bestModelDir);
        cosBias[bias] = model.getLayer('maps').getWeights()[1].dataSync()[1];
        model.dispose();
      }
      // two Adam steps at lr 1e-3 move a bias by at most ~0.002
      assert.ok(Math.abs(cosBias.prior - 1) < 0.01, `prior: ${cosBias.prior}`);
      assert.ok(Math.abs(cosBias.zeros) < 0.01, `zeros: ${cosBias.zeros}`);
    });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
