import { ConfigError } from '../errors';
import { DatasetEntry } from './dataset';
import { Rng } from './random';

export interface SplitOptions {
  /**
   * 'image': entries shuffled with `seed`, then cut (image-wise, IW);
   * 'object': entries kept in dataset order and cut at an object boundary, so no objectId is on both sides
   * (object-wise, OW: skumra's "the Cornell dataset if read sequentially is object-wise"; `seed` is unused).
   */
  mode: 'image' | 'object';
  /** share of entries for training, in (0, 1) (ggcnn `--split 0.9`) */
  trainFraction: number;
  seed: number;
}

/**
 * Train/validation split. Both sides are non-empty whenever that is possible (≥ 2 entries, or ≥ 2 objects
 * for 'object'). In 'object' mode the cut is the object boundary closest to `trainFraction`.
 */
export function splitEntries(entries: readonly DatasetEntry[], opts: SplitOptions): { train: DatasetEntry[]; val: DatasetEntry[] } {
  const f = opts.trainFraction;
  if (!(f > 0 && f < 1)) throw new ConfigError(`trainFraction must be in (0, 1), got ${f}`);
  const n = entries.length;
  if (opts.mode === 'image') {
    const order = new Rng(opts.seed).shuffle(entries.slice());
    const cut = n < 2 ? n : Math.min(n - 1, Math.max(1, Math.round(n * f)));
    return { train: order.slice(0, cut), val: order.slice(cut) };
  }
  if (opts.mode !== 'object') throw new ConfigError(`split mode must be 'image' or 'object', got ${String(opts.mode)}`);

  // groups in order of first appearance; entries of one object need not be adjacent
  const groups = new Map<string, DatasetEntry[]>();
  for (const e of entries) {
    const g = groups.get(e.objectId);
    if (g) g.push(e);
    else groups.set(e.objectId, [e]);
  }
  const list = [...groups.values()];
  if (list.length < 2) return { train: list.flat(), val: [] };
  // choose the number of leading groups whose size is closest to f·n, keeping at least one group per side
  const target = f * n;
  let best = 1;
  let bestErr = Infinity;
  let acc = 0;
  for (let k = 1; k < list.length; k++) {
    acc += list[k - 1].length;
    const err = Math.abs(acc - target);
    if (err < bestErr) {
      bestErr = err;
      best = k;
    }
  }
  return { train: list.slice(0, best).flat(), val: list.slice(best).flat() };
}
