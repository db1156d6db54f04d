import { ANGLE_TOLERANCE_RAD } from '../constants';
import { rectAngle, rectCenter, rectFromGrasp } from '../data/grasp_rect';
import { ShapeError } from '../errors';
import type { GraspRectPoints, Sample } from '../types';
import { angleDifference } from './iou';
import type { ImageVerdict } from './metric';

/**
 * Why a top-1 grasp failed the rectangle metric. The metric says only yes/no; to improve a network (or a synthetic
 * generator) one needs to know whether it looks in the wrong place, turns the gripper wrongly, or gets the place and
 * angle right but not the size. Each failed image gets the first of these that applies to its top grasp:
 * - `no-grasp`: no quality peak above the detection threshold;
 * - `position`: no labelled rectangle has its centre within `nearPx` of the grasp centre;
 * - `angle`: some do, but every one of them is more than the angle tolerance (30°) away from the grasp's angle;
 * - `size`: place and angle match a label, yet the IoU stays ≤ the threshold (opening/plate or an offset along the
 *   jaws).
 */
export type FailureMode = 'no-grasp' | 'position' | 'angle' | 'size';

export interface ImageDiagnosis {
  id: string;
  success: boolean;
  /** undefined for successes */
  mode?: FailureMode;
  /** distance (px) from the top grasp's centre to the nearest labelled centre */
  centreDistance?: number;
  /** smallest angle difference (degrees) to a label whose centre is within `nearPx` */
  angleError?: number;
}

export interface FailureBreakdown {
  images: number;
  successes: number;
  counts: Record<FailureMode, number>;
  perImage: ImageDiagnosis[];
}

export interface DiagnoseOptions {
  /** a label counts as "at the same place" within this many pixels of the grasp centre (default 20: ggcnn's minimum peak distance) */
  nearPx?: number;
  /** angle tolerance in radians (default the metric's π/6) */
  angleTolerance?: number;
}

/** Classifies one image's top-1 verdict against its labelled rectangles (in the same pixel frame). */
export function diagnoseVerdict(v: ImageVerdict, labels: readonly GraspRectPoints[], opts: DiagnoseOptions = {}): ImageDiagnosis {
  if (v.success) return { id: v.id, success: true };
  const g = v.grasps[0];
  if (!g) return { id: v.id, success: false, mode: 'no-grasp' };
  const near = opts.nearPx ?? 20;
  const tol = opts.angleTolerance ?? ANGLE_TOLERANCE_RAD;
  // the grasp's angle as the metric reads it (from its rectangle's p0→p1 edge)
  const angle = rectAngle(rectFromGrasp(g));
  let nearest = Infinity;
  let angleError = Infinity;
  for (const r of labels) {
    const [cr, cc] = rectCenter(r);
    const d = Math.hypot(cr - g.center[0], cc - g.center[1]);
    nearest = Math.min(nearest, d);
    if (d <= near) angleError = Math.min(angleError, angleDifference(angle, rectAngle(r)));
  }
  const out: ImageDiagnosis = { id: v.id, success: false, mode: 'size', centreDistance: nearest };
  if (!(nearest <= near)) out.mode = 'position';
  else {
    out.angleError = (angleError * 180) / Math.PI;
    if (angleError > tol) out.mode = 'angle';
  }
  return out;
}

/**
 * Failure modes of a scored set: `verdicts` from `evaluateModel` on `samples` (matched by id, so any order). Use
 * top-1 verdicts: with top-k only the best grasp is diagnosed.
 */
export function diagnoseFailures(samples: readonly Sample[], verdicts: readonly ImageVerdict[], opts: DiagnoseOptions = {}): FailureBreakdown {
  const byId = new Map(samples.map((s) => [s.id, s]));
  const counts: Record<FailureMode, number> = { 'no-grasp': 0, position: 0, angle: 0, size: 0 };
  const perImage = verdicts.map((v) => {
    const s = byId.get(v.id);
    if (!s) throw new ShapeError(`diagnoseFailures: verdict for image "${v.id}" has no sample among the ${samples.length} given`);
    const d = diagnoseVerdict(v, s.grasps, opts);
    if (d.mode) counts[d.mode]++;
    return d;
  });
  return { images: verdicts.length, successes: perImage.filter((d) => d.success).length, counts, perImage };
}
