import * as tf from '@tensorflow/tfjs';

/**
 * BatchNorm over the channels of an NHWC map in training mode, as ONE op with its own gradient.
 *
 * Why: tfjs-layers' BatchNormalization trains through `tf.moments` + `batchNorm`, whose autodiff gradient is ~35
 * small kernels per layer (tiles, broadcasts, divisions, reductions); on PSPNet-R18 ×0.25 at batch 8 those were ~1 s
 * of a 4.4 s wasm training step (981 Multiply, 143 Sum, 57 Mean, 171 Sub, 325 RealDiv calls per step). The closed
 * form below needs two reductions and a few element-wise passes, with ops every backend has.
 *
 * Forward (N = B·H·W, per channel): mean = Σx/N, var = Σ(x−mean)²/N (biased, as tf.moments), x̂ = (x−mean)·rstd with
 * rstd = 1/√(var+ε), y = γ·x̂ + β. Backward, with xc = x − mean (saved instead of x, same memory):
 *   dβ = Σdy,   dγ = rstd·Σ(dy·xc),
 *   dx = γ·rstd·(dy − dβ/N − xc·rstd²·Σ(dy·xc)/N)   (the usual BN input gradient)
 * x [B,H,W,C], gamma/beta [C] → y [B,H,W,C]; mean and variance [C] come back for the moving averages (not
 * differentiated: the caller only feeds them into the running statistics).
 */
export function batchNormTraining(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): { y: tf.Tensor4D; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const axes = [0, 1, 2];
  let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | undefined;
  const op = tf.customGrad((xIn, gIn, bIn, save) => {
    const xt = xIn as tf.Tensor4D;
    const g = gIn as tf.Tensor1D;
    const b = bIn as tf.Tensor1D;
    const mean = tf.mean(xt, axes) as tf.Tensor1D;
    // x + (−mean) is x − mean exactly; wasm's broadcasting Add is 2–4x faster than its Sub for few channels
    const xc = tf.add(xt, tf.neg(mean));
    const variance = tf.mean(tf.mul(xc, xc), axes) as tf.Tensor1D;
    const rstd = tf.rsqrt(tf.add(variance, epsilon)) as tf.Tensor1D;
    const scale = tf.mul(g, rstd);
    const value = tf.add(tf.mul(xc, scale), b) as tf.Tensor4D;
    (save as tf.GradSaveFunc)([xc, g, rstd]);
    stats = { mean: tf.keep(mean), variance: tf.keep(variance) };
    const gradFunc = (dy: tf.Tensor4D, saved: tf.Tensor[]): tf.Tensor[] => {
      const [xcs, gs, rs] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D];
      const n = xcs.size / xcs.shape[3];
      const dBeta = tf.sum(dy, axes) as tf.Tensor1D;
      const dyXc = tf.sum(tf.mul(dy, xcs), axes) as tf.Tensor1D;
      const dGamma = tf.mul(dyXc, rs) as tf.Tensor1D;
      // dx = dy·a + xc·bCoef + c, all per channel
      const a = tf.mul(gs, rs);
      const bCoef = tf.neg(tf.div(tf.mul(a, tf.mul(tf.square(rs), dyXc)), n));
      const c = tf.neg(tf.div(tf.mul(a, dBeta), n));
      const dx = tf.add(tf.add(tf.mul(dy, a), tf.mul(xcs, bCoef)), c) as tf.Tensor4D;
      return [dx, dGamma, dBeta];
    };
    return { value, gradFunc };
  });
  const y = op(x, gamma, beta) as tf.Tensor4D;
  return { y, mean: stats!.mean, variance: stats!.variance };
}

/** What TorchBatchNormalization reads from tfjs-layers' BatchNormalization (private there). */
interface BatchNormInternals {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: tf.LayerVariable;
  beta: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

/** tfjs-layers' BatchNormalization class (tfjs exports only its factory function). */
const TfBatchNormalization = Object.getPrototypeOf(tf.layers.batchNormalization({})).constructor as new (
  args: Parameters<typeof tf.layers.batchNormalization>[0],
) => tf.layers.Layer;

/**
 * tfjs-layers' BatchNormalization with the training-mode forward/backward of `batchNormTraining` for 4-D channels-last
 * inputs; inference, other ranks/axes and layers without centre or scale run the original code. Same weights, same
 * config, same class name ('BatchNormalization', registered in its place, so saved models load into it and
 * code that looks for BatchNormalization layers finds it), same moving-average update (`moving −= (moving − batch)·
 * (1 − momentum)` with the biased batch variance), so training is numerically the original up to float rounding.
 */
export class TorchBatchNormalization extends TfBatchNormalization {
  static className = 'BatchNormalization';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor | tf.Tensor[] {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor;
    const self = this as unknown as BatchNormInternals;
    const channelsLast = self.axis === -1 || self.axis === x.rank - 1;
    if (!kwargs?.training || x.rank !== 4 || !channelsLast || !self.center || !self.scale) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTraining(x as tf.Tensor4D, self.gamma.read() as tf.Tensor1D, self.beta.read() as tf.Tensor1D, self.epsilon);
      const decay = 1 - self.momentum;
      for (const [variable, value] of [[self.movingMean, mean], [self.movingVariance, variance]] as const) {
        tf.tidy(() => {
          const orig = variable.read();
          variable.write(tf.sub(orig, tf.mul(tf.sub(orig, value), decay)));
        });
      }
      tf.dispose([mean, variance]);
      return y;
    });
  }
}
// (the static fromConfig is inherited at run time; the constructor type above does not declare it)
tf.serialization.registerClass(TorchBatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
