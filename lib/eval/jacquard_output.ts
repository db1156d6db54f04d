import { JACQUARD_SIZE, OUTPUT_SIZE } from '../constants';
import type { Grasp } from '../types';

/**
 * One grasp in the Jacquard output format (ggcnn `Grasp.to_jacquard`): `x;y;θ;opening;jaw` with
 * `x = col·s`, `y = row·s`, `θ = −angle` in degrees (Jacquard's angles are flipped), `opening = length·s`,
 * `jaw = width·s`, `s = 1024 / outputSize`; every number printed like Python's `'%0.2f'`.
 */
export function formatJacquardGrasp(g: Grasp, outputSize = OUTPUT_SIZE): string {
  const s = JACQUARD_SIZE / outputSize;
  return [g.center[1] * s, g.center[0] * s, (-1 * g.angle * 180) / Math.PI, g.length * s, g.width * s]
    .map(pyFixed2)
    .join(';');
}

/**
 * The Jacquard image name ggcnn writes before each grasp (`JacquardDataset.get_jname`): the file's base name without
 * its last `_`-separated part, e.g. `…/1a9f/0_1a9f_grasps.txt` → `0_1a9f`. Accepts a grasp/depth/RGB/mask file path,
 * or a sample id that is already such a name (`0_1a9f` or `1a9f/0_1a9f`), which is returned as its base name.
 */
export function jacquardImageName(fileOrId: string): string {
  const base = fileOrId.split(/[\\/]/).pop() ?? fileOrId;
  const known = base.match(/^(.*)_(grasps\.txt|perfect_depth\.tiff|stereo_depth\.tiff|RGB\.png|mask\.png)$/);
  if (known) return known[1];
  // Any other file name: ggcnn's rule. A bare id (no extension) is already the name.
  return base.includes('.') && base.includes('_') ? base.split('_').slice(0, -1).join('_') : base;
}

/**
 * The lines of a ggcnn `--jacquard-output` file: for each image, for each of its first `maxGrasps` grasps (ggcnn
 * writes 1), the image name line then the grasp line. Join with `'\n'` and end with a newline to write the file.
 */
export function jacquardOutputLines(
  images: readonly { id: string; grasps: readonly Grasp[] }[],
  opts: { outputSize?: number; maxGrasps?: number } = {},
): string[] {
  const lines: string[] = [];
  for (const im of images) {
    const name = jacquardImageName(im.id);
    for (const g of im.grasps.slice(0, opts.maxGrasps ?? 1)) {
      lines.push(name, formatJacquardGrasp(g, opts.outputSize ?? OUTPUT_SIZE));
    }
  }
  return lines;
}

/**
 * Python `'%0.2f' % x`: the correctly rounded decimal, ties (exactly representable halves, only possible for multiples
 * of 1/8) to even, and `-0.00` for negative zero or small negatives. JS `toFixed` rounds ties up and prints `-0` as `0.00`.
 */
export function pyFixed2(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  let s: string;
  const h = a * 100; // exact when a is a multiple of 1/8 of moderate size, the only case with a decimal tie
  if (Number.isInteger(a * 8) && h - Math.floor(h) === 0.5) {
    const lo = Math.floor(h);
    s = ((lo % 2 === 0 ? lo : lo + 1) / 100).toFixed(2);
  } else {
    s = a.toFixed(2);
  }
  return neg ? `-${s}` : s;
}
