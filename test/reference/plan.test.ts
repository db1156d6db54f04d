import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROFILES } from '../../lib/config/profiles';
import { pspnetParamCount } from '../../lib/models/registry';
import { estimateBudget, FALLBACK_TIMINGS } from '../../lib/reference/budget';
import { parseSource, referencePlan } from '../../lib/reference/plan';

const p = PROFILES.reference;
const plan = referencePlan(p);

test('the reference plan meets the evidence requirements: seeds, test images, equal budgets, a student ≤ ¼ of its teacher', () => {
  assert.ok(p.seeds.length >= 3 && p.testImages >= 500);
  const train = plan.runs.filter((r) => r.kind !== 'compress');
  const teacher = train.find((r) => r.kind === 'teacher')!;
  // every network a claim compares sees the same number of training images; batch 2 takes 4× the steps
  const images = (sources: string[]) => sources.map((s) => train.find((r) => r.id === parseSource(s).run)!.imagesSeen);
  const claimed = plan.claims.flatMap((c) => [...c.baseline.sources, ...c.treatment.sources].filter((s) => !s.includes('@')));
  assert.deepEqual([...new Set(images(claimed))], [p.epochs * p.batchesPerEpoch * p.batchSize]);
  // so do the two sides of each follow-up; the C3 pilot at three times the claims' images
  for (const f of plan.followUps) {
    assert.deepEqual([...new Set(images([...f.baseline.sources, ...f.treatment.sources]))].length, 1, `${f.id}: equal images on both sides`);
  }
  const pilot = plan.followUps.find((f) => f.id === 'C3-long')!;
  assert.deepEqual(images(pilot.treatment.sources), [3 * p.epochs * p.batchesPerEpoch * p.batchSize]);
  const b2 = train.find((r) => r.kind === 'pspnet-b2')!;
  assert.equal(b2.spec.batchSize, 2);
  assert.equal(b2.spec.batchesPerEpoch! * 2, p.batchesPerEpoch * p.batchSize);
  assert.ok(teacher.imagesSeen > train.find((r) => r.kind === 'student')!.imagesSeen, 'the teacher trains longer than its students');
  const student = p.kdStudent!;
  const sp = pspnetParamCount({ depth: student.depth, widthMultiplier: student.widthMultiplier, aux: false }).trainable;
  const tp = pspnetParamCount({ depth: p.teacher.depth, widthMultiplier: p.teacher.widthMultiplier, aux: false }).trainable;
  assert.ok(sp <= tp / 4, `student ${sp} vs teacher ${tp} parameters`);
  for (const r of plan.runs.filter((x) => x.spec.kd)) assert.deepEqual(r.after, ['teacher-s1'], `${r.id} waits for the teacher`);
  // every verdict source of every claim is a job of the plan, and C2–C4 use every seed
  const ids = new Set(plan.runs.map((r) => r.id));
  for (const c of plan.claims) {
    for (const s of [...c.baseline.sources, ...c.treatment.sources, ...(c.beside ?? []).flatMap((b) => b.sources)]) assert.ok(ids.has(parseSource(s).run), `${c.id}: ${s}`);
    assert.equal(c.baseline.sources.length, p.seeds.length);
  }
  assert.deepEqual(plan.claims.map((c) => c.id), ['C1', 'C2', 'C3', 'C4', 'C5']);
  for (const f of plan.followUps) {
    for (const s of [...f.baseline.sources, ...f.treatment.sources]) assert.ok(ids.has(parseSource(s).run), `${f.id}: ${s}`);
  }
  assert.equal(new Set(plan.runs.map((r) => r.id)).size, plan.runs.length);
});

test('the CPU estimate adds training steps, validation, precise BN and test scoring from per-kind timings', () => {
  const est = estimateBudget(plan, p, FALLBACK_TIMINGS, 200);
  const ggcnn = est.runs.find((r) => r.id === 'ggcnn-s1')!;
  const t = FALLBACK_TIMINGS.kinds.ggcnn!;
  assert.equal(ggcnn.trainSeconds, (p.epochs * p.batchesPerEpoch) * t.trainStepSeconds);
  assert.equal(ggcnn.evalSeconds, p.epochs * 200 * t.evalImageSeconds + p.testImages * t.evalImageSeconds);
  assert.ok(Math.abs(est.cpuSeconds - est.runs.reduce((s, r) => s + r.trainSeconds + r.evalSeconds, 0)) < 1e-6);
  // a twice faster step halves the training part and nothing else
  const fast = { source: 'x', kinds: Object.fromEntries(Object.entries(FALLBACK_TIMINGS.kinds).map(([k, v]) => [k, { ...v!, trainStepSeconds: v!.trainStepSeconds / 2 }])) };
  const est2 = estimateBudget(plan, p, fast, 200);
  const g2 = est2.runs.find((r) => r.id === 'ggcnn-s1')!;
  assert.equal(g2.trainSeconds, ggcnn.trainSeconds / 2);
  assert.equal(g2.imagesSeen, ggcnn.imagesSeen, 'budgets are images, not hours');
});
