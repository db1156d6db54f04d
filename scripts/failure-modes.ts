/**
 * Why a model's top-1 grasps fail on a Cornell-format folder (real Cornell by default): how many images get no grasp,
 * a grasp in the wrong place, at the wrong angle, or at the right place and angle but the wrong size
 * (lib/eval/failure_modes.ts).
 *
 *   npx tsx scripts/failure-modes.ts --model <model folder> [--data <Cornell folder>] [--near-px 20] [--json]
 *   npx tsx scripts/failure-modes.ts --published ggcnn     # the published Cornell weights in ../shared/weights
 *
 * --model: what the CLI's --model takes (a model folder, a run's checkpoint or run folder, a models/ name).
 * --data: GRASPLAB_REAL_DIR or ../shared/realdata/cornell when omitted.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { selectBackend } from '../lib/backend/setup';
import { diagnoseFailures } from '../lib/eval/failure_modes';
import { evaluateModel } from '../lib/eval/metric';
import { loadRealImages, realCornellDir } from '../lib/eval/real';
import { resolveModelFolder } from '../lib/export/model_folder';
import { loadModelFromDir } from '../lib/export/save';
import { sharedDir } from '../lib/config/paths';
import { loadPublishedModel, PUBLISHED_WEIGHTS, publishedWeightsFile, type PublishedModel } from '../lib/published_weights';

const { values } = parseArgs({ options: { model: { type: 'string' }, published: { type: 'string' }, data: { type: 'string' }, 'near-px': { type: 'string', default: '20' }, json: { type: 'boolean', default: false } } });

async function main(): Promise<void> {
  if (!values.model === !values.published) throw new Error('give either --model <folder> or --published ggcnn|ggcnn2');
  const name = values.model ?? `published ${values.published}`;
  const dir = values.data ? path.resolve(values.data) : realCornellDir()?.dir;
  if (!dir) throw new Error('no --data and no real Cornell folder (GRASPLAB_REAL_DIR or ../shared/realdata/cornell)');
  const nearPx = Number(values['near-px']);
  if (!(nearPx > 0)) throw new Error(`--near-px ${values['near-px']}: need a positive number of pixels`);
  let model;
  if (values.model) {
    const folder = resolveModelFolder(values.model); // a model folder, checkpoint, run folder or models/ name, as the CLI
    await selectBackend({ quiet: true });
    model = await loadModelFromDir(folder.dir);
  } else {
    const which = values.published as PublishedModel;
    if (!(which in PUBLISHED_WEIGHTS)) throw new Error(`--published ${which}: use ${Object.keys(PUBLISHED_WEIGHTS).join(' or ')}`);
    const shared = sharedDir();
    const file = shared && publishedWeightsFile(shared, which);
    if (!file || !fs.existsSync(file)) throw new Error(`--published ${which}: ${file ?? 'the shared folder'} not found`);
    await selectBackend({ quiet: true });
    model = loadPublishedModel(which, file);
  }
  const images = await loadRealImages(dir);
  const scored = await evaluateModel(model, images.samples);
  const r = diagnoseFailures(images.samples, scored.perImage, { nearPx });
  if (values.json) {
    console.log(JSON.stringify({ model: name, data: dir, nearPx, ...r }, null, 1));
    return;
  }
  console.log(`${name} on ${dir}: ${r.successes}/${r.images} correct; failures: ${Object.entries(r.counts).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  for (const d of r.perImage.filter((p) => !p.success)) {
    console.log(`  ${d.id}: ${d.mode}${d.centreDistance !== undefined ? `, nearest label ${d.centreDistance.toFixed(0)} px` : ''}${d.angleError !== undefined ? `, angle off ${d.angleError.toFixed(0)}°` : ''}`);
  }
}

main().catch((e) => {
  console.error(`failure-modes: ${(e as Error).message}`);
  process.exit(1);
});
