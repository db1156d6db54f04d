import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../lib/backend/setup';
import { resultsDir } from '../lib/config/paths';
import { removeInside } from '../lib/config/safe_remove';
import { generateScene } from '../lib/data/synthetic';
import { writeDepthTiff } from '../lib/data/tiff';
import { saveOnnx } from '../lib/export/onnx';
import type { WeightFormat } from '../lib/export/quantize';
import { exportModel, loadModelFromDir } from '../lib/export/save';
import { buildModel, inferenceModel } from '../lib/models/registry';
import type { Image2D } from '../lib/types';

/**
 * The web demo's bundled example: `outDir/model/` (an exported model), `outDir/model.onnx` (the same model as ONNX,
 * float16 weights, for ONNX Runtime Web) and `outDir/depth.tiff` (a synthetic depth scene, metres). The model is, in order of preference:
 * 1. `opts.model` (tests pass a tiny one);
 * 2. the exported or saved model folder `opts.fromModelDir`;
 * 3. the newest trained checkpoint `results/runs/<run>/best/` (else `last/`);
 * 4. a freshly initialised GG-CNN (lib/models), whose grasps are meaningless; the page says so.
 * The choice is recorded in model.json (`userDefinedMetadata.grasplab.source.note`), which the page shows.
 * Usage: tsx web/make_example.ts OUT_DIR [--from-run DIR]
 */

export interface ExampleOptions {
  model?: tf.LayersModel;
  /** note shown on the page for `model` */
  note?: string;
  fromModelDir?: string;
  depth?: Image2D;
  /** weight format of the bundled model (default float16: half the download, maps within ~1e-3) */
  format?: WeightFormat;
}

export async function makeExample(outDir: string, opts: ExampleOptions = {}): Promise<{ note: string }> {
  await selectBackend({ quiet: true });
  const { model, note, owned } = await chooseModel(opts);
  try {
    const exportable = model.outputs.length > 1 ? inferenceModel(model) : model;
    removeInside(outDir, path.join(outDir, 'model'));
    const format = opts.format ?? 'float16';
    await exportModel(exportable, path.join(outDir, 'model'), { format, source: { note } });
    // both engines run the same weights: float16 like the tfjs example; for a uint8/uint16 example, the weights as the
    // tfjs export dequantises them (read back from it), in float32
    removeInside(outDir, path.join(outDir, 'model.onnx'));
    const quantised = format === 'uint8' || format === 'uint16';
    const onnxSource = quantised ? await loadModelFromDir(path.join(outDir, 'model')) : exportable;
    try {
      saveOnnx(onnxSource, path.join(outDir, 'model.onnx'), { weights: format === 'float16' ? 'float16' : 'float32', source: { note } });
    } finally {
      if (onnxSource !== exportable) onnxSource.dispose();
    }
    await writeDepthTiff(path.join(outDir, 'depth.tiff'), opts.depth ?? exampleScene());
    return { note };
  } finally {
    if (owned) model.dispose();
  }
}

async function chooseModel(opts: ExampleOptions): Promise<{ model: tf.LayersModel; note: string; owned: boolean }> {
  if (opts.model) return { model: opts.model, note: opts.note ?? 'a test model', owned: false };
  if (opts.fromModelDir) {
    return { model: await loadModelFromDir(opts.fromModelDir), note: `trained model from ${path.basename(path.resolve(opts.fromModelDir, '..'))}/${path.basename(opts.fromModelDir)}`, owned: true };
  }
  const trained = newestCheckpoint();
  if (trained) return { model: await loadModelFromDir(trained.dir), note: `trained model: run '${trained.run}' (${path.basename(trained.dir)} checkpoint)`, owned: true };
  // No trained run yet: an untrained GG-CNN still exercises the whole pipeline.
  return {
    model: buildModel({ name: 'ggcnn' }),
    note: 'Untrained: a freshly initialised GG-CNN (no trained run was found in results/ when the demo was built), so its grasps are meaningless. Rebuild with `npm run web:build -- --example` after training.',
    owned: true,
  };
}

/** The newest `results/runs/<run>/{best,last}/model.json`, if any. */
function newestCheckpoint(): { run: string; dir: string } | undefined {
  const runs = path.join(resultsDir(), 'runs');
  if (!fs.existsSync(runs)) return undefined;
  let best: { run: string; dir: string; mtime: number } | undefined;
  for (const run of fs.readdirSync(runs)) {
    for (const sub of ['best', 'last']) {
      const file = path.join(runs, run, sub, 'model.json');
      if (!fs.existsSync(file)) continue;
      const mtime = fs.statSync(file).mtimeMs;
      if (!best || mtime > best.mtime) best = { run, dir: path.dirname(file), mtime };
      break; // prefer best/ over last/ of the same run
    }
  }
  return best && { run: best.run, dir: best.dir };
}

/** Seed of the example scene: not the dataset's seed, so the example is a scene no model was trained on. */
export const EXAMPLE_SCENE_SEED = 7;

/**
 * The example depth image: a synthetic Cornell-like 480×640 sensor view (metres, with holes) from lib/data's
 * generator, so the page shows inpainting and the centre crop at work.
 */
export function exampleScene(): Image2D {
  return generateScene(EXAMPLE_SCENE_SEED, 0, 1).depth;
}

if (require.main === module) {
  const [out, ...rest] = process.argv.slice(2);
  if (!out) {
    console.error('usage: tsx web/make_example.ts OUT_DIR [--from-run DIR]');
    process.exitCode = 2;
  } else {
    const i = rest.indexOf('--from-run');
    makeExample(out, { fromModelDir: i >= 0 ? rest[i + 1] : undefined }).then(
      (r) => console.log(`example written to ${out}: ${r.note}`),
      (e) => {
        console.error(e instanceof Error ? e.message : e);
        process.exitCode = 1;
      },
    );
  }
}
