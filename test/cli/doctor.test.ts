import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { CUDA_LIBRARIES, doctorReport, formatDoctor } from '../../lib/cli/doctor';
import { jupyterPaths, requirementsHash } from '../../lib/config/jupyter_env';
import { PROJECT_ROOT } from '../../lib/config/paths';
import { PROFILES } from '../../lib/config/profiles';

/** `grasplab doctor`: each field of the report, against a machine state the test sets up. */

function fakeCornell(dir: string, n: number): void {
  for (let i = 0; i < n; i++) {
    const folder = path.join(dir, '01');
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, `pcd01${String(i).padStart(2, '0')}cpos.txt`), '1 1\n1 2\n2 2\n2 1\n');
  }
}

test('doctor report: versions, backend and why others were skipped, CUDA libraries, Jupyter, datasets, memory, disk, profile sizing', { timeout: 120_000 }, async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-doctor-'));
  try {
    fakeCornell(path.join(tmp, 'cornell'), 3);
    fakeCornell(path.join(tmp, 'cornell-test'), 2);
    const lib = path.join(tmp, 'cuda');
    fs.mkdirSync(lib);
    fs.writeFileSync(path.join(lib, 'libcudnn.so.8'), '');
    // a venv whose python reports a version but has no Jupyter modules (it is the system python3 underneath)
    const env0: NodeJS.ProcessEnv = { ...process.env, GRASPLAB_VENV_DIR: path.join(tmp, 'venv') };
    const jp = jupyterPaths(env0);
    fs.mkdirSync(path.dirname(jp.python), { recursive: true });
    fs.writeFileSync(jp.python, '#!/bin/sh\nif [ "$1" = "--version" ]; then echo "Python 3.99.1"; exit 0; fi\nexec python3 "$@"\n', { mode: 0o755 });
    fs.writeFileSync(jp.stamp, requirementsHash(jp));
    const env: NodeJS.ProcessEnv = {
      ...env0,
      GRASPLAB_DATASET: 'cornell',
      GRASPLAB_DATA_DIR: path.join(tmp, 'cornell'),
      GRASPLAB_RESULTS_DIR: path.join(tmp, 'results', 'not-yet'),
      LD_LIBRARY_PATH: lib,
      GRASPLAB_PYTHON: '',
      GRASPLAB_DRY_RUN: '',
    };

    const r = await doctorReport(env, { profile: 'smoke' });
    assert.equal(r.node.version, process.version);
    assert.equal(r.node.cpus, os.cpus().length);
    const tfjsPkg = JSON.parse(fs.readFileSync(require.resolve('@tensorflow/tfjs/package.json'), 'utf8')).version;
    assert.equal(r.tfjs.version, tfjsPkg);

    // the backend selection this process made, and one reason per better choice skipped
    assert.equal(r.backend.selected, tf.getBackend());
    const order = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
    assert.equal(r.backend.skipped.length, order.indexOf(r.backend.choice));
    r.backend.skipped.forEach((s, i) => assert.ok(s.startsWith(`${order[i]}: `) && s.length > order[i].length + 3, s));

    // the libraries tfjs-node-gpu loads: found where LD_LIBRARY_PATH points
    assert.deepEqual(r.gpu.libraries.map((l) => l.name), CUDA_LIBRARIES);
    assert.equal(r.gpu.libraries.find((l) => l.name === 'libcudnn.so.8')!.found, path.join(lib, 'libcudnn.so.8'));

    let ortInstalled = true;
    try {
      require.resolve('onnxruntime-node/package.json', { paths: [PROJECT_ROOT] });
    } catch {
      ortInstalled = false;
    }
    assert.equal(r.onnxruntime.installed, ortInstalled);

    assert.equal(r.jupyter.venv, path.join(tmp, 'venv'));
    assert.equal(r.jupyter.python, jp.python);
    assert.equal(r.jupyter.pythonVersion, '3.99.1');
    assert.equal(r.jupyter.upToDate, true);
    assert.equal(r.jupyter.packages?.nbclient, null, 'the python underneath has no Jupyter');
    assert.match(r.jupyter.problem ?? '', /lacks .*nbclient/);
    assert.ok(r.warnings.some((w) => /lacks .*nbclient/.test(w)));

    const cornell = r.datasets.find((d) => d.kind === 'cornell')!;
    assert.deepEqual(
      { selected: cornell.selected, samples: cornell.samples, dir: cornell.dir, test: cornell.testSplit },
      { selected: true, samples: 3, dir: path.join(tmp, 'cornell'), test: { dir: path.join(tmp, 'cornell-test'), samples: 2 } },
    );
    assert.deepEqual(r.datasets.map((d) => d.kind).sort(), ['cornell', 'jacquard', 'synthetic']);

    assert.ok(Math.abs(r.memory.totalMB - os.totalmem() / 2 ** 20) < 1);
    assert.ok(r.memory.availableMB > 0 && r.memory.availableMB <= r.memory.totalMB);
    assert.equal(r.memory.wasmHeapLimitMB, 4096);
    assert.equal(r.disk.path, tmp, 'the nearest existing folder of the results dir');
    assert.ok(r.disk.freeMB > 0 && r.disk.freeMB <= r.disk.totalMB);

    assert.equal(r.profile.name, 'smoke');
    assert.equal(r.profile.runs.length, 5);
    assert.ok(r.profile.runs.every((x) => x.batch === PROFILES.smoke.batchSize && x.fitsWasm));
    assert.equal(r.profile.largest.trainBytes, Math.max(...r.profile.runs.map((x) => x.trainBytes)));
    const ggcnn = r.profile.runs.find((x) => x.name === 'GG-CNN')!;
    assert.equal(ggcnn.params, 62420, 'GG-CNN has 62,420 weights and no BN statistics');
    assert.match(formatDoctor(r), /backend: .*\n[\s\S]*libcudnn\.so\.8 +\S*cuda\/libcudnn\.so\.8[\s\S]*\* cornell +3 samples[\s\S]*profile smoke/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('grasplab doctor --json: the real command prints the report and exits 0', { timeout: 120_000 }, () => {
  const r = spawnSync(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'grasplab.js'), 'doctor', '--json', '--profile', 'smoke'], { encoding: 'utf8', cwd: PROJECT_ROOT });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  for (const k of ['node', 'tfjs', 'backend', 'gpu', 'wasm', 'onnxruntime', 'jupyter', 'datasets', 'memory', 'disk', 'profile', 'warnings']) assert.ok(k in report, k);
  assert.equal(report.profile.name, 'smoke');
});
