/**
 * The evidence runs that decide the report's claims C1–C5 (results/reference/, models/).
 *
 *   npx tsx scripts/reference.ts plan [--measure] [--json]   the runs, claims and CPU-hour estimate (--measure: time a
 *                                                            training step of every kind on this machine first)
 *   npx tsx scripts/reference.ts run [--jobs N] [--only ID,…] train/resume every unfinished run, N worker processes
 *                                                            (default: cores), then write claims.json and models/
 *   npx tsx scripts/reference.ts status [--jobs N]           done / running / remaining, CPU time, ETA
 *   npx tsx scripts/reference.ts claims                      rewrite claims.json, details.json and models/ from what is done
 *   npx tsx scripts/reference.ts table [--write-readme]      the claims table (markdown) from claims.json; --write-readme
 *                                                            replaces README's block between the claims-table markers
 *   npx tsx scripts/reference.ts snapshot                    copy the resume points of unfinished runs to
 *                                                            results/reference/resume/ and stage them (git add), before
 *                                                            a working period ends; a fresh checkout resumes from them
 *
 * The profile is GRASPLAB_PROFILE (default here: reference); the reference and paper profiles' synthetic data go to
 * data/synthetic-<profile> unless GRASPLAB_DATA_DIR is set (`useProfileDataRoot`). Exit codes: 0 ok, 1 failed, 2 bad usage.
 */
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import { selectBackend } from '../lib/backend/setup';
import { currentDataset, PROJECT_ROOT, useProfileDataRoot } from '../lib/config/paths';
import { currentProfile, type Profile } from '../lib/config/profiles';
import { ensureSyntheticTestSplit, syntheticTestDir } from '../lib/data/test_split';
import { GrasplabError } from '../lib/errors';
import { loadRealImages, NO_REAL_DATA_MESSAGE, realCornellDir } from '../lib/eval/real';
import { ensureSyntheticData, openWorkbench } from '../lib/experiment';
import { estimateBudget, FALLBACK_TIMINGS, measureTimings, type Timings } from '../lib/reference/budget';
import { buildClaims, buildDetails, readClaims, writeClaims } from '../lib/reference/claims';
import { referencePlan, type ReferencePlan } from '../lib/reference/plan';
import { currentCommit } from '../lib/reference/provenance';
import { runPlan } from '../lib/reference/runner';
import { shipModels } from '../lib/reference/ship';
import { formatProgress, planProgress } from '../lib/reference/status';
import { isDone, logFile, referenceDir } from '../lib/reference/store';
import { claimsTable, followUpTable } from '../lib/reference/table';
import { runJob, snapshotResumePoint } from '../lib/reference/worker';
import { consoleProgress } from '../lib/train/progress';

/** Decoded training scenes kept per worker (the reference set's 1,800 do not all fit; ~850 do). */
const WORKER_CACHE_BYTES = 1024 * 2 ** 20;

function setUpEnvironment(): Profile {
  process.env.GRASPLAB_PROFILE ??= 'reference';
  const profile = currentProfile();
  // its own folder: the cpu profile's data/synthetic is a different set
  useProfileDataRoot(profile.name);
  return profile;
}

function valImagesOf(profile: Profile): number {
  // image-wise 90/10 split of the synthetic scenes, as openWorkbench
  const val = profile.syntheticScenes - Math.round(profile.syntheticScenes * 0.9);
  return profile.valImages > 0 ? Math.min(profile.valImages, val) : val;
}

function budgetFile(): string {
  return path.join(referenceDir(), 'budget.json');
}

function storedTimings(profile: Profile): Timings {
  const file = budgetFile();
  if (fs.existsSync(file)) {
    const b = JSON.parse(fs.readFileSync(file, 'utf8')) as { profile: string; timings: Timings };
    if (b.profile === profile.name) return b.timings;
  }
  return FALLBACK_TIMINGS;
}

async function planCommand(args: string[], plan: ReferencePlan, profile: Profile): Promise<number> {
  const { values } = parseArgs({ args, options: { measure: { type: 'boolean' }, json: { type: 'boolean' } } });
  let timings = storedTimings(profile);
  if (values.measure) {
    await selectBackend({ quiet: true });
    timings = await measureTimings(plan, profile, { log: (m) => console.error(m) });
  }
  const est = estimateBudget(plan, profile, timings, valImagesOf(profile));
  if (values.measure) {
    fs.mkdirSync(referenceDir(), { recursive: true });
    fs.writeFileSync(budgetFile(), JSON.stringify({ profile: profile.name, timings, cpuHours: Number(est.cpuHours.toFixed(2)), runs: est.runs.map((r) => ({ ...r, seconds: Math.round(r.seconds) })) }, null, 1) + '\n');
  }
  if (values.json) {
    console.log(JSON.stringify({ plan, estimate: est }, null, 1));
    return 0;
  }
  console.log(`reference plan, profile ${profile.name}: ${plan.runs.length} jobs, seeds ${plan.seeds.join(', ')}, test split ${profile.testImages} images, validation ${valImagesOf(profile)} images`);
  console.log(`${'job'.padEnd(28)} ${'images seen'.padStart(11)} ${'est. CPU'.padStart(9)}  after`);
  est.runs.forEach((r, i) => console.log(`${r.id.padEnd(28)} ${String(r.imagesSeen).padStart(11)} ${`${(r.seconds / 60).toFixed(0)} min`.padStart(9)}  ${plan.runs[i].after.join(', ')}`));
  console.log(`\ntotal ≈ ${est.cpuHours.toFixed(1)} CPU-hours (single-threaded workers; timings: ${timings.source})`);
  for (const c of plan.claims) console.log(`${c.id}: ${c.treatment.label} vs ${c.baseline.label} (expected: ${c.expected})`);
  return 0;
}

async function ensureData(profile: Profile): Promise<void> {
  const choice = currentDataset();
  if (choice.kind !== 'synthetic') return;
  await ensureSyntheticData(choice.dir, profile.syntheticScenes, (m) => console.error(m));
  await ensureSyntheticTestSplit(syntheticTestDir(choice.dir), profile.testImages);
}

async function finalize(plan: ReferencePlan, profile: Profile): Promise<void> {
  writeClaims(buildClaims(plan, currentCommit(), profile.testImages), buildDetails(plan));
  await selectBackend({ quiet: true });
  const shipped = await shipModels(plan, profile, { log: (m) => console.error(m) });
  const claims = readClaims()!;
  console.error(`claims: ${claims.claims.map((c) => `${c.id} ${c.verdict}`).join(' · ')}`);
  console.error(`models: ${shipped.map((s) => `${s.name} ${s.state}`).join(' · ')}`);
}

async function runCommand(args: string[], plan: ReferencePlan, profile: Profile): Promise<number> {
  const { values } = parseArgs({ args, options: { jobs: { type: 'string' }, only: { type: 'string' } } });
  const jobs = values.jobs === undefined ? Math.max(1, os.cpus().length) : Number(values.jobs);
  if (!(Number.isInteger(jobs) && jobs >= 0)) return usage(`--jobs ${values.jobs}: expected an integer ≥ 0`);
  const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
  await ensureData(profile);
  const script = __filename;
  const result = await runPlan({
    plan,
    jobs,
    only,
    log: (m) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${m}`),
    spawnWorker: (id) => {
      const log = logFile(id);
      fs.mkdirSync(path.dirname(log), { recursive: true });
      const fd = fs.openSync(log, 'a');
      // the same node and loader (tsx) as this process; workers use the single-threaded wasm build (one core each),
      // one native-kernel thread and one ONNX Runtime thread unless GRASPLAB_NATIVE_THREADS / GRASPLAB_ORT_THREADS
      // say otherwise
      const env = {
        ...process.env,
        GRASPLAB_ORT_THREADS: process.env.GRASPLAB_ORT_THREADS || '1',
        GRASPLAB_NATIVE_THREADS: process.env.GRASPLAB_NATIVE_THREADS || '1',
      };
      const child = spawn(process.execPath, [...process.execArgv, script, 'worker', id], { stdio: ['ignore', fd, fd], env });
      fs.closeSync(fd);
      return child;
    },
    context: async () => workerContext(plan),
  });
  console.error(`done ${result.done.length}, failed ${result.failed.length}, stopped ${result.stopped.length}, blocked ${result.blocked.length}, elsewhere ${result.elsewhere.length}`);
  if (result.failed.length) console.error(`failed: ${result.failed.join(', ')} (logs in ${path.dirname(logFile('x'))})`);
  if (!result.interrupted) await finalize(plan, profile);
  return result.failed.length ? 1 : result.interrupted ? 130 : 0;
}

async function workerContext(plan: ReferencePlan) {
  const wb = await openWorkbench({ log: (m) => console.log(m), trainCacheBytes: WORKER_CACHE_BYTES });
  // real Cornell images (GRASPLAB_REAL_DIR, else ../shared's) scored after every epoch: the sim-to-real learning curve
  const realDir = realCornellDir();
  const real = realDir ? (await loadRealImages(realDir.dir)).samples : undefined;
  console.log(real ? `real-image curve on ${real.length} images of ${realDir!.dir}` : NO_REAL_DATA_MESSAGE);
  return { wb, plan, real, log: (m: string) => console.log(m), onProgress: consoleProgress({ intervalSec: 60 }), latencyRuns: 20 };
}

async function workerCommand(args: string[], plan: ReferencePlan): Promise<number> {
  const id = args[0];
  const run = plan.runs.find((r) => r.id === id);
  if (!run) return usage(`worker: no job '${id}' in the plan`);
  console.log(`[${new Date().toISOString()}] worker ${process.pid}: ${id}, commit ${currentCommit()}, load ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  const ctx = await workerContext(plan);
  await runJob(run, ctx);
  console.log(`[${new Date().toISOString()}] ${id} finished`);
  return 0;
}

function statusCommand(args: string[], plan: ReferencePlan, profile: Profile): number {
  const { values } = parseArgs({ args, options: { jobs: { type: 'string' }, json: { type: 'boolean' } } });
  const p = planProgress(plan, profile, storedTimings(profile), valImagesOf(profile));
  if (values.json) console.log(JSON.stringify(p, null, 1));
  else console.log(formatProgress(p, values.jobs ? Number(values.jobs) : Math.max(1, os.cpus().length)));
  return 0;
}

function snapshotCommand(plan: ReferencePlan): number {
  const copied = plan.runs.filter((r) => !isDone(r) && snapshotResumePoint(r.id)).map((r) => r.id);
  const paths = [path.join(referenceDir(), 'resume'), path.join(referenceDir(), 'runs')].filter((p) => fs.existsSync(p));
  if (!paths.length) {
    console.log('nothing to stage');
    return 0;
  }
  // resume/ holds the copies; runs/ the finished runs' files and every run's run.json (last/ stays ignored)
  execFileSync('git', ['add', '--all', '--', ...paths.map((p) => path.relative(PROJECT_ROOT, p))], { cwd: PROJECT_ROOT, stdio: 'inherit' });
  console.log(copied.length
    ? `resume points of ${copied.join(', ')} copied to ${path.relative(PROJECT_ROOT, path.join(referenceDir(), 'resume'))}/ and staged with the runs' files; commit them to carry the runs into the next working period`
    : 'no unfinished run has a resume point; the runs\' files are staged');
  return 0;
}

function usage(msg: string): number {
  console.error(`reference: ${msg}\nusage: npx tsx scripts/reference.ts plan|run|status|claims|table|snapshot [options] (see the comment at the top of scripts/reference.ts)`);
  return 2;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const profile = setUpEnvironment();
  const plan = referencePlan(profile);
  switch (cmd) {
    case 'plan':
      return planCommand(rest, plan, profile);
    case 'run':
      return runCommand(rest, plan, profile);
    case 'worker':
      return workerCommand(rest, plan);
    case 'status':
      return statusCommand(rest, plan, profile);
    case 'claims':
      await finalize(plan, profile);
      return 0;
    case 'table': {
      const { values } = parseArgs({ args: rest, options: { 'write-readme': { type: 'boolean' } } });
      const claims = readClaims();
      if (!claims) {
        console.error(`no ${path.join(referenceDir(), 'claims.json')} yet: run \`npx tsx scripts/reference.ts run\` first`);
        return 1;
      }
      const details = path.join(referenceDir(), 'details.json');
      const table = [claimsTable(claims, details), followUpTable(details)].filter(Boolean).join('\n\n');
      if (values['write-readme']) {
        const readme = path.join(PROJECT_ROOT, 'README.md');
        const text = fs.readFileSync(readme, 'utf8');
        const re = /(<!-- claims-table:start -->\n)[\s\S]*?(<!-- claims-table:end -->)/;
        if (!re.test(text)) {
          console.error(`${readme}: no <!-- claims-table:start --> … <!-- claims-table:end --> block`);
          return 1;
        }
        fs.writeFileSync(readme, text.replace(re, (_m, a: string, b: string) => `${a}${table}\n${b}`));
        console.error(`README.md: claims table replaced`);
      }
      console.log(table);
      return 0;
    }
    case 'snapshot':
      return snapshotCommand(plan);
    case '--help':
    case '-h':
    case 'help':
      console.log(fs.readFileSync(__filename, 'utf8').split('*/')[0].replace(/^\/\*\*\n/, '').replace(/^ \* ?/gm, ''));
      return 0;
    case undefined:
      return usage('no command');
    default:
      return usage(`unknown command '${cmd}'`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    if (e instanceof GrasplabError) console.error(`reference: ${e.name}: ${e.message}`);
    else console.error(e);
    process.exitCode = 1;
  },
);
