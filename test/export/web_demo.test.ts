import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../lib/backend/setup';
import { exportModel, readModelJson } from '../../lib/export/save';
import { buildWebDemo } from '../../lib/export/web_demo';

test('buildWebDemo builds the page with an exported model as its example', { timeout: 120_000 }, async () => {
  await selectBackend({ quiet: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-webdemo-'));
  const input = tf.input({ shape: [300, 300, 1] });
  const out = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(input) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  const modelDir = path.join(tmp, 'export', 'uint8');
  await exportModel(model, modelDir, { format: 'uint8' });
  model.dispose();

  const site = path.join(tmp, 'web');
  const r = buildWebDemo(site, modelDir);
  assert.equal(r.outDir, site);
  assert.match(r.summary, /web demo built/);
  for (const f of ['index.html', 'main.js', 'example/depth.tiff', 'example/model/model.json']) assert.ok(fs.existsSync(path.join(site, f)), `${f} missing`);
  assert.ok(fs.readdirSync(path.join(site, 'wasm')).some((f) => f.endsWith('.wasm')));
  const meta = readModelJson(path.join(site, 'example', 'model')).userDefinedMetadata?.grasplab as { source?: { note?: string } };
  assert.match(meta.source?.note ?? '', /export\/uint8/);
});
