import type { ChildProcess } from 'child_process';
import type { ReferencePlan, ReferenceRun } from './plan';
import { isDone, workerPid } from './store';
import { ensureVerdictFile, runJob, type JobContext } from './worker';

export interface RunnerOptions {
  plan: ReferencePlan;
  /** worker processes at once (≥ 1); 0 runs the jobs one after another in this process (tests, debugging) */
  jobs: number;
  /** job ids to run (default: all); jobs they wait for must be done or listed too */
  only?: string[];
  log: (msg: string) => void;
  /** starts a worker process for job `id` (jobs ≥ 1) */
  spawnWorker?: (id: string) => ChildProcess;
  /** the in-process job context (jobs = 0) */
  context?: () => Promise<JobContext>;
}

export interface RunnerResult {
  done: string[];
  failed: string[];
  /** jobs that could not start: a job they wait for failed or is not in `only` */
  blocked: string[];
  /** jobs another process is working on (found by their pid file) */
  elsewhere: string[];
  /** jobs ended by a stop request (Ctrl-C / SIGTERM); they resume next time */
  stopped: string[];
  interrupted: boolean;
}

/**
 * Runs the plan's unfinished jobs, at most `jobs` at once, each in its own worker process, a job only after the jobs
 * it waits for (the KD teacher before its students). Every job resumes from its last completed epoch, so stopping
 * the runner (Ctrl-C, SIGTERM: the workers are ended) loses at most the epoch in progress. Jobs another runner is
 * working on are left to it.
 */
export async function runPlan(opts: RunnerOptions): Promise<RunnerResult> {
  const { plan, log } = opts;
  const wanted = plan.runs.filter((r) => !opts.only || opts.only.includes(r.id));
  const unknown = (opts.only ?? []).filter((id) => !plan.runs.some((r) => r.id === id));
  if (unknown.length) throw new Error(`not in the plan: ${unknown.join(', ')} (see \`reference.ts plan\`)`);
  const result: RunnerResult = { done: [], failed: [], blocked: [], elsewhere: [], stopped: [], interrupted: false };
  const running = new Map<string, ChildProcess>();
  const pending: ReferenceRun[] = [];
  for (const r of wanted) {
    if (isDone(r)) {
      ensureVerdictFile(r);
      result.done.push(r.id);
    }
    else if (workerPid(r.id)) result.elsewhere.push(r.id);
    else pending.push(r);
  }
  const doneNow = (id: string) => result.done.includes(id) || isDone(plan.runs.find((r) => r.id === id)!);
  const blockedBy = (r: ReferenceRun) =>
    r.after.filter((a) => !doneNow(a) && !pending.some((p) => p.id === a) && !running.has(a) && !result.elsewhere.includes(a));
  const ready = (r: ReferenceRun) => r.after.every(doneNow);

  if (opts.jobs === 0) {
    const ctx = await opts.context!();
    for (;;) {
      const next = pending.find(ready);
      if (!next) break;
      pending.splice(pending.indexOf(next), 1);
      try {
        await runJob(next, ctx);
        result.done.push(next.id);
      } catch (e) {
        log(`${next.id}: FAILED: ${(e as Error).message}`);
        result.failed.push(next.id);
      }
    }
    result.blocked.push(...pending.map((r) => r.id));
    return result;
  }

  const stop = () => {
    result.interrupted = true;
    for (const [id, child] of running) {
      log(`stopping ${id} (pid ${child.pid}); it resumes from its last completed epoch`);
      child.kill('SIGTERM');
    }
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const exits: Promise<void>[] = [];
    let wake: () => void = () => {};
    for (;;) {
      for (const r of [...pending]) {
        if (blockedBy(r).length) {
          pending.splice(pending.indexOf(r), 1);
          result.blocked.push(r.id);
          log(`${r.id}: blocked by ${blockedBy(r).join(', ')}`);
        }
      }
      while (!result.interrupted && running.size < opts.jobs) {
        const next = pending.find(ready);
        if (!next) break;
        pending.splice(pending.indexOf(next), 1);
        const child = opts.spawnWorker!(next.id);
        running.set(next.id, child);
        log(`${next.id}: started (pid ${child.pid})`);
        exits.push(
          new Promise<void>((resolve) => {
            child.once('exit', (code, signal) => {
              running.delete(next.id);
              if (result.interrupted && !isDone(next)) {
                result.stopped.push(next.id);
              } else if (code === 0 && isDone(next)) {
                result.done.push(next.id);
                log(`${next.id}: done`);
              } else {
                result.failed.push(next.id);
                log(`${next.id}: ${signal ? `ended by ${signal}` : `exited with code ${code}`} (see its log)`);
              }
              resolve();
              wake();
            });
          }),
        );
      }
      if (running.size === 0) break;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    await Promise.all(exits);
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
  result.blocked.push(...pending.map((r) => r.id));
  return result;
}
