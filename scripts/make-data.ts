/**
 * Writes the synthetic dataset (Cornell on-disk format) that grasplab uses by default.
 *
 *   npm run data                       # data/synthetic/<preset>-<fingerprint>-s2018-n<count> (the folder the notebooks
 *                                      # use: GRASPLAB_DATA_DIR, GRASPLAB_SYNTHETIC, size from GRASPLAB_PROFILE)
 *   tsx scripts/make-data.ts --if-missing            # skip when a complete set of that size/seed/config is there
 *   tsx scripts/make-data.ts --out DIR --count N --seed S [--preset cornell|no-tilt|v1|...]
 *
 * A held-out test split of the same generator: the same preset with another seed, e.g. `--seed 7001 --count 500`.
 */
import * as path from 'path';
import { currentDataset } from '../lib/config/paths';
import { currentProfile } from '../lib/config/profiles';
import { isCompleteSyntheticSet, SYNTHETIC_DEFAULT_SEED, writeSyntheticDataset } from '../lib/data/synthetic';
import { currentSyntheticConfig, SYNTHETIC_PRESETS, type SyntheticConfig } from '../lib/config/synthetic';

interface Args {
  out: string;
  count: number;
  seed: number;
  ifMissing: boolean;
  preset: string;
  config: SyntheticConfig;
}

function usage(msg: string): never {
  console.error(`make-data: ${msg}\nusage: tsx scripts/make-data.ts [--out DIR] [--count N] [--seed S] [--preset NAME] [--if-missing]`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const ds = currentDataset({ ...process.env, GRASPLAB_DATASET: 'synthetic' });
  const current = currentSyntheticConfig();
  const args: Args = {
    out: ds.dir,
    count: currentProfile().syntheticScenes,
    seed: SYNTHETIC_DEFAULT_SEED,
    ifMissing: false,
    preset: current.name,
    config: current.config,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    const int = (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n)) usage(`${a} expects an integer, got "${v}"`);
      return n;
    };
    if (a === '--out') args.out = path.resolve(value());
    else if (a === '--count') args.count = int(value());
    else if (a === '--seed') args.seed = int(value());
    else if (a === '--if-missing') args.ifMissing = true;
    else if (a === '--preset') {
      args.preset = value();
      if (!SYNTHETIC_PRESETS[args.preset]) usage(`--preset ${args.preset}: use one of ${Object.keys(SYNTHETIC_PRESETS).join(', ')}`);
      args.config = SYNTHETIC_PRESETS[args.preset];
    }
    else if (a === '--help' || a === '-h') usage('help');
    else usage(`unknown argument "${a}"`);
  }
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.ifMissing && isCompleteSyntheticSet(args.out, args)) {
    console.log(`make-data: ${args.out} already holds ${args.count} synthetic scenes (seed ${args.seed}, generator ${args.preset}); nothing to do`);
    return;
  }
  const t0 = Date.now();
  let last = 0;
  await writeSyntheticDataset(args.out, {
    count: args.count,
    seed: args.seed,
    config: args.config,
    onProgress: (done, total) => {
      if (process.stdout.isTTY && (Date.now() - last > 500 || done === total)) {
        last = Date.now();
        process.stdout.write(`\rmake-data: ${done}/${total} scenes`);
      }
    },
  });
  if (process.stdout.isTTY) process.stdout.write('\n');
  const secs = (Date.now() - t0) / 1000;
  console.log(`make-data: wrote ${args.count} synthetic scenes (seed ${args.seed}, generator ${args.preset}) to ${args.out} in ${secs.toFixed(1)} s (${((1000 * secs) / args.count).toFixed(0)} ms per scene)`);
}

main().catch((e) => {
  console.error(`make-data: ${(e as Error).message}`);
  process.exit(1);
});
