import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main, type CliIO } from '../../lib/cli';
import { SYNTHETIC_DEFAULT_SEED, writeSyntheticDataset } from '../../lib/data/synthetic';
import { PROFILES } from '../../lib/config/profiles';
import { onnxRuntimeAvailable } from '../../lib/export/onnx_runtime';

function capture(): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (s) => stdout.push(s), err: (s) => stderr.push(s) };
}

/** Runs `fn` with some environment variables set, restoring them afterwards. */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

test('CLI train (smoke profile) → eval on the validation split (+ Jacquard output) → export of the best checkpoint', { timeout: 120_000 }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-cli-'));
  try {
    const data = path.join(root, 'synthetic');
    // the smoke profile's set, so the workbench finds it complete and does not regenerate it
    await writeSyntheticDataset(data, { count: PROFILES.smoke.syntheticScenes, seed: SYNTHETIC_DEFAULT_SEED });
    await withEnv({ GRASPLAB_DATASET: 'synthetic', GRASPLAB_DATA_DIR: data, GRASPLAB_RESULTS_DIR: path.join(root, 'results') }, async () => {
      let io = capture();
      const code = await main(['train', '--model', 'ggcnn', '--profile', 'smoke', '--epochs', '1', '--batch-size', '1', '--run-name', 'cli-test'], io);
      assert.equal(code, 0, io.stderr.join('\n'));
      const run = JSON.parse(io.stdout.join('\n'));
      assert.equal(run.status, 'completed');
      assert.equal(run.steps, PROFILES.smoke.batchesPerEpoch);
      assert.equal(run.params, 62420, 'GG-CNN');
      assert.ok(fs.existsSync(path.join(run.bestModelDir, 'model.json')));

      io = capture();
      const jq = path.join(root, 'jacquard.txt');
      assert.equal(await main(['eval', '--model-dir', run.bestModelDir, '--jacquard-output', jq], io), 0, io.stderr.join('\n'));
      const summary = JSON.parse(io.stdout.join('\n'));
      assert.ok(summary.total >= 1 && summary.total <= 4, `10% of 24 images: ${summary.total}`);
      const report = JSON.parse(fs.readFileSync(summary.out, 'utf8'));
      assert.deepEqual(report.split, { mode: 'image', trainFraction: 0.9, seed: 1 });
      assert.equal(report.perImage.length, summary.total);
      // each verdict records where its 300x300 input was cropped from the 480x640 scene
      for (const v of report.perImage) assert.ok(v.crop.height === 300 && v.crop.top >= 0 && v.crop.top <= 180 && v.crop.left >= 0 && v.crop.left <= 340, JSON.stringify(v.crop));
      assert.equal(path.dirname(summary.out), path.dirname(run.bestModelDir), 'report written beside the checkpoint');
      assert.equal(report.correct, report.perImage.filter((v: { success: boolean }) => v.success).length);
      assert.equal(report.accuracy, report.correct / report.total);
      assert.ok(fs.existsSync(jq));

      io = capture();
      const out = path.join(root, 'export-uint8');
      assert.equal(await main(['export', '--model-dir', run.bestModelDir, '--out', out, '--format', 'uint8'], io), 0, io.stderr.join('\n'));
      assert.ok(fs.existsSync(path.join(out, 'group1-shard1of1.bin')));

      // the ONNX export of the same checkpoint, scored by `eval` itself: the same verdicts as the checkpoint's
      io = capture();
      const onnxFile = path.join(root, 'export-onnx', 'ggcnn.onnx');
      assert.equal(await main(['export', '--model-dir', run.bestModelDir, '--out', onnxFile, '--format', 'onnx'], io), 0, io.stderr.join('\n'));
      assert.deepEqual(JSON.parse(io.stdout.join('\n')).outputs, [{ name: 'maps', shape: ['batch', 300, 300, 4] }]);
      assert.ok(fs.statSync(onnxFile).size > 4 * 62420);
      if (onnxRuntimeAvailable().ok) {
        io = capture();
        assert.equal(await main(['eval', '--model-dir', onnxFile, '--out', path.join(root, 'eval-onnx.json')], io), 0, io.stderr.join('\n'));
        const viaOnnx = JSON.parse(fs.readFileSync(path.join(root, 'eval-onnx.json'), 'utf8'));
        assert.match(viaOnnx.engine, /^onnxruntime-node/);
        assert.deepEqual(viaOnnx.perImage.map((v: { success: boolean }) => v.success), report.perImage.map((v: { success: boolean }) => v.success));
      }

      io = capture();
      assert.equal(await main(['train', '--model', 'ggcnn', '--depth', '18'], io), 1);
      assert.match(io.stderr.join('\n'), /only apply to --model pspnet/);
      io = capture();
      assert.equal(await main(['train', '--model', 'resnet'], io), 1);
      assert.match(io.stderr.join('\n'), /--model resnet: use one of ggcnn, ggcnn2, pspnet/);
    });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
