import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PROJECT_ROOT } from '../../lib/config/paths';
import { currentProfile } from '../../lib/config/profiles';
import { loadModelFromDir } from '../../lib/export/save';
import { openWorkbench } from '../../lib/experiment';
import { buildClaims, buildDetails, readClaims, writeClaims } from '../../lib/reference/claims';
import { referencePlan } from '../../lib/reference/plan';
import { runPlan } from '../../lib/reference/runner';
import { shipModels } from '../../lib/reference/ship';
import { planStatus, referenceRunDir, verdictFile } from '../../lib/reference/store';
import { claimsTable, followUpTable } from '../../lib/reference/table';
import { verifyClaims, verifyFollowUps, verifyLateSlopes } from '../../lib/reference/verify';
import { readVerdictFile } from '../../lib/reference/worker';
import { verdict } from '../../lib/eval/verdict';
import { checkClaimsFile, checkShippedModel } from '../helpers/reference_checks';
import { showClaimEvidence, validationCurve } from '../../lib/reference/evidence';
import { referenceTeacherResult } from '../../lib/reference/teacher';
import { experiments } from '../../lib/config/experiments';

/**
 * The evidence pipeline end to end on the smoke profile with two seeds (2 training steps per run): plan → partial runs
 * → pending claims → all runs (in process, and two as worker processes) → claims.json, verdict files, models/ with
 * cards → the CLI scores a shipped model on the test split and matches the claims file.
 */
const ENV_KEYS = ['GRASPLAB_PROFILE', 'GRASPLAB_SEEDS', 'GRASPLAB_DATASET', 'GRASPLAB_DATA_DIR', 'GRASPLAB_RESULTS_DIR', 'GRASPLAB_MODELS_DIR'];
const saved: Record<string, string | undefined> = {};
let tmp = '';
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'grasplab-reference-'));
  for (const k of ENV_KEYS) saved[k] = process.env[k];
  Object.assign(process.env, {
    GRASPLAB_PROFILE: 'smoke',
    GRASPLAB_SEEDS: '1,2',
    GRASPLAB_DATASET: 'synthetic',
    GRASPLAB_DATA_DIR: path.join(tmp, 'synthetic'),
    GRASPLAB_RESULTS_DIR: path.join(tmp, 'results'),
    GRASPLAB_MODELS_DIR: path.join(tmp, 'models'),
  });
});
after(() => {
  for (const k of ENV_KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

const quiet = () => {};

test('reference pipeline on the smoke profile: partial claims are pending, complete ones match their verdict files', async () => {
  const profile = currentProfile();
  const plan = referencePlan(profile);
  assert.deepEqual(plan.seeds, [1, 2]);
  const wb = await openWorkbench({ log: quiet });
  assert.equal(wb.split.test.length, profile.testImages);
  // a monitored image set (stands in for the real Cornell images the worker scores after every epoch)
  const monitored = wb.valSamples.slice(0, 2);
  const context = async () => ({ wb, plan, log: quiet, latencyRuns: 2, real: monitored });

  // ---- part of the plan: C1's runs only
  const c1 = ['ggcnn-s1', 'ggcnn-s2', 'pspnet-s1', 'pspnet-s2'];
  let r = await runPlan({ plan, jobs: 0, only: c1, log: quiet, context });
  assert.deepEqual(r.done.sort(), [...c1].sort());
  const states = Object.fromEntries(planStatus(plan).map((j) => [j.id, j.state]));
  assert.equal(states['ggcnn-s1'], 'done');
  assert.equal(states['student-kd-pixel-s1'], 'waiting', 'KD students wait for the teacher');
  assert.equal(states['teacher-s1'], 'ready');
  assert.equal(states['compress-s1'], 'ready');
  let claims = buildClaims(plan, 'test', profile.testImages);
  const [C1, C2] = claims.claims;
  assert.notEqual(C1.verdict, 'pending');
  assert.equal(C1.verdict, verdict(C1.ci95!, { direction: 1 }));
  assert.equal(C1.baseline.accuracy_by_seed.length, 2);
  assert.equal(C2.verdict, 'pending');
  assert.deepEqual(C2.pending, ['pspnet-b2-s1', 'pspnet-b2-s2']);
  assert.deepEqual(C2.treatment.accuracy_by_seed, C1.treatment.accuracy_by_seed, 'C2 treatment is C1 treatment: the same runs');
  assert.equal(C2.baseline.mean, null);
  // finished runs keep best/ and their verdicts, not the resume point
  assert.ok(fs.existsSync(path.join(referenceRunDir('ggcnn-s1'), 'best', 'model.json')));
  assert.ok(!fs.existsSync(path.join(referenceRunDir('ggcnn-s1'), 'last')));
  const history = JSON.parse(fs.readFileSync(path.join(referenceRunDir('ggcnn-s1'), 'run.json'), 'utf8')).history as { val: Record<string, number> }[];
  assert.ok(history.length > 0 && history.every((h) => h.val.realTotal === monitored.length && h.val.realCorrect <= monitored.length), 'every epoch records the monitored images\' score');
  const v = readVerdictFile('ggcnn-s1')!;
  assert.equal(v.success.length, profile.testImages);
  assert.deepEqual(v.ids, wb.split.test.map((e) => e.id));

  // a done job is not trained again: run.json unchanged; a lost verdict file is rebuilt from test.json
  const runJson = fs.readFileSync(path.join(referenceRunDir('ggcnn-s1'), 'run.json'), 'utf8');
  fs.rmSync(verdictFile('ggcnn-s1'));
  r = await runPlan({ plan, jobs: 0, only: ['ggcnn-s1'], log: quiet, context });
  assert.deepEqual(r.done, ['ggcnn-s1']);
  assert.equal(fs.readFileSync(path.join(referenceRunDir('ggcnn-s1'), 'run.json'), 'utf8'), runJson);
  await runPlan({ plan, jobs: 0, log: quiet, context: async () => ({ wb, plan, log: quiet, latencyRuns: 2 }), only: undefined }).then((res) => {
    assert.deepEqual(res.failed, []);
    assert.deepEqual(res.blocked, []);
  });

  // ---- everything
  assert.ok(planStatus(plan).every((j) => j.state === 'done'));
  writeClaims(buildClaims(plan, 'test', profile.testImages), buildDetails(plan));
  claims = readClaims()!;
  assert.deepEqual(claims.claims.map((c) => c.id), ['C1', 'C2', 'C3', 'C4', 'C5']);
  for (const c of claims.claims) {
    assert.notEqual(c.verdict, 'pending', c.id);
    assert.equal(c.seeds, 2);
    assert.ok(c.ci95![0] <= c.delta_points! && c.delta_points! <= c.ci95![1], `${c.id}: Δ inside its interval`);
    assert.equal(c.treatment.accuracy_by_seed.length, 2);
  }
  const C5 = claims.claims[4];
  assert.ok(C5.treatment.size_bytes! < C5.baseline.size_bytes! / 2, 'uint8 weights are a quarter of float32 (plus model.json)');
  assert.ok(C5.baseline.latency_ms! > 0 && C5.treatment.latency_ms! > 0);
  assert.deepEqual(verifyClaims(claims, plan), []);
  // a tampered number is caught
  const tampered = JSON.parse(JSON.stringify(claims));
  tampered.claims[0].ci95 = [tampered.claims[0].ci95[0] - 1, tampered.claims[0].ci95[1]];
  assert.ok(verifyClaims(tampered, plan).some((p) => p.startsWith('C1.ci95')));
  assert.match(claimsTable(claims), /\| C3 \|/);
  // the follow-up of C1: both networks started from the prior output biases, compared like a claim, in details.json
  const detailsFile = path.join(tmp, 'results', 'reference', 'details.json');
  const details = JSON.parse(fs.readFileSync(detailsFile, 'utf8'));
  const fu = details.follow_ups.find((f: { id: string }) => f.id === 'C1-prior');
  assert.equal(fu.of, 'C1');
  assert.equal(fu.verdict, verdict(fu.ci95, { direction: 1 }));
  assert.deepEqual(fu.baseline.accuracy_by_seed, fu.baseline_sources.map((s: { accuracy: number }) => s.accuracy));
  for (const id of ['ggcnn-prior-s1', 'pspnet-prior-s2']) {
    const cfg = JSON.parse(fs.readFileSync(path.join(referenceRunDir(id), 'run.json'), 'utf8')).config;
    assert.equal(cfg.model.headBias, 'prior', `${id} trains from the prior biases`);
  }
  assert.deepEqual(verifyFollowUps(details, plan), []);
  const tamperedDetails = JSON.parse(JSON.stringify(details));
  tamperedDetails.follow_ups[0].treatment.accuracy_by_seed[0] += 1;
  assert.ok(verifyFollowUps(tamperedDetails, plan).some((p) => p.startsWith('C1-prior.treatment.accuracy_by_seed')));
  // the late slopes it quotes recompute from the runs' curves; an edited one is named
  assert.deepEqual(verifyLateSlopes(details, path.join(tmp, 'results', 'reference')), []);
  tamperedDetails.claims[2].treatment[0].late_slope = { per_1000_images: 5, ci95: [1, 9], points: 4, trend: 'rising', flat_from_images: null };
  assert.deepEqual(verifyLateSlopes(tamperedDetails, path.join(tmp, 'results', 'reference')).map((p) => p.split(':')[0]), [`${tamperedDetails.claims[2].treatment[0].source}.late_slope`]);
  assert.deepEqual(verifyFollowUps({}, plan), ['details.json has no follow-up C1-prior', 'details.json has no follow-up C3-long'], 'a details.json without the follow-up is named as such');
  assert.match(followUpTable(detailsFile, 'C1'), /\| C1-prior \(follows C1\) \|/);
  assert.equal(followUpTable(detailsFile, 'C2'), '', 'no follow-up of C2');
  // the pilot follow-up of C3: the first seed's two C3 runs at three times the epochs, compared like a claim
  const pilot = details.follow_ups.find((f: { id: string }) => f.id === 'C3-long');
  assert.equal(pilot.of, 'C3');
  assert.equal(pilot.seeds, 1);
  assert.equal(pilot.verdict, verdict(pilot.ci95, { direction: 1 }));
  for (const id of ['pspnet-long-s1', 'pspnet-aux0.4-long-s1']) {
    const run = JSON.parse(fs.readFileSync(path.join(referenceRunDir(id), 'run.json'), 'utf8'));
    assert.equal(run.epochsDone, 3 * profile.epochs, `${id} trains three times the claims' epochs`);
  }
  assert.match(followUpTable(detailsFile, 'C3'), /\| C3-long \(follows C3\) \|.*\(one seed\)/, 'one seed: no spread to show');

  // ---- models/ with cards, readable as TF.js layers models
  const shipped = await shipModels(plan, profile);
  assert.deepEqual(shipped.map((s) => [s.name, s.state]), [['ggcnn-reference', 'shipped'], ['pspnet-reference', 'shipped'], ['teacher-reference', 'shipped'], ['kd-student-reference', 'shipped'], ['ggcnn-prior-reference', 'shipped']]);
  const kdRuns = plan.seeds.map((s) => JSON.parse(fs.readFileSync(path.join(referenceRunDir(`student-kd-pixel-s${s}`), 'run.json'), 'utf8')).best.accuracy);
  assert.equal(shipped[3].run, `student-kd-pixel-s${plan.seeds[kdRuns.indexOf(Math.max(...kdRuns))]}`, 'the KD student is chosen on validation');
  for (const s of shipped) {
    const card = JSON.parse(fs.readFileSync(path.join(s.dir!, 'card.json'), 'utf8'));
    for (const k of ['config', 'profile', 'seed', 'steps', 'images_seen', 'data', 'commit', 'train_seconds', 'val_accuracy', 'test_accuracy']) assert.ok(k in card, `${s.name} card has ${k}`);
    assert.equal(card.images_seen, card.steps * card.batch_size);
    const m = await loadModelFromDir(s.dir!);
    assert.deepEqual(m.outputs.map((o) => o.shape), [[null, 300, 300, 4]]);
    m.dispose();
  }
  assert.equal((await shipModels(plan, profile))[0].state, 'unchanged');

  // ---- the checks of the committed evidence (committed_claims.test.ts), here on the tiny set: the claims recompute
  // from the verdict files, and the shipped GG-CNN scored through the CLI on the test split gives C1's baseline verdicts
  await checkClaimsFile(path.join(tmp, 'results'), { seeds: '1,2', strict: false });
  await checkShippedModel(path.join(tmp, 'models', 'ggcnn-reference'), `ggcnn-s${profile.seeds[0]}`, path.join(tmp, 'results'), profile.testImages);

  // ---- what the notebooks do with it: the claim section, and notebook 05's shipped teacher (this profile's network)
  const shown = showClaimEvidence('C4', { dir: path.join(tmp, 'results', 'reference') });
  assert.equal(shown?.verdict, claims.claims[3].verdict);
  assert.equal(showClaimEvidence('C1', { dir: path.join(tmp, 'nothing-here') }), undefined, 'no evidence: a message, no error');
  assert.deepEqual(validationCurve(path.join(tmp, 'results', 'reference'), 'pspnet-s1')!.images, [profile.batchesPerEpoch * profile.batchSize]);
  const teacher = await referenceTeacherResult(wb);
  assert.ok(teacher, 'models/teacher-reference is the smoke profile\'s teacher network');
  assert.equal(teacher.test!.total, profile.testImages);
  assert.equal(experiments.student(profile, 'pixel', 1, teacher.name).name, 'kd-student-pixel-s1-t-teacher-reference');
  teacher.model.dispose();
});

test('the runner script trains jobs in worker processes, resumable, and reports status', () => {
  // the first test left every job done; start two over to run them as worker processes
  for (const id of ['student-s1', 'student-s2']) {
    fs.rmSync(referenceRunDir(id), { recursive: true, force: true });
    fs.rmSync(verdictFile(id), { force: true });
  }
  const script = path.join(PROJECT_ROOT, 'scripts', 'reference.ts');
  const run = spawnSync(process.execPath, ['--import', 'tsx', script, 'run', '--jobs', '2', '--only', 'student-s1,student-s2'], { env: process.env, encoding: 'utf8', cwd: PROJECT_ROOT });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /student-s1: started \(pid \d+\)/);
  assert.match(run.stderr, /student-s2: started \(pid \d+\)/);
  assert.match(run.stderr, /claims: C1 \S+/);
  assert.ok(fs.readFileSync(path.join(tmp, 'results', 'reference', 'logs', 'student-s1.log'), 'utf8').includes('student-s1 finished'));
  assert.ok(readVerdictFile('student-s2'));
  const status = spawnSync(process.execPath, ['--import', 'tsx', script, 'status'], { env: process.env, encoding: 'utf8', cwd: PROJECT_ROOT });
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /done 23 · running 0 · remaining 0/, 'the 17 jobs of the claims, the 4 of the C1 follow-up and the 2 of the C3 pilot');
});
