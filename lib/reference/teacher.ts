import * as fs from 'fs';
import * as path from 'path';
import { resultsDir } from '../config/paths';
import { scoreTestSplit } from '../eval/test_record';
import { scoreModel, testFingerprint, type ExperimentResult, type Workbench } from '../experiment';
import { loadModelFromDir } from '../export/save';
import { describeModel } from '../models/registry';
import { CARD_JSON } from './ship';
import { modelsDir } from './store';

/** The shipped KD teacher's folder name in models/. */
export const REFERENCE_TEACHER = 'teacher-reference';

interface TeacherCard {
  run: string;
  seed: number;
  steps: number;
  images_seen: number;
  train_seconds: number;
  val_accuracy: number | null;
  config: { model: { name: string; resnetDepth?: number; widthMultiplier?: number } };
}

/**
 * The shipped reference teacher (`models/teacher-reference`, trained for hours in the reference runs) as an experiment
 * result, when it is there and is this profile's teacher network (same depth and width: the `cpu` profile's R34 ×0.25);
 * else undefined and the notebook trains its own. Scored on the workbench's validation and test images like any run;
 * it was trained on the reference profile's larger synthetic set from the same generator (its card says which).
 */
export async function referenceTeacherResult(wb: Workbench, dir = path.join(modelsDir(), REFERENCE_TEACHER)): Promise<ExperimentResult | undefined> {
  const cardFile = path.join(dir, CARD_JSON);
  if (!fs.existsSync(cardFile) || !fs.existsSync(path.join(dir, 'model.json'))) return undefined;
  const card = JSON.parse(fs.readFileSync(cardFile, 'utf8')) as TeacherCard;
  const m = card.config.model;
  if (m.name !== 'pspnet' || m.resnetDepth !== wb.profile.teacher.depth || m.widthMultiplier !== wb.profile.teacher.widthMultiplier) return undefined;
  const model = await loadModelFromDir(dir);
  const { params, flops } = describeModel(model);
  const testSamples = await wb.testSamples();
  // its test verdicts on this workbench's split, cached beside the other runs of this results folder
  const runDir = path.join(resultsDir(), 'runs', REFERENCE_TEACHER);
  const test = testSamples.length
    ? await scoreTestSplit(runDir, { best: undefined, samples: testSamples, fingerprint: { ...testFingerprint(wb), model: card.run, steps: card.steps }, score: (s) => scoreModel(model, s) })
    : undefined;
  return {
    name: REFERENCE_TEACHER,
    spec: { name: REFERENCE_TEACHER, model: { name: 'pspnet', resnetDepth: m.resnetDepth as 34, widthMultiplier: m.widthMultiplier }, seed: card.seed },
    trainModel: model,
    model,
    history: [],
    best: undefined,
    test,
    params,
    flops,
    trainSeconds: card.train_seconds,
    runDir: dir,
    fit: { runDir: dir, status: 'completed', epochsDone: 0, step: card.steps, history: [], best: undefined, resumedAt: 0 },
  };
}
