/**
 * Depth-scene statistics of real Cornell images next to synthetic scenes of generator presets, measured the same way
 * (lib/data/depth_stats.ts), as a small metrics file and a markdown table for the README.
 *
 *   npx tsx scripts/simreal-stats.ts [--presets v1,cornell] [--scenes 40] [--threshold-mm 7]
 *
 * --threshold-mm: one protrusion threshold for what counts as object pixels in every set (default per image
 * max(5 mm, 3σ of its table noise), which hides flat objects in the noisier synthetic views).
 *
 * Real images: GRASPLAB_REAL_DIR or ../shared/realdata/cornell. Synthetic: `--scenes` scenes spread over a 400-scene
 * set of each preset (seed 2018, generated in memory). Also times generation (ms per scene, machine load printed).
 * Output: results/metrics/simreal_stats.json (with --threshold-mm T: simreal_stats_thresholdTmm.json).
 */
import * as os from 'os';
import { parseArgs } from 'util';
import { SYNTHETIC_PRESETS, SYNTHETIC_SEED } from '../lib/config/synthetic';
import { openDataset } from '../lib/data/dataset';
import { sceneDepthStats, summariseDepthStats, type SceneDepthStats } from '../lib/data/depth_stats';
import { generateScene } from '../lib/data/synthetic';
import { realCornellDir } from '../lib/eval/real';
import { writeMetrics } from '../lib/results';

const { values } = parseArgs({ options: { presets: { type: 'string', default: 'v1,cornell' }, scenes: { type: 'string', default: '40' }, 'threshold-mm': { type: 'string' } } });

async function main(): Promise<void> {
  const given = values['threshold-mm'];
  const thresholdMm = given === undefined ? undefined : Number(given);
  if (thresholdMm !== undefined && !(thresholdMm > 0)) throw new Error(`--threshold-mm ${given}: need a positive number of millimetres`);
  const statOpts = thresholdMm === undefined ? {} : { objectThresholdMm: thresholdMm };
  const suffix = thresholdMm === undefined ? '' : `_threshold${given}mm`;
  const real = realCornellDir();
  if (!real) throw new Error('no real Cornell images: set GRASPLAB_REAL_DIR or provide ../shared/realdata/cornell');
  const ds = await openDataset({ kind: 'cornell', dir: real.dir }, { onWarning: () => {} });
  const sets: Record<string, SceneDepthStats[]> = { real: [] };
  for (const e of ds.entries) sets.real.push(sceneDepthStats(await ds.load(e), statOpts));
  const n = Number(values.scenes);
  const timing: Record<string, number> = {};
  for (const preset of values.presets!.split(',')) {
    const config = SYNTHETIC_PRESETS[preset];
    if (!config) throw new Error(`unknown preset ${preset}`);
    sets[preset] = [];
    let ms = 0;
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const scene = generateScene(SYNTHETIC_SEED, Math.floor((i * 400) / n), 400, config);
      ms += performance.now() - t0;
      sets[preset].push(sceneDepthStats(scene, statOpts));
    }
    timing[preset] = ms / n;
  }
  const summary = Object.fromEntries(Object.entries(sets).map(([k, v]) => [k, summariseDepthStats(v)]));
  const load = os.loadavg()[0];
  writeMetrics(`simreal_stats${suffix}`, { command: `npx tsx scripts/simreal-stats.ts --presets ${values.presets} --scenes ${n}${given === undefined ? '' : ` --threshold-mm ${given}`}`, realImages: sets.real.length, scenesPerPreset: n, summary, msPerScene: timing, loadAverage: load });
  const names = Object.keys(sets);
  console.log(`| quantity | ${names.join(' | ')} |`);
  console.log(`|---|${names.map(() => '---').join('|')}|`);
  for (const q of Object.keys(summary.real)) {
    console.log(`| ${q} | ${names.map((k) => { const v = summary[k][q]; return `${v.median.toFixed(2)} (${v.p5.toFixed(2)} – ${v.p95.toFixed(2)})`; }).join(' | ')} |`);
  }
  console.log(`generation ms per scene (render + sensor + labels, no file writing): ${JSON.stringify(timing)}; load average ${load.toFixed(1)}`);
}

main().catch((e) => {
  console.error(`simreal-stats: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
