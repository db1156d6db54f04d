import * as fs from 'fs';
import { RawSample, GraspRectPoints } from '../types';
import { DatasetNotFoundError } from '../errors';
import { DatasetChoice, DatasetKind } from '../config/paths';
import { CORNELL_PATTERN, CornellListing, listCornell, loadCornellSample, readCornellGrasps } from './cornell';
import { JACQUARD_PATTERN, JacquardListing, listJacquard, loadJacquardSample } from './jacquard';
import { readRgbPng, RgbImage } from './png';

/** One sample of a dataset: what splits and loaders pass around. */
export interface DatasetEntry {
  /** e.g. `01/pcd0100` (Cornell, synthetic) or `0_1a9f…` (Jacquard) */
  id: string;
  /** object group for object-wise splits: the `NN` folder (Cornell, synthetic) or the object hash (Jacquard) */
  objectId: string;
}

export interface GraspDataset {
  kind: DatasetKind;
  dir: string;
  /** sorted as on disk */
  entries: DatasetEntry[];
  /** Depth (metres, as stored: may hold 0/NaN holes) and positive rectangles of one entry. */
  load(entry: DatasetEntry): Promise<RawSample>;
  /** The RGB image (for display only; the models use depth). */
  loadRgb(entry: DatasetEntry): Promise<RgbImage>;
  /** Negative rectangles (Cornell-format `cneg.txt`; Jacquard has none → []). */
  loadNegatives(entry: DatasetEntry): Promise<GraspRectPoints[]>;
  /** The files behind an entry, for messages and display. */
  files(entry: DatasetEntry): Record<string, string>;
}

export interface OpenDatasetOptions {
  /**
   * Receives non-fatal problems (e.g. a rectangle with NaN coordinates skipped, a sample without grasps, naming the
   * file), each once, so an endless loader does not repeat it every epoch. Default: `console.warn`.
   */
  onWarning?: (msg: string) => void;
}

/**
 * Opens a dataset folder and lists its samples (files are read lazily by `load`).
 * @throws DatasetNotFoundError when the folder is missing or holds no sample of that kind, naming the folder and
 *         the pattern looked for.
 * @example const ds = await openDataset(currentDataset()); const raw = await ds.load(ds.entries[0]);
 */
export async function openDataset(choice: DatasetChoice, opts: OpenDatasetOptions = {}): Promise<GraspDataset> {
  const warn = oncePerMessage(opts.onWarning ?? ((m) => console.warn(`warning: ${m}`)));
  switch (choice.kind) {
    case 'cornell':
    case 'synthetic': {
      const listing = listCornell(choice.dir);
      if (listing.length === 0) throw notFound(choice, CORNELL_PATTERN);
      return new CornellFormatDataset(choice.kind, choice.dir, listing, warn);
    }
    case 'jacquard': {
      const listing = listJacquard(choice.dir);
      if (listing.length === 0) throw notFound(choice, JACQUARD_PATTERN);
      return new JacquardDataset(choice.dir, listing, warn);
    }
    default: {
      const never: never = choice.kind;
      throw new DatasetNotFoundError(`unknown dataset kind ${String(never)}`);
    }
  }
}

function notFound(choice: DatasetChoice, pattern: string): DatasetNotFoundError {
  const where = fs.existsSync(choice.dir) ? `no ${pattern} under ${choice.dir}` : `dataset folder ${choice.dir} does not exist (looked for ${pattern})`;
  const hint =
    choice.kind === 'synthetic'
      ? 'run `npm run data` to generate the synthetic set'
      : `put the ${choice.kind} dataset there or set GRASPLAB_DATA_DIR (see data/README.md)`;
  return new DatasetNotFoundError(`${choice.kind}: ${where}; ${hint}`);
}

function oncePerMessage(f: (m: string) => void): (m: string) => void {
  const seen = new Set<string>();
  return (m) => {
    if (seen.has(m)) return;
    seen.add(m);
    f(m);
  };
}

abstract class ListedDataset<L extends DatasetEntry> implements GraspDataset {
  readonly entries: DatasetEntry[];
  private readonly byId: Map<string, L>;

  constructor(
    readonly kind: DatasetKind,
    readonly dir: string,
    listing: L[],
  ) {
    this.byId = new Map(listing.map((l) => [l.id, l]));
    this.entries = listing.map((l) => ({ id: l.id, objectId: l.objectId }));
  }

  protected listing(entry: DatasetEntry): L {
    const l = this.byId.get(entry.id);
    if (!l) throw new DatasetNotFoundError(`${this.kind}: no entry "${entry.id}" in ${this.dir}`);
    return l;
  }

  abstract load(entry: DatasetEntry): Promise<RawSample>;
  abstract loadRgb(entry: DatasetEntry): Promise<RgbImage>;
  abstract loadNegatives(entry: DatasetEntry): Promise<GraspRectPoints[]>;
  abstract files(entry: DatasetEntry): Record<string, string>;
}

class CornellFormatDataset extends ListedDataset<CornellListing> {
  constructor(
    kind: DatasetKind,
    dir: string,
    listing: CornellListing[],
    private readonly warn: (msg: string) => void,
  ) {
    super(kind, dir, listing);
  }
  async load(entry: DatasetEntry): Promise<RawSample> {
    return loadCornellSample(this.listing(entry), this.warn, this.kind);
  }
  async loadRgb(entry: DatasetEntry): Promise<RgbImage> {
    return readRgbPng(this.listing(entry).files.rgb);
  }
  async loadNegatives(entry: DatasetEntry): Promise<GraspRectPoints[]> {
    const f = this.listing(entry).files.cneg;
    return fs.existsSync(f) ? readCornellGrasps(f, this.warn) : [];
  }
  files(entry: DatasetEntry): Record<string, string> {
    return { ...this.listing(entry).files };
  }
}

class JacquardDataset extends ListedDataset<JacquardListing> {
  constructor(
    dir: string,
    listing: JacquardListing[],
    private readonly warn: (msg: string) => void,
  ) {
    super('jacquard', dir, listing);
  }
  async load(entry: DatasetEntry): Promise<RawSample> {
    return loadJacquardSample(this.listing(entry), this.warn);
  }
  async loadRgb(entry: DatasetEntry): Promise<RgbImage> {
    return readRgbPng(this.listing(entry).files.rgb);
  }
  async loadNegatives(): Promise<GraspRectPoints[]> {
    return [];
  }
  files(entry: DatasetEntry): Record<string, string> {
    return { ...this.listing(entry).files };
  }
}
