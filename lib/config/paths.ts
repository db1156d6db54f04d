import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError } from '../errors';
import { currentProfile } from './profiles';
import { currentSyntheticConfig, SYNTHETIC_SEED, syntheticSetName, type SyntheticConfig } from './synthetic';

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
  /** root folder of the dataset on disk (synthetic: the folder of the one set this configuration uses) */
  dir: string;
  /** synthetic only: the set to generate there when it is missing */
  synthetic?: { name: string; config: SyntheticConfig; seed: number; count: number };
}

/**
 * The dataset every notebook and CLI uses: `GRASPLAB_DATASET=cornell|jacquard|synthetic` (default synthetic)
 * and `GRASPLAB_DATA_DIR` (default `data/<kind>`).
 *
 * Synthetic sets live one folder per generator configuration, seed and size:
 * `<root>/<preset>-<fingerprint>-s<seed>-n<count>/`, with the generator preset from `GRASPLAB_SYNTHETIC` (default
 * 'cornell') and the size from the profile, so switching profile or generator never regenerates a set that exists.
 * `<root>` is `GRASPLAB_DATA_DIR`, else `data/synthetic`, except for the smoke profile: a folder in the system temp
 * dir (tests never write into the checkout). A `GRASPLAB_DATA_DIR` that itself holds a set (`manifest.json`, e.g.
 * written by `make-data --out`) is used as it is.
 */
export function currentDataset(env: NodeJS.ProcessEnv = process.env): DatasetChoice {
  const kind = (env.GRASPLAB_DATASET ?? 'synthetic').trim();
  if (kind !== 'cornell' && kind !== 'jacquard' && kind !== 'synthetic') {
    throw new ConfigError(`GRASPLAB_DATASET=${kind} is not a dataset; use cornell, jacquard or synthetic`);
  }
  if (kind !== 'synthetic') return { kind, dir: env.GRASPLAB_DATA_DIR ? path.resolve(env.GRASPLAB_DATA_DIR) : path.join(PROJECT_ROOT, 'data', kind) };
  const profile = currentProfile(env);
  const { config } = currentSyntheticConfig(env);
  const set = { config, seed: SYNTHETIC_SEED, count: profile.syntheticScenes, name: syntheticSetName(config, SYNTHETIC_SEED, profile.syntheticScenes) };
  if (env.GRASPLAB_DATA_DIR) {
    const root = path.resolve(env.GRASPLAB_DATA_DIR);
    if (fs.existsSync(path.join(root, 'manifest.json'))) return { kind, dir: root, synthetic: set };
    return { kind, dir: path.join(root, set.name), synthetic: set };
  }
  const root = profile.name === 'smoke' ? path.join(os.tmpdir(), 'grasplab-synthetic') : path.join(PROJECT_ROOT, 'data', 'synthetic');
  return { kind, dir: path.join(root, set.name), synthetic: set };
}

/**
 * Gives the `reference` and `paper` profiles their own synthetic data root, `data/synthetic-<profile>` (unless
 * GRASPLAB_DATA_DIR is set or the dataset is not synthetic): their sets have other sizes than the cpu profile's
 * `data/synthetic`, and the reference runs and the long sim-to-real runs then share one copy. (`smoke` keeps its
 * temp folder, `cpu` data/synthetic.)
 */
export function useProfileDataRoot(profile: string, env: NodeJS.ProcessEnv = process.env): void {
  if (profile === 'cpu' || profile === 'smoke' || env.GRASPLAB_DATA_DIR || (env.GRASPLAB_DATASET ?? 'synthetic') !== 'synthetic') return;
  env.GRASPLAB_DATA_DIR = path.join(PROJECT_ROOT, 'data', `synthetic-${profile}`);
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
