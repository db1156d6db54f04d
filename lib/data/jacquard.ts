import * as fs from 'fs';
import * as path from 'path';
import { GraspRectPoints, RawSample } from '../types';
import { DataFormatError } from '../errors';
import { readDepthTiff } from './tiff';
import { rectFromGrasp } from './grasp_rect';
import { isMissing } from './image';
import { checkDepthFrame, checkDepthRange, checkGraspsInImage } from './depth_check';

/**
 * Jacquard on disk: `<dir>/<object hash>/<n>_<hash>_grasps.txt`, `…_perfect_depth.tiff` (float32 metres,
 * 1024×1024, LZW), `…_RGB.png`; the official archive adds one level (`Jacquard_Dataset_K/<hash>/…`), also accepted.
 */

export interface JacquardFiles {
  grasps: string;
  depth: string;
  rgb: string;
}

export interface JacquardListing {
  /** file prefix `<n>_<hash>` */
  id: string;
  /** the object hash folder */
  objectId: string;
  files: JacquardFiles;
}

export const JACQUARD_PATTERN = '*/*_grasps.txt';

/** Lists grasp files one or two folder levels down, sorted by path (ggcnn: glob + sort). */
export function listJacquard(dir: string): JacquardListing[] {
  if (!fs.existsSync(dir)) return [];
  const found: string[] = [];
  const visit = (d: string, depth: number) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory() && depth < 2) visit(p, depth + 1);
      else if (e.isFile() && depth >= 1 && e.name.endsWith('_grasps.txt')) found.push(p);
    }
  };
  visit(dir, 0);
  found.sort();
  return found.map((g) => {
    const prefix = g.slice(0, -'_grasps.txt'.length);
    return {
      id: path.basename(prefix),
      objectId: path.basename(path.dirname(g)),
      files: { grasps: g, depth: `${prefix}_perfect_depth.tiff`, rgb: `${prefix}_RGB.png` },
    };
  });
}

/**
 * Parses `x;y;θ;opening;jaw` lines (pixels, degrees) into rectangles in the image's pixel frame, as ggcnn
 * `load_from_jacquard_file`: `Grasp([y, x], −θ·π/180, opening, jaw).as_gr` (Jacquard's angle sign is flipped
 * relative to ours because its y axis points up).
 */
export function parseJacquardGrasps(text: string, file: string): GraspRectPoints[] {
  const rects: GraspRectPoints[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const parts = line.split(';');
    const v = parts.map((t) => (t.trim() === '' ? NaN : Number(t)));
    if (parts.length !== 5 || v.some((x) => Number.isNaN(x))) {
      throw new DataFormatError(file, `line ${i + 1}: expected "x;y;theta;opening;jaw" (5 numbers), found "${line.slice(0, 60)}"`);
    }
    const inf = v.findIndex((x) => !Number.isFinite(x));
    if (inf >= 0) throw new DataFormatError(file, `line ${i + 1}: "${parts[inf].trim()}" (${['x', 'y', 'theta', 'opening', 'jaw'][inf]}) is not a finite number`);
    const [x, y, theta, opening, jaw] = v;
    rects.push(rectFromGrasp({ center: [y, x], angle: (-theta / 180) * Math.PI, length: opening, width: jaw }));
  });
  return rects;
}

export async function readJacquardGrasps(file: string): Promise<GraspRectPoints[]> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (e) {
    throw new DataFormatError(file, `cannot read grasps (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseJacquardGrasps(text, file);
}

/**
 * Loads one Jacquard sample at full resolution (`preprocess` with `crop: 'whole'` resizes it to the output size),
 * checking Jacquard's 1024x1024 frame, metres and that the grasps lie on the image. A sample without grasps is
 * returned with a warning: loaders skip it.
 */
export async function loadJacquardSample(entry: JacquardListing, warn: (msg: string) => void = () => {}): Promise<RawSample> {
  const [grasps, depth] = await Promise.all([readJacquardGrasps(entry.files.grasps), readDepthTiff(entry.files.depth)]);
  if (depth.data.every(isMissing)) throw new DataFormatError(entry.files.depth, 'depth image has no valid pixel (all 0 or NaN)');
  checkDepthFrame(depth, entry.files.depth, 'jacquard');
  checkDepthRange(depth, entry.files.depth);
  checkGraspsInImage(grasps, depth, entry.files.grasps);
  if (grasps.length === 0) warn(`${entry.files.grasps}: no grasps; this sample is skipped in training and evaluation`);
  return { id: entry.id, objectId: entry.objectId, depth, grasps };
}
