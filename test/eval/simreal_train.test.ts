import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PROJECT_ROOT } from '../../lib/config/paths';
import { syntheticFingerprint, SYNTHETIC_PRESETS } from '../../lib/config/synthetic';
import { sharedPath, skipUnlessShared } from '../helpers/shared';

/**
 * scripts/simreal-train.ts, the sim-to-real learning curve and generator ablation, end to end on the smoke profile:
 * PSPNet (the network that learns on the Cornell-like scenes) trained on one ablated preset for 2 × 1 steps, scored
 * on the real Cornell images after each interval; the report names the preset, the network and the command.
 */
test('simreal-train --model pspnet on an ablated preset writes a real-image learning curve', { skip: skipUnlessShared('realdata', 'cornell'), timeout: 300_000 }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-simreal-'));
  try {
    const out = path.join(tmp, 'pspnet-no-tilt.json');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/simreal-train.ts', '--preset', 'no-tilt', '--model', 'pspnet', '--steps', '2', '--eval-every', '1', '--batch', '2', '--out', out], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: { ...process.env, GRASPLAB_PROFILE: 'smoke', GRASPLAB_RESULTS_DIR: path.join(tmp, 'results'), GRASPLAB_DATA_DIR: path.join(tmp, 'data'), GRASPLAB_REAL_DIR: sharedPath('realdata', 'cornell')! },
    });
    assert.equal(r.status, 0, r.stderr);
    const rep = JSON.parse(fs.readFileSync(out, 'utf8'));
    assert.equal(rep.model, 'pspnet');
    assert.deepEqual(rep.network, { name: 'pspnet', resnetDepth: 18, widthMultiplier: 0.125 });
    assert.equal(rep.preset, 'no-tilt');
    assert.equal(rep.fingerprint, syntheticFingerprint(SYNTHETIC_PRESETS['no-tilt']));
    assert.notEqual(rep.fingerprint, syntheticFingerprint(SYNTHETIC_PRESETS.cornell));
    assert.deepEqual(rep.curve.map((c: { step: number }) => c.step), [1, 2]);
    const real = (fs.readdirSync(sharedPath('realdata', 'cornell')!, { recursive: true }) as string[]).filter((f) => /pcd\d+d\.tiff$/.test(f)).length;
    for (const c of rep.curve) assert.equal(c.realTotal, real, 'every real image is scored after each interval');
    assert.equal(rep.final.perImage.length, real);
    assert.match(rep.command, /--model pspnet/);
    // another profile's scenes: named in the report and in the command that reproduces it
    assert.equal(rep.profile, 'smoke');
    assert.match(rep.command, /^GRASPLAB_PROFILE=smoke npx tsx scripts\/simreal-train\.ts /);
    // --out is part of the command: rerunning it rewrites this file, not the preset's default one
    assert.ok(rep.command.endsWith(` --out ${path.relative(PROJECT_ROOT, out)}`), rep.command);
    assert.match(r.stdout, /real \d+\/\d+/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('simreal-train --head-bias prior: GG-CNN with prior biases gets its own run, report file and command', { skip: skipUnlessShared('realdata', 'cornell'), timeout: 300_000 }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-simreal-'));
  try {
    const results = path.join(tmp, 'results');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/simreal-train.ts', '--preset', 'cornell', '--steps', '1', '--eval-every', '1', '--batch', '2', '--head-bias', 'prior'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: { ...process.env, GRASPLAB_PROFILE: 'smoke', GRASPLAB_RESULTS_DIR: results, GRASPLAB_DATA_DIR: path.join(tmp, 'data'), GRASPLAB_REAL_DIR: sharedPath('realdata', 'cornell')! },
    });
    assert.equal(r.status, 0, r.stderr);
    // not the zero-bias run's file (cornell-s1-smoke.json): a second run never overwrites the first's report
    assert.deepEqual(fs.readdirSync(path.join(results, 'simreal')), ['cornell-s1-prior-smoke.json']);
    assert.deepEqual(fs.readdirSync(path.join(results, 'runs')), ['simreal-ggcnn-cornell-s1-b2-prior-smoke']);
    const rep = JSON.parse(fs.readFileSync(path.join(results, 'simreal', 'cornell-s1-prior-smoke.json'), 'utf8'));
    assert.deepEqual(rep.network, { name: 'ggcnn', headBias: 'prior' });
    assert.match(rep.command, / --head-bias prior$/);
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/simreal-train.ts', '--head-bias', 'one'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /--head-bias one: use zeros or prior/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
