import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_ROOT } from '../../lib/config/paths';

/**
 * A script that only loads a model folder (it never builds a network, so nothing else registered grasplab's custom
 * layers) gets a working model: run in a fresh process, where this test runner's own imports cannot help.
 */
const pspnet = path.join(PROJECT_ROOT, 'models', 'pspnet-reference');

test('loadModelFromDir alone loads a PSPNet folder with its custom layers (fresh process)', { skip: !fs.existsSync(path.join(pspnet, 'model.json')) && 'models/pspnet-reference is not there' }, () => {
  const code = [
    "const { loadModelFromDir } = require('./lib/export/save');",
    `loadModelFromDir(${JSON.stringify(pspnet)}).then((m) => {`,
    "  const names = [...new Set(m.layers.map((l) => l.getClassName()))];",
    "  console.log(JSON.stringify({ shape: m.outputs[0].shape, names }));",
    '});',
  ].join('\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.deepEqual(out.shape, [null, 300, 300, 4]);
  // the folder really uses custom layers (else this test would pass without the registration)
  for (const cls of ['GrasplabInputSizeCheck', 'GrasplabAdaptiveAvgPool2D', 'GrasplabResizeBilinear', 'GrasplabDilatedConv2D']) assert.ok(out.names.includes(cls), `${cls} in ${out.names}`);
});
