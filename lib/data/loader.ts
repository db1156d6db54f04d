import * as tf from '@tensorflow/tfjs';
import { GraspMaps, MAP_CHANNELS, RawSample, Sample } from '../types';
import { ConfigError, DatasetNotFoundError } from '../errors';
import { DatasetEntry, GraspDataset } from './dataset';
import { defaultCrop, inpaintSample, preprocess, PreprocessOptions } from './preprocess';
import { drawTargets } from './targets';
import { Rng } from './random';

/** One batch. The caller owns and disposes `x` and `y`. */
export interface Batch {
  /** normalised depth, [B,S,S,1] */
  x: tf.Tensor4D;
  /** targets pos, cos, sin, width (MAP_CHANNELS order), [B,S,S,4] */
  y: tf.Tensor4D;
  samples: Sample[];
}

export interface BatchLoaderOptions {
  batchSize: number;
  preprocess: PreprocessOptions;
  seed: number;
  /** shuffle the entries on every pass (training); otherwise keep their order */
  shuffle: boolean;
  /**
   * Byte budget for keeping decoded, inpainted raw samples in memory (default 128 MiB, 0 = off). The cache
   * fills in first-seen order and then stops (no eviction): with the cyclic access of epochs, an LRU would miss
   * every time, while a fixed set keeps its share of hits.
   */
  cacheBytes?: number;
  /** a cache shared with other loaders (e.g. one per epoch over the same entries); overrides `cacheBytes` */
  cache?: RawSampleCache;
}

/**
 * Decoded, inpainted raw samples by entry id, up to a byte budget. It fills in first-seen order and then stops (no
 * eviction): with the cyclic access of epochs an LRU would miss every time, while a fixed set keeps its share of
 * hits. Shared between loaders, it saves re-decoding the same files in every epoch's loader.
 */
export class RawSampleCache {
  private readonly map = new Map<string, RawSample>();
  private used = 0;
  constructor(readonly budgetBytes: number) {}

  get(id: string): RawSample | undefined {
    return this.map.get(id);
  }

  /** Keeps `raw` if it fits in the budget. */
  offer(id: string, raw: RawSample): void {
    if (this.map.has(id)) return;
    const bytes = raw.depth.data.byteLength + raw.grasps.length * 64;
    if (this.used + bytes > this.budgetBytes) return;
    this.map.set(id, raw);
    this.used += bytes;
  }

  get bytes(): number {
    return this.used;
  }
}

const DEFAULT_CACHE_BYTES = 128 * 2 ** 20;

/**
 * Seeded, endless batches from a dataset: decode → preprocess (augmentation as `opts.preprocess`) → target maps
 * → tensors, batch by batch (the dataset is never held as tensors). Deterministic for a seed: the order and
 * the augmentation of the k-th sample drawn depend only on `seed` and k.
 * @example
 * const loader = new BatchLoader(ds, split.train, { batchSize: 8, seed: 1, shuffle: true,
 *   preprocess: { outputSize: 300, rotate: 'quarter', zoom: true } });
 * const { x, y } = await loader.nextBatch(); // x [8,300,300,1], y [8,300,300,4]
 * tf.dispose([x, y]);
 */
export class BatchLoader {
  readonly preprocessOptions: PreprocessOptions;
  private readonly order: number[];
  private readonly orderRng: Rng;
  private readonly augRoot: Rng;
  private cursor = 0;
  private drawn = 0;
  private passes = 0;
  private readonly cache: RawSampleCache;

  constructor(
    readonly ds: GraspDataset,
    readonly entries: readonly DatasetEntry[],
    readonly opts: BatchLoaderOptions,
  ) {
    if (entries.length === 0) throw new ConfigError(`BatchLoader: no entries to load from ${ds.dir}`);
    if (!(Number.isInteger(opts.batchSize) && opts.batchSize >= 1)) {
      throw new ConfigError(`BatchLoader: batchSize must be a positive integer, got ${opts.batchSize}`);
    }
    this.cache = opts.cache ?? new RawSampleCache(opts.cacheBytes ?? DEFAULT_CACHE_BYTES);
    this.preprocessOptions = { ...opts.preprocess, crop: opts.preprocess.crop ?? defaultCrop(ds.kind) };
    const root = new Rng(opts.seed);
    this.orderRng = root.fork(1);
    this.augRoot = root.fork(2);
    this.order = entries.map((_, i) => i);
    if (opts.shuffle) this.orderRng.shuffle(this.order);
  }

  /** Completed passes over the entries. */
  get epoch(): number {
    return this.passes;
  }

  /**
   * Next `batchSize` samples; wraps around (reshuffling when `shuffle`) at the end of a pass. Samples without grasp
   * rectangles are passed over (the dataset warned about each once): they have no target to train on.
   */
  async nextBatch(): Promise<Batch> {
    const { picks, raws } = await this.drawBatch();
    const samples = raws.map((raw, i) => preprocess(raw, this.preprocessOptions, this.augRoot.fork(picks[i].k)));
    return { ...batchTensors(samples, this.preprocessOptions.outputSize), samples };
  }

  /** Advances past `n` batches as `nextBatch` would draw them, without preprocessing (a resumed epoch's start). */
  async skipBatches(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await this.drawBatch();
  }

  /** The entries (and their raw samples) of the next batch, in draw order, skipping samples without grasps. */
  private async drawBatch(): Promise<{ picks: { entry: DatasetEntry; k: number }[]; raws: RawSample[] }> {
    const picks: { entry: DatasetEntry; k: number }[] = [];
    const raws: RawSample[] = [];
    let passedOver = 0;
    while (picks.length < this.opts.batchSize) {
      const want: { entry: DatasetEntry; k: number }[] = [];
      for (let b = picks.length; b < this.opts.batchSize; b++) want.push(this.draw());
      const loaded = await Promise.all(want.map((p) => this.loadRaw(p.entry)));
      loaded.forEach((raw, i) => {
        if (raw.grasps.length > 0) {
          picks.push(want[i]);
          raws.push(raw);
        } else passedOver++;
      });
      if (picks.length === 0 && passedOver >= this.entries.length) {
        throw new DatasetNotFoundError(`BatchLoader: none of the ${this.entries.length} samples in ${this.ds.dir} has a grasp rectangle`);
      }
    }
    return { picks, raws };
  }

  private draw(): { entry: DatasetEntry; k: number } {
    const pick = { entry: this.entries[this.order[this.cursor++]], k: this.drawn++ };
    if (this.cursor >= this.order.length) {
      this.cursor = 0;
      this.passes++;
      if (this.opts.shuffle) this.orderRng.shuffle(this.order);
    }
    return pick;
  }

  /**
   * The first `limit` entries (all by default), in the given order, each preprocessed once with a fixed
   * per-entry random stream: the same samples on every call (for validation). Pass preprocess options without
   * rotate/zoom for unaugmented samples. Entries without grasp rectangles are left out (they cannot be scored).
   */
  async samples(limit?: number): Promise<Sample[]> {
    const n = limit === undefined ? this.entries.length : Math.min(Math.max(0, Math.floor(limit)), this.entries.length);
    const fixed = new Rng(this.opts.seed).fork(3);
    const out: Sample[] = [];
    for (let i = 0; i < n; i += 8) {
      const chunk = this.entries.slice(i, Math.min(n, i + 8));
      const raws = await Promise.all(chunk.map((e) => this.loadRaw(e)));
      raws.forEach((raw, j) => {
        if (raw.grasps.length > 0) out.push(preprocess(raw, this.preprocessOptions, fixed.fork(i + j)));
      });
    }
    return out;
  }

  /** Bytes held by the raw-sample cache (shared with other loaders when one was given). */
  get cachedBytes(): number {
    return this.cache.bytes;
  }

  private async loadRaw(entry: DatasetEntry): Promise<RawSample> {
    const hit = this.cache.get(entry.id);
    if (hit) return hit;
    const raw = await this.ds.load(entry);
    // inpaint once here so cached samples skip it (preprocess then finds no holes)
    const prepared: RawSample = { ...raw, depth: inpaintSample(raw.depth).image };
    this.cache.offer(entry.id, prepared);
    return prepared;
  }
}

/**
 * Stacks samples into tensors: x [B,S,S,1] (normalised depth), y [B,S,S,4] (targets in MAP_CHANNELS order,
 * drawn with `drawTargets`). Caller disposes.
 */
export function batchTensors(samples: readonly Sample[], size: number): { x: tf.Tensor4D; y: tf.Tensor4D } {
  const B = samples.length;
  const P = size * size;
  const x = new Float32Array(B * P);
  const y = new Float32Array(B * P * 4);
  samples.forEach((s, b) => {
    if (s.depth.height !== size || s.depth.width !== size) {
      throw new ConfigError(`sample ${s.id} is ${s.depth.height}x${s.depth.width}, expected ${size}x${size}`);
    }
    x.set(s.depth.data, b * P);
    const maps: GraspMaps = drawTargets(s.grasps, size);
    MAP_CHANNELS.forEach((name, ch) => {
      const m = maps[name].data;
      const base = b * P * 4 + ch;
      for (let i = 0; i < P; i++) y[base + 4 * i] = m[i];
    });
  });
  return { x: tf.tensor4d(x, [B, size, size, 1]), y: tf.tensor4d(y, [B, size, size, 4]) };
}
