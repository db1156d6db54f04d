import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import { selectBackend } from '../../lib/backend/setup';
import { openDataset } from '../../lib/data/dataset';
import { BatchLoader } from '../../lib/data/loader';
import { angleDifference } from '../../lib/eval/iou';
import { evaluateModel } from '../../lib/eval/metric';
import { buildModel, loadTorchWeightsFile } from '../../lib/models/registry';
import type { Sample } from '../../lib/types';
import { sharedPath, skipUnlessShared } from '../helpers/shared';

/**
 * The original PyTorch GG-CNN code's verdicts (../shared/reference/ggcnn_torch_verdicts.json: dougsm/ggcnn 0c50aa7,
 * `Dataset(random_rotate=False, random_zoom=False)` → network → `post_process_output` → `calculate_iou_match`, with the
 * published weights) must be ours image for image: success flag, crop window, top grasp, and its IoU.
 */
interface RefGrasp {
  center: [number, number];
  angle: number;
  length: number;
  width: number;
  q: number;
  max_iou: number;
}
interface RefVerdict {
  name: string;
  success: boolean;
  grasp: RefGrasp | null;
  crop: { top: number; left: number; scale?: number };
  n_gt: number;
}
type Kind = 'cornell' | 'jacquard';
type Ref = Record<'ggcnn' | 'ggcnn2', { weights: string } & Record<Kind, RefVerdict[]>>;

const REF = ['reference', 'ggcnn_torch_verdicts.json'];
const skip = skipUnlessShared(...REF) || skipUnlessShared('weights') || skipUnlessShared('realdata');

describe('verdicts of the original ggcnn code on the real samples', { skip }, () => {
  let ref: Ref;
  const samples: Partial<Record<Kind, Sample[]>> = {};
  before(async () => {
    await selectBackend({ quiet: true });
    ref = JSON.parse(fs.readFileSync(sharedPath(...REF)!, 'utf8')) as Ref;
    for (const kind of ['cornell', 'jacquard'] as const) {
      const ds = await openDataset({ kind, dir: sharedPath('realdata', kind)! }, { onWarning: () => {} });
      samples[kind] = await new BatchLoader(ds, ds.entries, { batchSize: 1, seed: 1, shuffle: false, preprocess: { outputSize: 300, rotate: 'none', zoom: false } }).samples();
    }
  });

  for (const name of ['ggcnn', 'ggcnn2'] as const) {
    test(`${name}: success flags, crops, top grasps and IoUs equal the original's on every Cornell and Jacquard sample`, async () => {
      const model = buildModel({ name });
      loadTorchWeightsFile(model, sharedPath('weights', ref[name].weights)!);
      try {
        for (const kind of ['cornell', 'jacquard'] as const) {
          const res = await evaluateModel(model, samples[kind]!);
          const expected = ref[name][kind];
          assert.equal(res.total, expected.length, `${kind}: every reference image is a sample here`);
          assert.equal(res.correct, expected.filter((e) => e.success).length, `${kind}: total`);
          for (const e of expected) {
            const what = `${name} ${kind} ${e.name}`;
            const v = res.perImage.find((p) => p.id === e.name || p.id.endsWith(`/${e.name}`));
            assert.ok(v, `${what}: no verdict`);
            const sample = samples[kind]!.find((s) => s.id === v.id)!;
            assert.equal(sample.grasps.length, e.n_gt, `${what}: ground-truth rectangles`);
            assert.equal(v.success, e.success, `${what}: success`);
            assert.equal(v.crop?.top, e.crop.top, `${what}: crop top`);
            assert.equal(v.crop?.left, e.crop.left, `${what}: crop left`);
            assert.equal(v.crop?.scale, e.crop.scale ?? 1, `${what}: crop scale`);
            const g = v.grasps[0];
            if (!e.grasp) {
              assert.equal(g, undefined, `${what}: the original finds no quality peak above 0.2`);
              continue;
            }
            assert.ok(g, `${what}: no grasp found`);
            assert.deepEqual(g.center, e.grasp.center, `${what}: grasp centre`);
            // network outputs agree to ~5e-6; the post-processed angle and opening follow
            assert.ok(angleDifference(g.angle, e.grasp.angle) < 1e-4, `${what}: angle ${g.angle} vs ${e.grasp.angle}`);
            assert.ok(Math.abs(g.length - e.grasp.length) < 5e-3, `${what}: opening ${g.length} vs ${e.grasp.length}`);
            assert.ok(Math.abs((g.quality ?? NaN) - e.grasp.q) < 1e-4, `${what}: quality ${g.quality} vs ${e.grasp.q}`);
            // the same integer ground truth and rasterisation give the same pixel counts
            assert.ok(Math.abs(v.bestIoU - e.grasp.max_iou) < 1e-9, `${what}: IoU ${v.bestIoU} vs ${e.grasp.max_iou}`);
          }
        }
      } finally {
        model.dispose();
      }
    });
  }
});
