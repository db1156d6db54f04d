import * as fs from 'fs';
import * as path from 'path';
import { ConfigError } from '../errors';
import { dryRun } from './dry_run';

/**
 * Project root: the nearest folder upwards holding grasplab's package.json. Looked up from this file first, then
 * from the working directory (tslab compiles lib/ in memory, where `__dirname` may not be the source folder).
 */
export const PROJECT_ROOT = findProjectRoot();

function findProjectRoot(): string {
  for (const start of [__dirname, process.cwd()]) {
    let dir = path.resolve(start);
    for (;;) {
      const pkg = path.join(dir, 'package.json');
      if (fs.existsSync(pkg)) {
        try {
          if (JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'grasplab') return dir;
        } catch {
          /* not ours: keep looking */
        }
      }
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return process.cwd();
}

export type DatasetKind = 'cornell' | 'jacquard' | 'synthetic';

export interface DatasetChoice {
  kind: DatasetKind;
  /** root folder of the dataset on disk */
  dir: string;
}

/**
 * The dataset every notebook and CLI uses: `GRASPLAB_DATASET=cornell|jacquard|synthetic` (default synthetic)
 * and `GRASPLAB_DATA_DIR` (default `data/<kind>`).
 */
export function currentDataset(env: NodeJS.ProcessEnv = process.env): DatasetChoice {
  const kind = (env.GRASPLAB_DATASET ?? 'synthetic').trim();
  if (kind !== 'cornell' && kind !== 'jacquard' && kind !== 'synthetic') {
    throw new ConfigError(`GRASPLAB_DATASET=${kind} is not a dataset; use cornell, jacquard or synthetic`);
  }
  // a dry run's small synthetic set must not replace the real one
  const folder = kind === 'synthetic' && dryRun(env) ? 'synthetic-dryrun' : kind;
  const dir = env.GRASPLAB_DATA_DIR ? path.resolve(env.GRASPLAB_DATA_DIR) : path.join(PROJECT_ROOT, 'data', folder);
  return { kind, dir };
}

/**
 * Where results go: `GRASPLAB_RESULTS_DIR` or `results/`. Tests and the smoke run point it at a temp dir
 * so they never overwrite the committed metrics.
 */
export function resultsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.GRASPLAB_RESULTS_DIR ? path.resolve(env.GRASPLAB_RESULTS_DIR) : path.join(PROJECT_ROOT, 'results');
}

/**
 * `../shared` beside the checkout (or `GRASPLAB_SHARED_DIR`): real Cornell/Jacquard samples and the published GG-CNN
 * weights that developers and CI have and a fresh clone does not. Undefined when absent; notebooks then skip the
 * cells that need it.
 */
export function sharedDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = env.GRASPLAB_SHARED_DIR ? path.resolve(env.GRASPLAB_SHARED_DIR) : path.resolve(PROJECT_ROOT, '..', 'shared');
  return fs.existsSync(dir) ? dir : undefined;
}
