import * as fs from 'fs';
import { Image2D } from '../types';
import { DataFormatError } from '../errors';
import { CORNELL_SHAPE } from '../constants';
import { createImage } from './image';

/**
 * Cornell point clouds (`pcdXXXX.txt`, PCD v0.7 ASCII): header lines up to `DATA ascii`, then one point per line
 * `x y z rgb index` (millimetres). As ggcnn `DepthImage.from_pcd`: the pixel is `row = index // 640`,
 * `col = index % 640`, its value the Euclidean distance `sqrt(x²+y²+z²)` converted to metres; pixels with no
 * point stay 0 (missing, to be inpainted).
 *
 * @param shape `[rows, cols]` of the depth image (Cornell: 480×640)
 * @returns depth in metres, H×W
 */
export function parsePcd(text: string, file: string, shape: readonly [number, number] = CORNELL_SHAPE): Image2D {
  const [height, width] = shape;
  const img = createImage(height, width);
  const lines = text.split('\n');
  let fields: string[] | undefined;
  let k = 0;
  // header
  for (; k < lines.length; k++) {
    const line = lines[k].trim();
    if (line === '' || line.startsWith('#')) continue;
    const [key, ...rest] = line.split(/\s+/);
    const upper = key.toUpperCase();
    if (upper === 'FIELDS') fields = rest.map((f) => f.toLowerCase());
    if (upper === 'DATA') {
      if (rest[0]?.toLowerCase() !== 'ascii') {
        throw new DataFormatError(file, `line ${k + 1}: only ASCII point clouds are supported, found "DATA ${rest.join(' ')}"`);
      }
      k++;
      break;
    }
    if (!/^[A-Za-z]/.test(key)) {
      throw new DataFormatError(file, `line ${k + 1}: expected a PCD header (FIELDS … DATA ascii) before the points`);
    }
  }
  if (!fields) throw new DataFormatError(file, 'no FIELDS line in the PCD header (expected "FIELDS x y z rgb index")');
  const ix = fields.indexOf('x');
  const iy = fields.indexOf('y');
  const iz = fields.indexOf('z');
  const ii = fields.indexOf('index');
  if (ix < 0 || iy < 0 || iz < 0 || ii < 0) {
    throw new DataFormatError(file, `PCD FIELDS must include x y z index, found "${fields.join(' ')}"`);
  }
  const nFields = fields.length;
  let points = 0;
  for (; k < lines.length; k++) {
    const line = lines[k].trim();
    if (line === '') continue;
    const parts = line.split(/\s+/);
    if (parts.length !== nFields) {
      throw new DataFormatError(file, `line ${k + 1}: expected ${nFields} values (${fields.join(' ')}), found ${parts.length}: "${line.slice(0, 80)}"`);
    }
    const x = Number(parts[ix]);
    const y = Number(parts[iy]);
    const z = Number(parts[iz]);
    const index = Number(parts[ii]);
    if (!Number.isInteger(index) || index < 0 || index >= width * height) {
      throw new DataFormatError(file, `line ${k + 1}: pixel index ${parts[ii]} outside a ${height}x${width} image`);
    }
    if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(z)) {
      // an explicit "nan" point leaves its pixel missing (inpainted later), like a Kinect hole; other text is an error
      for (const f of [ix, iy, iz]) {
        if (Number.isNaN(Number(parts[f])) && !/^[+-]?nan$/i.test(parts[f])) {
          throw new DataFormatError(file, `line ${k + 1}: "${parts[f]}" is not a number in "${line.slice(0, 80)}"`);
        }
      }
      continue;
    }
    img.data[index] = Math.sqrt(x * x + y * y + z * z) / 1000; // mm → m
    points++;
  }
  if (points === 0) throw new DataFormatError(file, 'the point cloud holds no valid points');
  return img;
}

/** Reads `pcdXXXX.txt` into a depth image in metres (missing pixels 0). */
export async function readPcdDepth(file: string, shape: readonly [number, number] = CORNELL_SHAPE): Promise<Image2D> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (e) {
    throw new DataFormatError(file, `cannot read point cloud (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parsePcd(text, file, shape);
}
