import * as fs from 'fs';
import * as path from 'path';
import { evaluateModel } from '../eval/metric';
import type { LatencyOptions } from '../eval/timing';
import { tfjsPredictor, type NhwcBatch } from '../models/predictor';
import { MAP_CHANNELS, type MapName, type Sample } from '../types';
import { measureModelLatency } from './latency';
import { ONNX_EXPORT_FORMATS, onnxExportPath, saveOnnx } from './onnx';
import { onnxRuntimeAvailable, OrtPredictor } from './onnx_runtime';
import type { DeployCandidate, ExportRow, ExportSummaryRow } from './report';

/**
 * Notebook 06's ONNX rows: each candidate exported as ONNX (float32, float16 and int8 weights), loaded back from the
 * file by ONNX Runtime as an application would, and measured like the tfjs exports (lib/export/report.ts): size,
 * rectangle-metric accuracy, drift of the maps against the in-memory tfjs float32 model, batch-1 latency.
 */

export type OnnxFormat = keyof typeof ONNX_EXPORT_FORMATS;
export const ONNX_FORMATS = Object.keys(ONNX_EXPORT_FORMATS) as OnnxFormat[];

export interface OnnxExportRow {
  key: string;
  model: string;
  format: OnnxFormat;
  file: string;
  params: number;
  totalBytes: number;
  /** NaN where ONNX Runtime is not installed (then `note` says so) */
  accuracy: number;
  correct: number;
  total: number;
  maxAbsDiff: number;
  meanAbsDiff: number;
  perChannel: Record<MapName, number>;
  diffImages: number;
  /** batch-1 forward / whole prediction, median ms, on ONNX Runtime */
  forwardMs: number;
  predictMs: number;
  engine: string;
  note?: string;
}

/**
 * Exports every candidate as `root/<key>/<format>/model.onnx` and measures each export through ONNX Runtime.
 * Without onnxruntime-node the files are still written and sized; accuracy, drift and latency are NaN with a note.
 */
export async function compareOnnxExports(
  candidates: readonly DeployCandidate[],
  samples: readonly Sample[],
  root: string,
  opts: { formats?: readonly OnnxFormat[]; diffImages?: number; batchSize?: number; timing?: LatencyOptions } = {},
): Promise<OnnxExportRow[]> {
  const ort = onnxRuntimeAvailable();
  const diffSamples = samples.slice(0, Math.max(1, opts.diffImages ?? 8));
  const rows: OnnxExportRow[] = [];
  for (const c of candidates) {
    const size = c.model.inputs[0].shape[1] as number;
    const x: NhwcBatch = { data: new Float32Array(diffSamples.length * size * size), shape: [diffSamples.length, size, size, 1] };
    diffSamples.forEach((s, i) => x.data.set(s.depth.data, i * size * size));
    const reference = (await tfjsPredictor(c.model).predict(x)).maps.data;
    for (const format of opts.formats ?? ONNX_FORMATS) {
      const file = onnxExportPath(path.join(root, c.key, format));
      saveOnnx(c.model, file, { weights: ONNX_EXPORT_FORMATS[format], source: c.source });
      const base = { key: c.key, model: c.label, format, file, params: c.model.countParams(), totalBytes: fs.statSync(file).size, diffImages: diffSamples.length };
      if (!ort.ok) {
        const nan = { accuracy: NaN, correct: NaN, total: samples.length, maxAbsDiff: NaN, meanAbsDiff: NaN, forwardMs: NaN, predictMs: NaN };
        rows.push({ ...base, ...nan, perChannel: channelRecord(() => NaN), engine: 'onnxruntime (not installed)', note: ort.reason });
        continue;
      }
      const p = await OrtPredictor.fromFile(file);
      try {
        const ev = await evaluateModel(p, samples, { batchSize: opts.batchSize });
        const drift = mapDrift((await p.predict(x)).maps.data, reference);
        const lat = await measureModelLatency(p, opts.timing);
        rows.push({ ...base, accuracy: ev.accuracy, correct: ev.correct, total: ev.total, ...drift, forwardMs: lat.forward.median, predictMs: lat.predict.median, engine: p.engine });
      } finally {
        await p.release();
      }
    }
  }
  return rows;
}

/**
 * The ONNX rows in notebook 06's table format, against the same model's tfjs float32 export (size ratio and Δ
 * accuracy), so tfjs-wasm and ONNX Runtime rows sit side by side.
 */
export function onnxSummary(rows: readonly OnnxExportRow[], tfjsRows: readonly Pick<ExportRow, 'key' | 'format' | 'totalBytes' | 'accuracy'>[]): ExportSummaryRow[] {
  return rows.map((r) => {
    const f32 = tfjsRows.find((t) => t.key === r.key && t.format === 'float32');
    return {
      model: r.model,
      format: r.format,
      params: r.params,
      'size KB': r.totalBytes / 1024,
      '× float32 size': f32 ? r.totalBytes / f32.totalBytes : NaN,
      'accuracy %': 100 * r.accuracy,
      'Δ accuracy (pts)': f32 ? 100 * (r.accuracy - f32.accuracy) : NaN,
      'max |Δ map|': r.maxAbsDiff,
      'mean |Δ map|': r.meanAbsDiff,
      backend: r.engine,
      'forward ms': r.forwardMs,
      'predict ms': r.predictMs,
    };
  });
}

function mapDrift(a: Float32Array, b: Float32Array): { maxAbsDiff: number; meanAbsDiff: number; perChannel: Record<MapName, number> } {
  const per = new Float64Array(MAP_CHANNELS.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    const c = i % MAP_CHANNELS.length;
    if (d > per[c]) per[c] = d;
    sum += d;
  }
  return { maxAbsDiff: Math.max(...per), meanAbsDiff: a.length ? sum / a.length : 0, perChannel: channelRecord((c) => per[c]) };
}

function channelRecord(f: (c: number) => number): Record<MapName, number> {
  return Object.fromEntries(MAP_CHANNELS.map((n, c) => [n, f(c)])) as Record<MapName, number>;
}
