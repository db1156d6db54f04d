/**
 * Renders Cornell point clouds to depth TIFFs, as ggcnn's `generate_cornell_depth.py`: every
 * `<dir>/*\/pcdXXXX.txt` becomes `pcdXXXXd.tiff` beside it (float32 metres, 480×640, Euclidean distance,
 * holes inpainted).
 *
 *   tsx scripts/pcd-to-tiff.ts DIR [--force] [--no-inpaint]
 */
import * as fs from 'fs';
import * as path from 'path';
import { readPcdDepth } from '../lib/data/pcd';
import { inpaintDepth } from '../lib/data/inpaint';
import { writeDepthTiff } from '../lib/data/tiff';

const PCD = /^pcd\d+\.txt$/;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const force = argv.includes('--force');
  const inpaint = !argv.includes('--no-inpaint');
  const dirs = argv.filter((a) => !a.startsWith('--'));
  const unknown = argv.filter((a) => a.startsWith('--') && a !== '--force' && a !== '--no-inpaint');
  if (dirs.length !== 1 || unknown.length > 0) {
    console.error('usage: tsx scripts/pcd-to-tiff.ts DIR [--force] [--no-inpaint]');
    process.exit(2);
  }
  const root = path.resolve(dirs[0]);
  if (!fs.existsSync(root)) throw new Error(`${root} does not exist`);
  const clouds: string[] = [];
  for (const d of fs.readdirSync(root, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    for (const f of fs.readdirSync(path.join(root, d.name)).sort()) if (PCD.test(f)) clouds.push(path.join(root, d.name, f));
  }
  if (clouds.length === 0) throw new Error(`no */pcd*.txt point clouds under ${root}`);
  let written = 0;
  for (const pcd of clouds) {
    const out = pcd.replace(/\.txt$/, 'd.tiff');
    if (!force && fs.existsSync(out)) continue;
    const depth = await readPcdDepth(pcd);
    const { image, filled } = inpaint ? inpaintDepth(depth) : { image: depth, filled: 0 };
    await writeDepthTiff(out, image);
    written++;
    console.log(`${path.relative(root, out)}${filled ? ` (${filled} pixels inpainted)` : ''}`);
  }
  console.log(`pcd-to-tiff: wrote ${written} of ${clouds.length} depth images under ${root}`);
}

main().catch((e) => {
  console.error(`pcd-to-tiff: ${(e as Error).message}`);
  process.exit(1);
});
