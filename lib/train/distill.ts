import * as tf from '@tensorflow/tfjs';
import { ConfigError, ShapeError } from '../errors';
import { checkMapPair, elementwiseLoss } from './losses';

/**
 * Knowledge-distillation losses for dense grasp maps, after Liu et al., "Structured Knowledge Distillation for
 * Semantic Segmentation" (CVPR 2019; irfanICMLL/structure_knowledge_distillation `utils/criterion.py`).
 *
 * - pixel-wise: the reference's soft cross-entropy between class distributions has no meaning for regression maps,
 *   so the student's four maps are pulled towards the teacher's with an MSE (optionally weighted by the teacher's
 *   grasp quality, so the student copies the teacher where grasps are);
 * - pair-wise: the reference's structured term on intermediate features, unchanged: max-pool, L2-normalise each
 *   position's channel vector, cosine-affinity matrix over positions, squared difference of the two matrices.
 * The holistic (adversarial) term is not implemented.
 */

export interface PixelDistillOptions {
  /**
   * Weight each pixel by the teacher's quality map (channel 0, `pos`), clipped at 0 and normalised per image to
   * mean 1 over H·W, so the loss stays on the scale of the unweighted MSE. An image whose teacher quality is ≤ 0
   * everywhere falls back to uniform weights (1). Default false.
   */
  qualityWeighted?: boolean;
}

/** Below this mean clipped quality an image counts as "no grasp anywhere" and gets uniform weights. */
const MIN_MEAN_QUALITY = 1e-6;

/**
 * Pixel-wise KD loss: `Σ_c mean_{b,h,w}( w · (S_c − T_c)² )` over the four maps c (same reduction as `graspLoss`,
 * so λ values are comparable), `w = 1` or the normalised teacher quality (see `qualityWeighted`).
 *
 * @param student `[B,H,W,4]` student maps
 * @param teacher `[B,H,W,4]` teacher maps (treated as constants: no gradient flows into the teacher)
 * @returns scalar; caller disposes
 */
export function pixelDistillLoss(student: tf.Tensor4D, teacher: tf.Tensor4D, opts: PixelDistillOptions = {}): tf.Scalar {
  checkMapPair(student, teacher, 'pixelDistillLoss');
  return tf.tidy(() => {
    const err = elementwiseLoss(tf.sub(student, teacher), 'mse'); // [B,H,W,4]
    if (!opts.qualityWeighted) return tf.sum(tf.mean(err, [0, 1, 2])) as tf.Scalar;
    const w = qualityWeights(teacher); // [B,H,W,1]
    return tf.sum(tf.mean(tf.mul(err, w), [0, 1, 2])) as tf.Scalar;
  });
}

/**
 * Per-pixel weights from the teacher's quality channel: `relu(q) / mean_{h,w}(relu(q))`, or 1 for an image without
 * positive quality. `[B,H,W,4]` → `[B,H,W,1]`, mean 1 per image. Caller disposes.
 */
export function qualityWeights(teacherMaps: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, w] = teacherMaps.shape;
    const q = tf.relu(tf.slice(teacherMaps, [0, 0, 0, 0], [b, h, w, 1]));
    const m = tf.mean(q, [1, 2], true); // [B,1,1,1]
    const has = tf.greater(m, MIN_MEAN_QUALITY);
    const safeM = tf.where(has, m, tf.onesLike(m));
    return tf.where(tf.broadcastTo(has, q.shape), tf.div(q, safeM), tf.onesLike(q)) as tf.Tensor4D;
  });
}

export interface PairDistillOptions {
  /**
   * Pooling window as a fraction of the (teacher's) feature map height/width (reference `pool_scale`, default 0.5):
   * kernel = stride = max(1, floor(size·poolScale)), so 0.5 gives a 2×2 grid of N = 4 positions and 1/8 an 8×8 grid.
   * Windows as the reference's PyTorch `MaxPool2d(ceil_mode=True, padding=0)`: they start at 0, and the last one is cut
   * short when the kernel does not divide the size (tfjs 'same' padding would shift every window instead).
   */
  poolScale?: number;
  /**
   * Treat each position's L2 norm as a constant in the gradient, as the reference does (`L2(feat).detach()`).
   * Default true.
   */
  detachNorm?: boolean;
}

/**
 * Cosine-similarity affinity of a feature map after max-pooling (reference `similarity`):
 * `[B,h,w,C]` → pool (see `poolScale`) → `[B,N,C]` with each row divided by (its L2 norm + 1e-8) → `A = F Fᵀ`,
 * `[B,N,N]`. Caller disposes.
 */
export function affinity(features: tf.Tensor4D, opts: PairDistillOptions = {}): tf.Tensor3D {
  checkFeatures(features, 'affinity');
  return tf.tidy(() => affinityOfPooled(poolFeatures(features, opts.poolScale ?? 0.5), opts.detachNorm ?? true));
}

function affinityOfPooled(pooled: tf.Tensor4D, detachNorm: boolean): tf.Tensor3D {
  const [b, ph, pw, c] = pooled.shape;
  const f = tf.reshape(pooled, [b, ph * pw, c]) as tf.Tensor3D;
  let norm = tf.add(tf.sqrt(tf.sum(tf.square(f), 2, true)), 1e-8); // [B,N,1]
  if (detachNorm) norm = stopGradient(norm);
  const fn = tf.div(f, norm) as tf.Tensor3D;
  return tf.matMul(fn, fn, false, true) as tf.Tensor3D;
}

/**
 * Max-pools `[B,h,w,C]` with a window of `floor(size·scale)` (≥ 1) and equal stride, PyTorch `ceil_mode=True`:
 * `ceil(h/k)` windows from the top-left corner, the last one reaching past the edge over −∞ padding (bottom/right
 * only), so it takes the max of the pixels it still covers.
 */
function poolFeatures(features: tf.Tensor4D, scale: number): tf.Tensor4D {
  const [kh, kw] = poolKernel(features, scale);
  if (kh === 1 && kw === 1) return features.clone();
  const [, h, w] = features.shape;
  const padH = Math.ceil(h / kh) * kh - h;
  const padW = Math.ceil(w / kw) * kw - w;
  const padded = padH || padW ? tf.pad(features, [[0, 0], [0, padH], [0, padW], [0, 0]], -Infinity) : features;
  return tf.maxPool(padded, [kh, kw], [kh, kw], 'valid');
}

function poolKernel(features: tf.Tensor4D, scale: number): [number, number] {
  if (!(scale > 0 && scale <= 1)) throw new ConfigError(`pair-wise KD poolScale must be in (0, 1], got ${scale}`);
  const [, h, w] = features.shape;
  return [Math.max(1, Math.floor(h * scale)), Math.max(1, Math.floor(w * scale))];
}

/**
 * Max-pools `[B,h,w,C]` onto a `gh×gw` grid with PyTorch's AdaptiveMaxPool2d windows
 * (`start = floor(i·h/gh)`, `end = ceil((i+1)·h/gh)`); tfjs has no adaptive pooling. Meant for small grids.
 */
export function adaptiveMaxPool(features: tf.Tensor4D, gh: number, gw: number): tf.Tensor4D {
  checkFeatures(features, 'adaptiveMaxPool');
  const [b, h, w, c] = features.shape;
  if (gh > h || gw > w) throw new ShapeError(`adaptiveMaxPool: cannot pool [${features.shape}] onto a larger ${gh}x${gw} grid`);
  return tf.tidy(() => {
    const cells: tf.Tensor[] = [];
    for (let i = 0; i < gh; i++) {
      const r0 = Math.floor((i * h) / gh);
      const r1 = Math.ceil(((i + 1) * h) / gh);
      for (let j = 0; j < gw; j++) {
        const c0 = Math.floor((j * w) / gw);
        const c1 = Math.ceil(((j + 1) * w) / gw);
        cells.push(tf.max(tf.slice(features, [0, r0, c0, 0], [b, r1 - r0, c1 - c0, c]), [1, 2])); // [B,C]
      }
    }
    return tf.reshape(tf.stack(cells, 1), [b, gh, gw, c]) as tf.Tensor4D;
  });
}

/** Identity whose gradient is zero (PyTorch's `.detach()`); tfjs has no stop_gradient op. */
const stopGradient = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;

/**
 * Pair-wise (structured) KD loss: `Σ (A_T − A_S)² / N² / B` with `A` the cosine affinity over N pooled positions
 * (reference `sim_dis_compute`). The teacher's map is pooled with the `poolScale` kernel; the student's with the
 * same kernel when both maps have the same size (the reference case), otherwise adaptively onto the teacher's grid
 * (e.g. GG-CNN's 301×301 features against PSPNet's 38×38). Channel counts may differ. Invariant to a positive
 * rescaling of either feature map (the rows are L2-normalised).
 *
 * @param studentFeatures `[B,h,w,Cs]`
 * @param teacherFeatures `[B,h',w',Ct]` (constant)
 * @returns scalar; caller disposes
 */
export function pairDistillLoss(
  studentFeatures: tf.Tensor4D,
  teacherFeatures: tf.Tensor4D,
  opts: PairDistillOptions = {},
): tf.Scalar {
  checkFeatures(studentFeatures, 'pairDistillLoss (student)');
  checkFeatures(teacherFeatures, 'pairDistillLoss (teacher)');
  if (studentFeatures.shape[0] !== teacherFeatures.shape[0]) {
    throw new ShapeError(`pairDistillLoss: batch sizes differ, student [${studentFeatures.shape}] vs teacher [${teacherFeatures.shape}]`);
  }
  const scale = opts.poolScale ?? 0.5;
  const detach = opts.detachNorm ?? true;
  return tf.tidy(() => {
    const pt = poolFeatures(teacherFeatures, scale);
    const [, gh, gw] = pt.shape;
    const sameSize = studentFeatures.shape[1] === teacherFeatures.shape[1] && studentFeatures.shape[2] === teacherFeatures.shape[2];
    const ps = sameSize ? poolFeatures(studentFeatures, scale) : adaptiveMaxPool(studentFeatures, gh, gw);
    const at = affinityOfPooled(pt, detach);
    const as = affinityOfPooled(ps, detach);
    const [b, n] = at.shape;
    return tf.div(tf.sum(tf.square(tf.sub(at, as))), n * n * b) as tf.Scalar;
  });
}

function checkFeatures(f: tf.Tensor, what: string): void {
  if (f.rank !== 4) throw new ShapeError(`${what}: expected features [B,h,w,C], got [${f.shape}]`);
}

/** What a KD term reads from one network: its `[B,H,W,4]` maps and, for the pair-wise term, a feature map. */
export interface DistillInputs {
  maps: tf.Tensor4D;
  features?: tf.Tensor4D;
}

export interface DistillOptions extends PixelDistillOptions, PairDistillOptions {
  /** λ_pi, weight of the pixel-wise term (0 = off) */
  pixel: number;
  /** λ_pa, weight of the pair-wise term (0 = off; needs `features` on both sides) */
  pair: number;
}

export interface DistillResult {
  /** `λ_pi·pixel + λ_pa·pair` */
  loss: tf.Scalar;
  /** unweighted terms (0 when the term is off) */
  parts: { pixel: tf.Scalar; pair: tf.Scalar };
}

/**
 * Combined KD loss `λ_pi·pixel + λ_pa·pair` (the task loss is added by the train step). A term whose λ is 0 is not
 * computed. Zero when student and teacher agree, positive otherwise. Caller disposes all returned tensors.
 */
export function distillLoss(student: DistillInputs, teacher: DistillInputs, opts: DistillOptions): DistillResult {
  for (const [name, v] of [['pixel', opts.pixel], ['pair', opts.pair]] as const) {
    if (!(Number.isFinite(v) && v >= 0)) throw new ConfigError(`KD weight λ_${name} must be a finite number ≥ 0, got ${v}`);
  }
  return tf.tidy(() => {
    const pixel = opts.pixel > 0 ? pixelDistillLoss(student.maps, teacher.maps, opts) : tf.scalar(0);
    let pair: tf.Scalar = tf.scalar(0);
    if (opts.pair > 0) {
      if (!student.features || !teacher.features) {
        throw new ConfigError('pair-wise KD (λ_pa > 0) needs feature maps from both student and teacher');
      }
      pair = pairDistillLoss(student.features, teacher.features, opts);
    }
    const loss = tf.add(tf.mul(opts.pixel, pixel), tf.mul(opts.pair, pair)) as tf.Scalar;
    return { loss, parts: { pixel, pair } };
  });
}
