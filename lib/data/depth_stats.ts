import { Image2D, RawSample } from '../types';
import { graspFromRect, rectCenter } from './grasp_rect';
import { createImage, imageStats, isMissing } from './image';
import { preprocessSteps } from './preprocess';
import { Rng } from './random';

/**
 * What a depth scene looks like to GG-CNN, measured the same way on real Cornell images and on synthetic scenes,
 * so the two can be compared (notebook 01) and the generator checked against ranges (tests).
 *
 * Everything is measured in the 300×300 window that preprocessing crops (centred on the grasp rectangles, as
 * ggcnn), after inpainting: that is what the network sees. The table is the dominant smooth surface there, found
 * by a robust quadratic fit in image coordinates (the oblique camera makes it a curved depth ramp); objects are
 * pixels nearer than the table by more than a threshold, far background (floor, wall behind the table edge)
 * pixels farther by more than 10 cm. Depth is Euclidean distance in metres (Cornell's d.tiff); heights are
 * "protrusion": how much nearer than the table surface along the pixel's ray (mm), not metric height.
 */

/** Robust quadratic surface fit of a depth image: `d ≈ c0 + c1 r + c2 c + c3 r² + c4 rc + c5 c²` (r, c centred). */
export interface SurfaceFit {
  coef: number[];
  /** slope of the surface at the image centre, mm per pixel (rows: positive = depth grows downwards) */
  rowSlopeMmPerPx: number;
  colSlopeMmPerPx: number;
  /** surface depth at the image centre (m) */
  centreDepth: number;
  /** robust σ of the residual on inlier (table) pixels (mm) */
  noiseMm: number;
  /** `depth − surface` (m) for every pixel */
  residual: Image2D;
}

/**
 * Iteratively reweighted least squares with 3σ inlier trimming (objects and background drop out after the first
 * pass). Pixels are subsampled on a `step` grid for the fit; missing pixels are ignored.
 */
export function fitTableSurface(depth: Image2D, opts: { iterations?: number; step?: number } = {}): SurfaceFit {
  const { height: H, width: W, data } = depth;
  const step = opts.step ?? 3;
  const r0 = (H - 1) / 2;
  const c0 = (W - 1) / 2;
  const s = Math.max(H, W) / 2; // scale coordinates to ~[−1, 1] for a well-conditioned system
  const rows: number[] = [];
  const cols: number[] = [];
  const vals: number[] = [];
  for (let r = 0; r < H; r += step) {
    for (let c = 0; c < W; c += step) {
      const v = data[r * W + c];
      if (isMissing(v)) continue;
      rows.push((r - r0) / s);
      cols.push((c - c0) / s);
      vals.push(v);
    }
  }
  const n = vals.length;
  const basis = (r: number, c: number) => [1, r, c, r * r, r * c, c * c];
  let keep = new Uint8Array(n).fill(1);
  let coef = [imageStats(depth).mean, 0, 0, 0, 0, 0];
  let sigma = Infinity;
  for (let it = 0; it < (opts.iterations ?? 6); it++) {
    const A = Array.from({ length: 6 }, () => new Array<number>(7).fill(0));
    for (let i = 0; i < n; i++) {
      if (!keep[i]) continue;
      const b = basis(rows[i], cols[i]);
      for (let j = 0; j < 6; j++) {
        for (let k = 0; k < 6; k++) A[j][k] += b[j] * b[k];
        A[j][6] += b[j] * vals[i];
      }
    }
    coef = solveLinear(A) ?? coef;
    const res = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const b = basis(rows[i], cols[i]);
      let p = 0;
      for (let j = 0; j < 6; j++) p += coef[j] * b[j];
      res[i] = vals[i] - p;
    }
    const abs: number[] = [];
    for (let i = 0; i < n; i++) if (keep[i]) abs.push(Math.abs(res[i]));
    sigma = 1.4826 * median(abs);
    const next = new Uint8Array(n);
    const lim = Math.max(3 * sigma, 1e-4);
    for (let i = 0; i < n; i++) next[i] = Math.abs(res[i]) < lim ? 1 : 0;
    keep = next;
  }
  const residual = createImage(H, W);
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      const i = r * W + c;
      const v = data[i];
      const b = basis((r - r0) / s, (c - c0) / s);
      let p = 0;
      for (let j = 0; j < 6; j++) p += coef[j] * b[j];
      residual.data[i] = isMissing(v) ? 0 : v - p;
    }
  }
  return {
    coef,
    rowSlopeMmPerPx: (1000 * coef[1]) / s,
    colSlopeMmPerPx: (1000 * coef[2]) / s,
    centreDepth: coef[0],
    noiseMm: 1000 * sigma,
    residual,
  };
}

/** Gaussian elimination with partial pivoting on an n×(n+1) augmented matrix; undefined when singular. */
function solveLinear(A: number[][]): number[] | undefined {
  const n = A.length;
  for (let i = 0; i < n; i++) {
    let p = i;
    for (let k = i + 1; k < n; k++) if (Math.abs(A[k][i]) > Math.abs(A[p][i])) p = k;
    if (Math.abs(A[p][i]) < 1e-12) return undefined;
    [A[i], A[p]] = [A[p], A[i]];
    for (let k = i + 1; k < n; k++) {
      const f = A[k][i] / A[i][i];
      for (let j = i; j <= n; j++) A[k][j] -= f * A[i][j];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let v = A[i][n];
    for (let j = i + 1; j < n; j++) v -= A[i][j] * x[j];
    x[i] = v / A[i][i];
  }
  return x;
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const a = Float64Array.from(xs).sort();
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

/** Percentile (0–100) by linear interpolation; NaN for an empty list. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const a = Float64Array.from(xs).sort();
  const x = (p / 100) * (a.length - 1);
  const i = Math.floor(x);
  return i + 1 < a.length ? a[i] + (x - i) * (a[i + 1] - a[i]) : a[i];
}

/** Connected components (4-neighbour) of a mask; components smaller than `minArea` pixels are dropped. */
export function connectedComponents(mask: Uint8Array, height: number, width: number, minArea = 1): { labels: Int32Array; areas: number[] } {
  const labels = new Int32Array(mask.length).fill(-1);
  const areas: number[] = [];
  const stack: number[] = [];
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || labels[start] !== -1) continue;
    const id = areas.length;
    const members: number[] = [];
    labels[start] = id;
    stack.push(start);
    while (stack.length) {
      const i = stack.pop()!;
      members.push(i);
      const r = (i / width) | 0;
      const c = i - r * width;
      const visit = (j: number) => {
        if (mask[j] && labels[j] === -1) {
          labels[j] = id;
          stack.push(j);
        }
      };
      if (r > 0) visit(i - width);
      if (r < height - 1) visit(i + width);
      if (c > 0) visit(i - 1);
      if (c < width - 1) visit(i + 1);
    }
    if (members.length < minArea) {
      for (const i of members) labels[i] = -2; // visited, too small
      continue;
    }
    areas.push(members.length);
  }
  for (let i = 0; i < labels.length; i++) if (labels[i] === -2) labels[i] = -1;
  return { labels, areas };
}

/** One scene's statistics (see the module comment for definitions). */
export interface SceneDepthStats {
  id: string;
  /** missing pixels (0/NaN) in the stored full frame, before inpainting */
  missingFraction: number;
  /** table surface in the crop */
  rowSlopeMmPerPx: number;
  colSlopeMmPerPx: number;
  centreDepth: number;
  /** |curvature| of the fitted surface over the crop: max − min of its quadratic part (mm) */
  curvatureMm: number;
  /** robust noise σ on the table (mm) */
  noiseMm: number;
  /** crop pixels more than 10 cm behind the table surface (floor/wall beyond the table edge) */
  farFraction: number;
  /** crop pixels on objects (nearer than the table by > objectThresholdMm) */
  objectFraction: number;
  /** number of objects (connected components ≥ 40 px) in the crop */
  objects: number;
  /** per object: 95th percentile and max protrusion above the table surface (mm), footprint (px) */
  objectHeightsMm: number[];
  objectMaxHeightsMm: number[];
  objectFootprintsPx: number[];
  /** positive rectangles: jaw opening and plate (px), angle (°, GG-CNN convention) */
  openingsPx: number[];
  platesPx: number[];
  anglesDeg: number[];
  /** positive rectangles whose centre lies on an object pixel (±3 px) */
  rectsOnObject: number;
  /** rectangles per object that has any (centres assigned to the nearest object within 10 px) */
  rectsPerObject: number[];
  /** power spectrum of the table residual along rows and columns (mm² per frequency bin, 0..0.5 cycles/px) */
  noiseSpectrum?: NoiseSpectrum;
}

export interface NoiseSpectrum {
  /** cycles per pixel */
  freq: number[];
  /** mean power along image rows (horizontal frequencies) and along columns */
  alongRows: number[];
  alongCols: number[];
}

export interface SceneStatsOptions {
  /** crop size (default 300, as the networks) */
  cropSize?: number;
  /** protrusion that makes a pixel an object (mm, default max(5, 3σ)) */
  objectThresholdMm?: number;
  /** compute the noise spectrum (a few ms) */
  spectrum?: boolean;
}

/** Statistics of one raw sample (depth as stored, positive rectangles), measured in its preprocessing crop. */
export function sceneDepthStats(raw: RawSample, opts: SceneStatsOptions = {}): SceneDepthStats {
  const S = opts.cropSize ?? 300;
  const full = imageStats(raw.depth);
  const trace = preprocessSteps(raw, { outputSize: S, rotate: 'none', zoom: false }, new Rng(0));
  const crop = trace.cropped;
  const fit = fitTableSurface(crop);
  const thr = (opts.objectThresholdMm ?? Math.max(5, 3 * fit.noiseMm)) / 1000;
  const N = crop.data.length;
  const obj = new Uint8Array(N);
  let far = 0;
  for (let i = 0; i < N; i++) {
    const e = fit.residual.data[i];
    if (e < -thr) obj[i] = 1;
    else if (e > 0.1) far++;
  }
  const { labels, areas } = connectedComponents(obj, S, S, 40);
  const heights: number[][] = areas.map(() => []);
  for (let i = 0; i < N; i++) if (labels[i] >= 0) heights[labels[i]].push(-1000 * fit.residual.data[i]);
  let objectPixels = 0;
  for (const a of areas) objectPixels += a;

  // curvature: range of the quadratic terms over the crop
  const s = S / 2;
  let qmin = Infinity;
  let qmax = -Infinity;
  for (let r = 0; r < S; r += 10) {
    for (let c = 0; c < S; c += 10) {
      const y = (r - (S - 1) / 2) / s;
      const x = (c - (S - 1) / 2) / s;
      const q = fit.coef[3] * y * y + fit.coef[4] * y * x + fit.coef[5] * x * x;
      qmin = Math.min(qmin, q);
      qmax = Math.max(qmax, q);
    }
  }

  const grasps = trace.croppedGrasps.map(graspFromRect);
  let onObject = 0;
  const perObject = new Map<number, number>();
  for (const r of trace.croppedGrasps) {
    const [cr, cc] = rectCenter(r);
    let hit = false;
    let nearest = -1;
    let best = Infinity;
    for (let dr = -10; dr <= 10; dr++) {
      for (let dc = -10; dc <= 10; dc++) {
        const rr = Math.round(cr) + dr;
        const c2 = Math.round(cc) + dc;
        if (rr < 0 || rr >= S || c2 < 0 || c2 >= S) continue;
        const l = labels[rr * S + c2];
        if (l < 0) continue;
        const d = Math.hypot(dr, dc);
        if (d <= 3 * Math.SQRT2) hit = true;
        if (d < best) {
          best = d;
          nearest = l;
        }
      }
    }
    if (hit) onObject++;
    if (nearest >= 0) perObject.set(nearest, (perObject.get(nearest) ?? 0) + 1);
  }

  return {
    id: raw.id,
    missingFraction: full.missing / full.count,
    rowSlopeMmPerPx: fit.rowSlopeMmPerPx,
    colSlopeMmPerPx: fit.colSlopeMmPerPx,
    centreDepth: fit.centreDepth,
    curvatureMm: 1000 * (qmax - qmin),
    noiseMm: fit.noiseMm,
    farFraction: far / N,
    objectFraction: objectPixels / N,
    objects: areas.length,
    objectHeightsMm: heights.map((h) => percentile(h, 95)),
    objectMaxHeightsMm: heights.map((h) => Math.max(...h)),
    objectFootprintsPx: areas,
    openingsPx: grasps.map((g) => g.length),
    platesPx: grasps.map((g) => g.width),
    anglesDeg: grasps.map((g) => (g.angle * 180) / Math.PI),
    rectsOnObject: onObject,
    rectsPerObject: [...perObject.values()],
    noiseSpectrum: opts.spectrum ? tableNoiseSpectrum(fit.residual, obj) : undefined,
  };
}

/**
 * Power spectrum of the table residual: 1-D DFTs of 64-pixel segments along rows and along columns
 * that lie entirely on table pixels (no object, no far background), averaged. White sensor noise is flat; a
 * smooth (inpainted or low-pass) surface has its power at low frequencies.
 */
export function tableNoiseSpectrum(residual: Image2D, objectMask: Uint8Array, segment = 64): NoiseSpectrum {
  const { height: H, width: W, data } = residual;
  const table = (i: number) => !objectMask[i] && Math.abs(data[i]) < 0.02;
  const collect = (alongRows: boolean): number[][] => {
    const segs: number[][] = [];
    const outer = alongRows ? H : W;
    const inner = alongRows ? W : H;
    for (let a = 0; a < outer; a += 4) {
      for (let b = 0; b + segment <= inner; b += segment) {
        const seg: number[] = [];
        let ok = true;
        for (let k = 0; k < segment && ok; k++) {
          const i = alongRows ? a * W + b + k : (b + k) * W + a;
          if (!table(i)) ok = false;
          else seg.push(1000 * data[i]);
        }
        if (ok) {
          const m = seg.reduce((x, y) => x + y, 0) / segment;
          segs.push(seg.map((v) => v - m));
        }
      }
    }
    return segs;
  };
  // tfjs' FFT needs the Complex kernel, which the wasm backend lacks; a direct DFT of a few hundred 64-sample
  // segments costs a few ms, so no FFT dependency is needed
  const cosT = new Float64Array(segment * segment);
  const sinT = new Float64Array(segment * segment);
  for (let k = 0; k < segment; k++) {
    for (let n = 0; n < segment; n++) {
      cosT[k * segment + n] = Math.cos((2 * Math.PI * k * n) / segment);
      sinT[k * segment + n] = Math.sin((2 * Math.PI * k * n) / segment);
    }
  }
  const power = (segs: number[][]): number[] => {
    const out = new Array<number>(segment / 2 + 1).fill(segs.length ? 0 : NaN);
    for (const seg of segs) {
      for (let k = 0; k <= segment / 2; k++) {
        let re = 0;
        let im = 0;
        for (let n = 0; n < segment; n++) {
          re += seg[n] * cosT[k * segment + n];
          im -= seg[n] * sinT[k * segment + n];
        }
        out[k] += (re * re + im * im) / segment / segs.length;
      }
    }
    return out;
  };
  return {
    freq: Array.from({ length: segment / 2 + 1 }, (_, k) => k / segment),
    alongRows: power(collect(true)),
    alongCols: power(collect(false)),
  };
}

/** Summary of many scenes' statistics: medians and 5–95 % ranges of the per-scene and per-object quantities. */
export function summariseDepthStats(stats: readonly SceneDepthStats[]): Record<string, { p5: number; median: number; p95: number; n: number }> {
  const q = (xs: number[]) => ({ p5: percentile(xs, 5), median: percentile(xs, 50), p95: percentile(xs, 95), n: xs.length });
  const flat = (f: (s: SceneDepthStats) => number[]) => stats.flatMap(f);
  return {
    missingFraction: q(stats.map((s) => s.missingFraction)),
    rowSlopeMmPerPx: q(stats.map((s) => s.rowSlopeMmPerPx)),
    colSlopeMmPerPx: q(stats.map((s) => s.colSlopeMmPerPx)),
    centreDepth: q(stats.map((s) => s.centreDepth)),
    curvatureMm: q(stats.map((s) => s.curvatureMm)),
    noiseMm: q(stats.map((s) => s.noiseMm)),
    farFraction: q(stats.map((s) => s.farFraction)),
    objectFraction: q(stats.map((s) => s.objectFraction)),
    objects: q(stats.map((s) => s.objects)),
    objectHeightMm: q(flat((s) => s.objectHeightsMm)),
    objectFootprintPx: q(flat((s) => s.objectFootprintsPx)),
    openingPx: q(flat((s) => s.openingsPx)),
    platePx: q(flat((s) => s.platesPx)),
    absAngleDeg: q(flat((s) => s.anglesDeg.map(Math.abs))),
    rectsPerImage: q(stats.map((s) => s.openingsPx.length)),
    rectsPerObject: q(flat((s) => s.rectsPerObject)),
    rectsOnObjectShare: q(stats.map((s) => (s.openingsPx.length ? s.rectsOnObject / s.openingsPx.length : NaN)).filter(Number.isFinite)),
  };
}

/** Rows of a real-vs-synthetic table: per quantity, the median and 5–95 % range of each. */
export function comparisonRows(real: readonly SceneDepthStats[], synthetic: readonly SceneDepthStats[]): Record<string, string | number>[] {
  const a = summariseDepthStats(real);
  const b = summariseDepthStats(synthetic);
  const range = (q: { p5: number; p95: number }) => `${q.p5.toFixed(2)} – ${q.p95.toFixed(2)}`;
  return Object.keys(a).map((k) => ({
    quantity: k,
    'real median': a[k].median,
    'real 5–95 %': range(a[k]),
    'synthetic median': b[k].median,
    'synthetic 5–95 %': range(b[k]),
  }));
}

/** Mean noise spectrum over scenes (bins where a scene has no table segment are skipped). */
export function meanSpectrum(stats: readonly SceneDepthStats[]): NoiseSpectrum | undefined {
  const sp = stats.map((s) => s.noiseSpectrum).filter((x): x is NoiseSpectrum => !!x);
  if (sp.length === 0) return undefined;
  const avg = (pick: (n: NoiseSpectrum) => number[]) =>
    sp[0].freq.map((_, k) => {
      const v = sp.map((n) => pick(n)[k]).filter(Number.isFinite);
      return v.length ? v.reduce((x, y) => x + y, 0) / v.length : NaN;
    });
  return { freq: sp[0].freq, alongRows: avg((n) => n.alongRows), alongCols: avg((n) => n.alongCols) };
}
