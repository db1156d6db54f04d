/**
 * Writes the synthetic dataset (Cornell on-disk format) that grasplab uses by default.
 *
 *   npm run data                       # data/synthetic (or GRASPLAB_DATA_DIR when GRASPLAB_DATASET=synthetic),
 *                                      # size from the profile (GRASPLAB_PROFILE), fixed seed
 *   tsx scripts/make-data.ts --if-missing            # skip when a complete set of that size/seed/version is there
 *   tsx scripts/make-data.ts --out DIR --count N --seed S
 */
import * as path from 'path';
import { currentDataset, PROJECT_ROOT } from '../lib/config/paths';
import { currentProfile } from '../lib/config/profiles';
import { isCompleteSyntheticSet, SYNTHETIC_DEFAULT_SEED, writeSyntheticDataset } from '../lib/data/synthetic';

interface Args {
  out: string;
  count: number;
  seed: number;
  ifMissing: boolean;
}

function usage(msg: string): never {
  console.error(`make-data: ${msg}\nusage: tsx scripts/make-data.ts [--out DIR] [--count N] [--seed S] [--if-missing]`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const ds = currentDataset();
  const args: Args = {
    out: ds.kind === 'synthetic' ? ds.dir : path.join(PROJECT_ROOT, 'data', 'synthetic'),
    count: currentProfile().syntheticScenes,
    seed: SYNTHETIC_DEFAULT_SEED,
    ifMissing: false,
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
    else if (a === '--help' || a === '-h') usage('help');
    else usage(`unknown argument "${a}"`);
  }
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.ifMissing && isCompleteSyntheticSet(args.out, args)) {
    console.log(`make-data: ${args.out} already holds ${args.count} synthetic scenes (seed ${args.seed}); nothing to do`);
    return;
  }
  const t0 = Date.now();
  let last = 0;
  await writeSyntheticDataset(args.out, {
    count: args.count,
    seed: args.seed,
    onProgress: (done, total) => {
      if (process.stdout.isTTY && (Date.now() - last > 500 || done === total)) {
        last = Date.now();
        process.stdout.write(`\rmake-data: ${done}/${total} scenes`);
      }
    },
  });
  if (process.stdout.isTTY) process.stdout.write('\n');
  console.log(`make-data: wrote ${args.count} synthetic scenes (seed ${args.seed}) to ${args.out} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

main().catch((e) => {
  console.error(`make-data: ${(e as Error).message}`);
  process.exit(1);
});
