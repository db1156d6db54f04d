import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../errors';
import { MAP_CHANNELS } from '../types';

/** Per-pixel error of the grasp loss: GG-CNN's `F.mse_loss` or GR-ConvNet's `F.smooth_l1_loss` (β = 1). */
export type GraspLossKind = 'mse' | 'smoothL1';

/** One scalar per map, in MAP_CHANNELS order. */
export interface MapParts<T> {
  pos: T;
  cos: T;
  sin: T;
  width: T;
}

export interface GraspLossResult {
  /** Σ of the four parts (equal weights, as in ggcnn `compute_loss`) */
  loss: tf.Scalar;
  parts: MapParts<tf.Scalar>;
}

/**
 * Throws a ShapeError unless `pred` and `target` are both `[B,H,W,4]` and equal in shape.
 * `what` names the caller in the message.
 */
export function checkMapPair(pred: tf.Tensor, target: tf.Tensor, what: string): void {
  const ok = pred.rank === 4 && pred.shape[3] === MAP_CHANNELS.length && tf.util.arraysEqual(pred.shape, target.shape);
  if (!ok) {
    throw new ShapeError(
      `${what}: expected prediction and target of equal shape [B,H,W,${MAP_CHANNELS.length}], got [${pred.shape}] and [${target.shape}]`,
    );
  }
}

/**
 * Element-wise loss of `diff = pred − target`: `diff²` (mse) or smooth-L1 with β = 1
 * (`0.5·d²` for |d| < 1, `|d| − 0.5` otherwise, PyTorch's default).
 */
export function elementwiseLoss(diff: tf.Tensor, kind: GraspLossKind): tf.Tensor {
  return tf.tidy(() => {
    switch (kind) {
      case 'mse':
        return tf.square(diff);
      case 'smoothL1': {
        const a = tf.abs(diff);
        return tf.where(tf.less(a, 1), tf.mul(0.5, tf.square(diff)), tf.sub(a, 0.5));
      }
      default: {
        const never: never = kind;
        throw new ShapeError(`unknown grasp loss kind ${String(never)}`);
      }
    }
  });
}

/**
 * The four per-map losses as one vector `[4]` (pos, cos, sin, width): each is the mean over B·H·W of the
 * element-wise loss. Used by `graspLoss` and by the train step, which wants one tensor to read back.
 * Caller disposes the result.
 */
export function graspLossVector(pred: tf.Tensor4D, target: tf.Tensor4D, kind: GraspLossKind = 'mse'): tf.Tensor1D {
  checkMapPair(pred, target, 'graspLoss');
  return tf.tidy(() => tf.mean(elementwiseLoss(tf.sub(pred, target), kind), [0, 1, 2]) as tf.Tensor1D);
}

/**
 * GG-CNN loss: the sum of the mean loss of each of the four maps (ggcnn `compute_loss`: `F.mse_loss` on pos, cos,
 * sin, width, summed with equal weights; GR-ConvNet uses `smooth_l1_loss` the same way).
 *
 * @param pred   `[B,H,W,4]` network output (pos, cos, sin, width)
 * @param target `[B,H,W,4]` target maps, same shape
 * @returns scalars; the caller disposes `loss` and each part (or calls this inside `tf.tidy`)
 * @example const { loss, parts } = graspLoss(model.predict(x) as tf.Tensor4D, y);
 */
export function graspLoss(pred: tf.Tensor4D, target: tf.Tensor4D, kind: GraspLossKind = 'mse'): GraspLossResult {
  return tf.tidy(() => {
    const v = graspLossVector(pred, target, kind);
    const [pos, cos, sin, width] = tf.unstack(v) as tf.Scalar[];
    return { loss: tf.sum(v) as tf.Scalar, parts: { pos, cos, sin, width } };
  });
}
