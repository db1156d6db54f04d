import * as fs from 'fs';
import * as path from 'path';
import { currentDataset, type DatasetChoice, type DatasetKind } from '../config/paths';
import { ConfigError, DatasetNotFoundError } from '../errors';
import { CORNELL_PATTERN, listCornell } from './cornell';
import { JACQUARD_PATTERN, listJacquard } from './jacquard';
import { readSyntheticManifest } from './synthetic';
import { syntheticTestDir } from './test_split';

/**
 * Which dataset a command works on, from what the user gave: a kind and/or a folder. Missing pieces come from
 * `GRASPLAB_DATASET` / `GRASPLAB_DATA_DIR` (lib/config/paths `currentDataset`); a folder given without a kind is
 * recognised by its files (a synthetic set's manifest, Jacquard's `*_grasps.txt`, Cornell's `pcd*cpos.txt`).
 */
export function resolveDatasetChoice(given: { kind?: DatasetKind; dir?: string }, env: NodeJS.ProcessEnv = process.env): DatasetChoice & { detected: boolean } {
  if (given.kind) {
    return { ...currentDataset({ ...env, GRASPLAB_DATASET: given.kind, GRASPLAB_DATA_DIR: given.dir ?? env.GRASPLAB_DATA_DIR }), detected: false };
  }
  if (given.dir === undefined) return { ...currentDataset(env), detected: false };
  const dir = path.resolve(given.dir);
  return { kind: detectDatasetKind(dir), dir, detected: true };
}

/** The format of a dataset folder, from its files. */
export function detectDatasetKind(dir: string): DatasetKind {
  if (!fs.existsSync(dir)) throw new DatasetNotFoundError(`dataset folder ${dir} does not exist`);
  if (!fs.statSync(dir).isDirectory()) throw new DatasetNotFoundError(`${dir} is a file, not a dataset folder`);
  if (readSyntheticManifest(dir)) return 'synthetic';
  if (listJacquard(dir).length > 0) return 'jacquard';
  if (listCornell(dir).length > 0) return 'cornell';
  throw new DatasetNotFoundError(
    `${dir} holds neither Cornell-format samples (${CORNELL_PATTERN}) nor Jacquard samples (${JACQUARD_PATTERN}); give --dataset and check the folder`,
  );
}

/** Splits a command can score. `test` exists only where the dataset has a held-out test split. */
export type EvalSplit = 'all' | 'train' | 'val' | 'test';

/**
 * The held-out test split of a dataset, if it has one: the synthetic set's is `<dir>-test` (lib/data/test_split.ts;
 * generated on first use, so it always exists); another folder has one when a Cornell-format folder `<dir>-test`
 * holds samples beside it. Real Cornell and Jacquard folders have none (they keep their image-wise/object-wise
 * train/val splits).
 */
export function testSplitOf(choice: DatasetChoice): DatasetChoice | undefined {
  const dir = syntheticTestDir(choice.dir);
  return choice.kind === 'synthetic' || listCornell(dir).length > 0 ? { kind: choice.kind, dir } : undefined;
}

/**
 * The default split to score: `test` where the dataset has one; else `all` for a folder the user named on the
 * command line (a folder of their own is scored whole); else `val`, the split every training run is validated on.
 */
export function defaultEvalSplit(choice: DatasetChoice, folderGiven: boolean): EvalSplit {
  if (testSplitOf(choice)) return 'test';
  return folderGiven ? 'all' : 'val';
}

/** `testSplitOf`, or an error saying which splits the dataset has. */
export function requireTestSplit(choice: DatasetChoice): DatasetChoice {
  const t = testSplitOf(choice);
  if (t) return t;
  throw new ConfigError(
    `the ${choice.kind} dataset in ${choice.dir} has no test split (looked for ${path.resolve(choice.dir)}-test); ` +
      `use --split all (every image), or --split val / train (the image-wise 90/10 split of training)`,
  );
}
