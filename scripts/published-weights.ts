/**
 * The published GG-CNN / GG-CNN2 Cornell weights on the real Cornell and Jacquard samples of ../shared (or
 * GRASPLAB_SHARED_DIR), compared with the original PyTorch code's verdicts: the numbers in README and notebook 02.
 *   npx tsx scripts/published-weights.ts [--json]
 */
import { selectBackend } from '../lib/backend/setup';
import { sharedDir } from '../lib/config/paths';
import { evaluatePublishedWeights } from '../lib/published_weights';

async function main(): Promise<number> {
  const shared = sharedDir();
  if (!shared) {
    console.error('published-weights: no ../shared folder (set GRASPLAB_SHARED_DIR to one with weights/ and realdata/)');
    return 1;
  }
  const backend = await selectBackend({ quiet: true });
  const rows = await evaluatePublishedWeights(shared, { log: (m) => console.error(`warning: ${m}`) });
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(rows.map(({ perImage, ...r }) => ({ ...r, perImage: perImage.map((v) => ({ id: v.id, success: v.success, bestIoU: v.bestIoU, crop: v.crop, grasp: v.grasps[0] ?? null })) })), null, 1));
    return 0;
  }
  console.log(`backend ${backend.backend}; shared ${shared}`);
  for (const r of rows) {
    const same = r.sameAsOriginal === undefined ? '' : `; same verdict and top grasp as the original PyTorch code on ${r.sameAsOriginal}/${r.images} (original: ${r.originalCorrect}/${r.images} correct)`;
    console.log(`${r.model.padEnd(6)} ${r.dataset.padEnd(8)} ${r.correct}/${r.images} = ${(100 * r.accuracy).toFixed(1)} %${same}`);
  }
  return 0;
}

main().then((code) => (process.exitCode = code));
