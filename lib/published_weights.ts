import * as fs from 'fs';
import * as path from 'path';
import { openDataset } from './data/dataset';
import { BatchLoader } from './data/loader';
import { evaluateModel, type ImageVerdict } from './eval/metric';
import type * as tf from '@tensorflow/tfjs';
import { buildModel, loadTorchWeightsFile } from './models/registry';
import type { Sample } from './types';

/**
 * The published GG-CNN / GG-CNN2 Cornell weights (dougsm/ggcnn release v0.1, as .npz in `<shared>/weights/`) scored
 * with the rectangle metric on the real samples in `<shared>/realdata/{cornell,jacquard}` — ggcnn's evaluation
 * (`Dataset(random_rotate=False, random_zoom=False)`, top-1 grasp) on every sample — and, when
 * `<shared>/reference/ggcnn_torch_verdicts.json` is there, compared image by image with the original PyTorch code's
 * verdicts. Used by notebook 02 and `scripts/published-weights.ts`.
 */
export const PUBLISHED_WEIGHTS = { ggcnn: 'ggcnn_cornell_epoch23.npz', ggcnn2: 'ggcnn2_cornell_epoch50.npz' } as const;
export type PublishedModel = keyof typeof PUBLISHED_WEIGHTS;
export type RealDataset = 'cornell' | 'jacquard';

/** Where `<shared>/weights/` keeps a published model's weights (the file may be missing). */
export function publishedWeightsFile(shared: string, name: PublishedModel): string {
  return path.join(shared, 'weights', PUBLISHED_WEIGHTS[name]);
}

/** The published network with its weights loaded from `file` (a backend must be selected). */
export function loadPublishedModel(name: PublishedModel, file: string): tf.LayersModel {
  const model = buildModel({ name });
  try {
    loadTorchWeightsFile(model, file);
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

export interface PublishedRow {
  model: PublishedModel;
  dataset: RealDataset;
  images: number;
  correct: number;
  accuracy: number;
  /** images whose success flag and top grasp centre equal the original code's (undefined without the reference) */
  sameAsOriginal?: number;
  /** the original code's correct count on the same images */
  originalCorrect?: number;
  perImage: ImageVerdict[];
}

interface RefVerdict {
  name: string;
  success: boolean;
  grasp: { center: [number, number] } | null;
}

/** Evaluates the published weights found in `shared` on the real datasets found there (missing ones are skipped). */
export async function evaluatePublishedWeights(
  shared: string,
  opts: { models?: PublishedModel[]; datasets?: RealDataset[]; log?: (m: string) => void } = {},
): Promise<PublishedRow[]> {
  const refFile = path.join(shared, 'reference', 'ggcnn_torch_verdicts.json');
  const ref = fs.existsSync(refFile) ? (JSON.parse(fs.readFileSync(refFile, 'utf8')) as Record<string, Record<string, RefVerdict[]>>) : undefined;
  const samples = new Map<RealDataset, Sample[]>();
  for (const kind of opts.datasets ?? (['cornell', 'jacquard'] as const)) {
    const dir = path.join(shared, 'realdata', kind);
    if (!fs.existsSync(dir)) continue;
    const ds = await openDataset({ kind, dir }, { onWarning: opts.log });
    samples.set(kind, await new BatchLoader(ds, ds.entries, { batchSize: 1, seed: 1, shuffle: false, preprocess: { outputSize: 300, rotate: 'none', zoom: false } }).samples());
  }
  const rows: PublishedRow[] = [];
  for (const name of opts.models ?? (['ggcnn', 'ggcnn2'] as const)) {
    const file = publishedWeightsFile(shared, name);
    if (!fs.existsSync(file)) continue;
    const model = loadPublishedModel(name, file);
    try {
      for (const [kind, s] of samples) {
        const r = await evaluateModel(model, s);
        const row: PublishedRow = { model: name, dataset: kind, images: r.total, correct: r.correct, accuracy: r.accuracy, perImage: r.perImage };
        const expected = ref?.[name]?.[kind];
        if (expected) {
          row.originalCorrect = expected.filter((e) => r.perImage.some((v) => sameImage(v.id, e.name)) && e.success).length;
          row.sameAsOriginal = r.perImage.filter((v) => {
            const e = expected.find((x) => sameImage(v.id, x.name));
            const g = v.grasps[0];
            return !!e && e.success === v.success && (e.grasp ? !!g && g.center[0] === e.grasp.center[0] && g.center[1] === e.grasp.center[1] : !g);
          }).length;
        }
        rows.push(row);
      }
    } finally {
      model.dispose();
    }
  }
  return rows;
}

/** Our ids are `01/pcd0100` (Cornell) or the file prefix (Jacquard); the reference names the file stem. */
function sameImage(id: string, name: string): boolean {
  return id === name || id.endsWith(`/${name}`);
}
