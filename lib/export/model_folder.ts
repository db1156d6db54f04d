import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_ROOT } from '../config/paths';
import { ConfigError, DataFormatError } from '../errors';

/**
 * What a user may pass as a model (`grasplab eval|predict|export|latency --model PATH`), resolved to the folder that
 * holds model.json (TensorFlow.js layers format):
 * - a model folder: `models/<name>` (with its `card.json`), a `grasplab export` or `grasplab import` output, a
 *   checkpoint (`results/runs/<name>/best` or `last`);
 * - a training run folder (`results/runs/<name>`): its `best/` checkpoint;
 * - a model.json file: its folder;
 * - a bare name found under the project's `models/` folder (`ggcnn-reference`).
 * PyTorch weights (`.npz`, `.pth`) are not a model folder: the error says how to convert them.
 * File-system checks only (no tfjs), so a wrong path fails before a backend loads.
 */
export interface ModelFolder {
  /** the path as given */
  given: string;
  /** absolute folder holding model.json */
  dir: string;
  /** how `given` was read */
  kind: 'model folder' | 'run folder (best checkpoint)' | 'model.json' | 'models/ name';
  /** the folder's card.json (reference models in models/), if any */
  card?: Record<string, unknown>;
}

export const MODEL_CARD = 'card.json';

export function resolveModelFolder(given: string, opts: { modelsDir?: string } = {}): ModelFolder {
  const abs = path.resolve(given);
  const ext = path.extname(given).toLowerCase();
  if (ext === '.npz') {
    throw new ConfigError(
      `${given}: PyTorch weights (.npz), not a model folder; convert them first: ` +
        `grasplab import --from ${given} --model ggcnn|ggcnn2|pspnet --out DIR, then pass --model DIR`,
    );
  }
  if (ext === '.pth' || ext === '.pt') {
    throw new ConfigError(`${given}: a PyTorch checkpoint; save its state dict as .npz (README, "PyTorch weights"), then run grasplab import on it`);
  }
  if (!fs.existsSync(abs)) {
    const models = opts.modelsDir ?? path.join(PROJECT_ROOT, 'models');
    const named = path.join(models, given);
    if (!given.includes('/') && !given.includes(path.sep) && fs.existsSync(path.join(named, 'model.json'))) {
      return withCard({ given, dir: named, kind: 'models/ name' });
    }
    throw new DataFormatError(abs, 'no such model folder or file (expected a folder with model.json, e.g. models/<name> or results/runs/<name>/best)');
  }
  const st = fs.statSync(abs);
  if (st.isFile()) {
    if (path.basename(abs) === 'model.json') return withCard({ given, dir: path.dirname(abs), kind: 'model.json' });
    throw new DataFormatError(abs, 'is a file, not a model folder (expected a folder with model.json + weight files)');
  }
  if (fs.existsSync(path.join(abs, 'model.json'))) return withCard({ given, dir: abs, kind: 'model folder' });
  const best = path.join(abs, 'best');
  if (fs.existsSync(path.join(best, 'model.json'))) return withCard({ given, dir: best, kind: 'run folder (best checkpoint)' });
  const hint = fs.existsSync(path.join(abs, 'run.json')) ? ' (a training run without a best checkpoint yet: has it finished an epoch?)' : '';
  throw new DataFormatError(abs, `holds no model.json${hint}; expected a model folder (models/<name>, an export, or a checkpoint such as results/runs/<name>/best)`);
}

function withCard(m: ModelFolder): ModelFolder {
  const file = path.join(m.dir, MODEL_CARD);
  if (!fs.existsSync(file)) return m;
  try {
    const card = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    if (typeof card !== 'object' || card === null || Array.isArray(card)) throw new Error('not a JSON object');
    return { ...m, card: card as Record<string, unknown> };
  } catch (e) {
    throw new DataFormatError(file, `unreadable model card: ${e instanceof Error ? e.message : String(e)}`);
  }
}
