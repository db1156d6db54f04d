import type { Profile } from '../config/profiles';
import { estimateBudget, type Timings } from './budget';
import type { ReferencePlan } from './plan';
import { planStatus, type JobStatus } from './store';

export interface PlanProgress {
  jobs: JobStatus[];
  counts: Record<JobStatus['state'], number>;
  /** CPU seconds spent in training/validation so far (run.json) */
  spentSeconds: number;
  /** estimated CPU seconds still needed: observed seconds per epoch for started runs, the timings for the rest */
  remainingSeconds: number;
}

/** Progress of the plan from the files on disk, with the remaining CPU time. */
export function planProgress(plan: ReferencePlan, profile: Profile, timings: Timings, valImages: number): PlanProgress {
  const jobs = planStatus(plan);
  const est = estimateBudget(plan, profile, timings, valImages);
  const counts = { done: 0, running: 0, partial: 0, ready: 0, waiting: 0, failed: 0 } as Record<JobStatus['state'], number>;
  let remaining = 0;
  jobs.forEach((j, i) => {
    counts[j.state]++;
    if (j.state === 'done') return;
    const e = est.runs[i];
    if (j.epochsDone > 0 && j.seconds > 0 && e.kind !== 'compress') {
      // observed pace of this run (its machine, its load), plus scoring the test split at the end
      remaining += (j.seconds / j.epochsDone) * (j.epochs - j.epochsDone) + e.testSeconds;
    } else remaining += e.seconds;
  });
  return { jobs, counts, spentSeconds: jobs.reduce((s, j) => s + j.seconds, 0), remainingSeconds: remaining };
}

const hours = (s: number) => `${(s / 3600).toFixed(1)} h`;

/** The `status` text: one line per job, then totals and the ETA for `workers` parallel workers. */
export function formatProgress(p: PlanProgress, workers: number, now = new Date()): string {
  const pct = (v?: number) => (v === undefined ? '-' : `${(100 * v).toFixed(1)} %`);
  const lines = [
    `${'job'.padEnd(28)} ${'state'.padEnd(8)} ${'epochs'.padStart(7)} ${'best val'.padStart(9)} ${'test'.padStart(8)} ${'time'.padStart(8)}`,
    ...p.jobs.map((j) =>
      `${j.id.padEnd(28)} ${j.state.padEnd(8)} ${`${j.epochsDone}/${j.epochs}`.padStart(7)} ${pct(j.bestVal).padStart(9)} ${pct(j.test).padStart(8)} ${`${(j.seconds / 60).toFixed(0)} min`.padStart(8)}${j.error ? `  ${j.error}` : ''}`,
    ),
  ];
  const c = p.counts;
  const remainingJobs = p.jobs.length - c.done;
  const wall = p.remainingSeconds / Math.max(1, workers);
  lines.push(
    '',
    `done ${c.done} · running ${c.running} · remaining ${remainingJobs} (partial ${c.partial}, ready ${c.ready}, waiting ${c.waiting}, failed ${c.failed}) of ${p.jobs.length} jobs`,
    `CPU time so far ${hours(p.spentSeconds)}; remaining ≈ ${hours(p.remainingSeconds)} CPU → ≈ ${hours(wall)} with ${workers} worker${workers === 1 ? '' : 's'}` +
      (remainingJobs ? ` (ETA ${new Date(now.getTime() + wall * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC)` : ''),
  );
  return lines.join('\n');
}
