import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PROJECT_ROOT } from '../config/paths';
import { readSyntheticManifest } from '../data/synthetic';
import type { Workbench } from '../experiment';
import { testFingerprint } from '../experiment';

/** `<run>/provenance.json`: one entry per worker start (commit, time, machine load), and the data the run used. */
export const PROVENANCE_JSON = 'provenance.json';

/**
 * The checked-out commit, `+dirty` when tracked code differs from it, or 'unknown' outside git. Changes under
 * `results/` and `models/` do not count: they are what the runs write (a finished run's files are uncommitted while
 * the next run starts), not the code that produced them.
 */
export function currentCommit(cwd: string = PROJECT_ROOT): string {
  const git = (args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const sha = git(['rev-parse', 'HEAD']);
    const dirty = git(['status', '--porcelain', '--untracked-files=no', '--', '.', ':(exclude)results', ':(exclude)models']);
    return dirty ? `${sha}+dirty` : sha;
  } catch {
    return 'unknown';
  }
}

/** What defines the data a run trained and was scored on: generator manifest, split sizes, test split. */
export function dataFingerprint(wb: Workbench): Record<string, unknown> {
  const manifest = wb.choice.kind === 'synthetic' ? readSyntheticManifest(wb.choice.dir) : undefined;
  return {
    dataset: wb.choice.kind,
    generator: manifest ? { name: manifest.generator, version: manifest.version, seed: manifest.seed, scenes: manifest.count } : null,
    split: { mode: 'image', seed: wb.seed, train: wb.split.train.length, val: wb.split.val.length },
    test: wb.split.test.length ? testFingerprint(wb) : null,
  };
}

export interface Provenance {
  data: Record<string, unknown>;
  starts: { commit: string; time: string; loadavg: number[]; cpus: number; node: string }[];
}

/** Appends this worker start to the run's provenance (creating it). */
export function recordStart(runDir: string, wb: Workbench): Provenance {
  const file = path.join(runDir, PROVENANCE_JSON);
  const prev = readProvenance(runDir);
  const p: Provenance = {
    data: dataFingerprint(wb),
    starts: [
      ...(prev?.starts ?? []),
      { commit: currentCommit(), time: new Date().toISOString(), loadavg: os.loadavg().map((v) => Number(v.toFixed(2))), cpus: os.cpus().length, node: process.version },
    ],
  };
  fs.mkdirSync(runDir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(p, null, 1) + '\n');
  return p;
}

export function readProvenance(runDir: string): Provenance | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(runDir, PROVENANCE_JSON), 'utf8')) as Provenance;
  } catch {
    return undefined;
  }
}
