import * as fs from 'fs';
import * as path from 'path';
import { GraspRectPoints, Image2D, RawSample } from '../types';
import { DataFormatError } from '../errors';
import { readDepthTiff } from './tiff';
import { readPcdDepth } from './pcd';
import { isMissing } from './image';
import { pyRound } from '../py_math';

/**
 * Cornell grasping dataset on disk (also the format of grasplab's synthetic set):
 * `<dir>/NN/pcdXXXXcpos.txt` (positive rectangles), `pcdXXXXcneg.txt` (negative), `pcdXXXXr.png` (RGB),
 * depth as `pcdXXXXd.tiff` (float32 metres, ggcnn's `generate_cornell_depth.py` output) or else the raw point
 * cloud `pcdXXXX.txt`.
 */

/** Where one Cornell sample's files are. */
export interface CornellFiles {
  cpos: string;
  cneg: string;
  depthTiff: string;
  pcd: string;
  rgb: string;
}

export interface CornellListing {
  id: string;
  /** the `NN` folder: Cornell numbers images sequentially object by object, so folders group objects */
  objectId: string;
  files: CornellFiles;
}

const CPOS = /^pcd(\d+)cpos\.txt$/;

/** The pattern a Cornell-format folder must match, for error messages. */
export const CORNELL_PATTERN = '*/pcd*cpos.txt';

/** Lists `<dir>/*\/pcdXXXXcpos.txt`, sorted by folder then image number (ggcnn: glob + sort). */
export function listCornell(dir: string): CornellListing[] {
  if (!fs.existsSync(dir)) return [];
  const out: CornellListing[] = [];
  const folders = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  for (const folder of folders) {
    const names = fs.readdirSync(path.join(dir, folder)).filter((n) => CPOS.test(n)).sort();
    for (const name of names) {
      const num = CPOS.exec(name)![1];
      const base = path.join(dir, folder, `pcd${num}`);
      out.push({
        id: `${folder}/pcd${num}`,
        objectId: folder,
        files: { cpos: `${base}cpos.txt`, cneg: `${base}cneg.txt`, depthTiff: `${base}d.tiff`, pcd: `${base}.txt`, rgb: `${base}r.png` },
      });
    }
  }
  return out;
}

/**
 * Parses a Cornell rectangle file: 4 lines `x y` per rectangle (p0→p1 the jaw opening), converted as ggcnn
 * `load_from_cornell_file` does to integer corners `[row, col] = [round(y), round(x)]` (Python's round, ties to even:
 * `pyRound`), which is what ggcnn's crop centre, targets and IoU are computed from. A rectangle with a NaN coordinate
 * is skipped and reported through `warn` (real case: `01/pcd0165cpos.txt`); any other malformed line is an error.
 */
export function parseCornellGrasps(text: string, file: string, warn: (msg: string) => void = () => {}): GraspRectPoints[] {
  const lines = text
    .split(/\r?\n/)
    .map((l, i) => ({ text: l.trim(), no: i + 1 }))
    .filter((l) => l.text !== '');
  if (lines.length % 4 !== 0) {
    throw new DataFormatError(file, `${lines.length} coordinate lines is not a multiple of 4 (4 corners per rectangle)`);
  }
  const rects: GraspRectPoints[] = [];
  let skipped = 0;
  for (let k = 0; k < lines.length; k += 4) {
    const pts: [number, number][] = [];
    let nan = false;
    for (let j = 0; j < 4; j++) {
      const { text: t, no } = lines[k + j];
      const parts = t.split(/\s+/);
      if (parts.length !== 2) throw new DataFormatError(file, `line ${no}: expected "x y", found "${t.slice(0, 60)}"`);
      const [x, y] = parts.map(Number);
      for (const [s, v] of [
        [parts[0], x],
        [parts[1], y],
      ] as const) {
        if (Number.isNaN(v)) {
          if (/^[+-]?nan$/i.test(s)) nan = true;
          else throw new DataFormatError(file, `line ${no}: "${s}" is not a number`);
        }
      }
      pts.push([pyRound(y), pyRound(x)]);
    }
    if (nan) {
      skipped++;
      continue;
    }
    rects.push(pts as GraspRectPoints);
  }
  if (skipped > 0) warn(`${file}: skipped ${skipped} rectangle(s) with NaN coordinates`);
  return rects;
}

/** Reads and parses a Cornell rectangle file (`cpos`/`cneg`). */
export async function readCornellGrasps(file: string, warn?: (msg: string) => void): Promise<GraspRectPoints[]> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (e) {
    throw new DataFormatError(file, `cannot read grasp rectangles (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseCornellGrasps(text, file, warn);
}

/** Depth of a Cornell sample: `pcdXXXXd.tiff` when present, else the point cloud `pcdXXXX.txt` (not inpainted). */
export async function readCornellDepth(files: CornellFiles): Promise<{ depth: Image2D; file: string }> {
  let file: string;
  let depth: Image2D;
  if (fs.existsSync(files.depthTiff)) {
    file = files.depthTiff;
    depth = await readDepthTiff(file);
  } else if (fs.existsSync(files.pcd)) {
    file = files.pcd;
    depth = await readPcdDepth(file);
  } else {
    throw new DataFormatError(files.depthTiff, `no depth for this sample: neither this file nor ${path.basename(files.pcd)} exists`);
  }
  if (depth.data.every(isMissing)) throw new DataFormatError(file, 'depth image has no valid pixel (all 0 or NaN)');
  return { depth, file };
}

/** Loads one Cornell-format sample (depth as stored: holes are filled later by `preprocess`). */
export async function loadCornellSample(entry: CornellListing, warn?: (msg: string) => void): Promise<RawSample> {
  const [grasps, { depth }] = await Promise.all([readCornellGrasps(entry.files.cpos, warn), readCornellDepth(entry.files)]);
  return { id: entry.id, objectId: entry.objectId, depth, grasps };
}
