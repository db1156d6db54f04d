import { RawSample } from '../types';
import { DatasetEntry, GraspDataset } from './dataset';
import { imageStats } from './image';
import { graspFromRect } from './grasp_rect';

/** One row per sample, for tables and histograms (notebook 01). Depth in metres, sizes in pixels. */
export interface SampleStatsRecord {
  id: string;
  objectId: string;
  height: number;
  width: number;
  grasps: number;
  /** share of pixels with missing depth (0 or NaN) as stored */
  missingFraction: number;
  minDepth: number;
  maxDepth: number;
  meanDepth: number;
  /** mean jaw opening |p0p1| and plate size |p1p2| of the positive rectangles */
  meanOpeningPx: number;
  meanPlatePx: number;
}

/** One row per rectangle: angle in degrees (GG-CNN convention), opening and plate in pixels. */
export interface GraspStatsRecord {
  id: string;
  angleDeg: number;
  openingPx: number;
  platePx: number;
}

export function sampleStats(raw: RawSample): SampleStatsRecord {
  const s = imageStats(raw.depth);
  const g = raw.grasps.map(graspFromRect);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  return {
    id: raw.id,
    objectId: raw.objectId,
    height: raw.depth.height,
    width: raw.depth.width,
    grasps: raw.grasps.length,
    missingFraction: s.missing / s.count,
    minDepth: s.min,
    maxDepth: s.max,
    meanDepth: s.mean,
    meanOpeningPx: mean(g.map((x) => x.length)),
    meanPlatePx: mean(g.map((x) => x.width)),
  };
}

export function graspStats(raw: RawSample): GraspStatsRecord[] {
  return raw.grasps.map((r) => {
    const g = graspFromRect(r);
    return { id: raw.id, angleDeg: (g.angle * 180) / Math.PI, openingPx: g.length, platePx: g.width };
  });
}

/**
 * Statistics of (the first `limit` of) `entries` (default: all of the dataset), read one sample at a time.
 * @returns per-sample and per-rectangle records
 */
export async function datasetStats(
  ds: GraspDataset,
  entries: readonly DatasetEntry[] = ds.entries,
  limit = Infinity,
): Promise<{ samples: SampleStatsRecord[]; grasps: GraspStatsRecord[] }> {
  const samples: SampleStatsRecord[] = [];
  const grasps: GraspStatsRecord[] = [];
  for (const e of entries.slice(0, Math.min(entries.length, limit))) {
    const raw = await ds.load(e);
    samples.push(sampleStats(raw));
    grasps.push(...graspStats(raw));
  }
  return { samples, grasps };
}
