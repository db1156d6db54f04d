import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../errors';

/** What a model expects: `[B, size, size, channels]`. */
export interface InputSpec {
  size: number;
  channels: number;
  /** who asks, for the message (e.g. 'pspnet') */
  who?: string;
}

/**
 * Throws a ShapeError unless `x` (a tensor or a shape) is `[B, size, size, channels]` — the report's
 * `assert h == 300 and w == 300` at the start of PSPNet's forward. Pass a model to take size and channels from its
 * input. Use it before `model.predict` (tfjs's own check throws a generic ValueError) or `model.apply`.
 * @example assertInputSize(x, model) // x: [B,300,300,1] normalised depth
 */
export function assertInputSize(x: tf.Tensor | readonly number[], expected: InputSpec | tf.LayersModel): void {
  const shape = Array.isArray(x) ? (x as readonly number[]) : (x as tf.Tensor).shape;
  const spec = 'inputs' in expected ? specOf(expected) : expected;
  const ok = shape.length === 4 && shape[1] === spec.size && shape[2] === spec.size && shape[3] === spec.channels;
  if (!ok) {
    throw new ShapeError(
      `${spec.who ?? 'model'}: expected input [B,${spec.size},${spec.size},${spec.channels}] (normalised depth), got [${shape.join(',')}]` +
        (shape.length === 4 && shape[1] !== spec.size ? `; crop or resize the depth image to ${spec.size}x${spec.size} first` : ''),
    );
  }
}

function specOf(model: tf.LayersModel): InputSpec {
  const s = model.inputs[0].shape;
  if (s[1] == null || s[1] !== s[2] || s[3] == null) throw new ShapeError(`model '${model.name}' has no fixed square input: [${s}]`);
  return { size: s[1], channels: s[3], who: model.name };
}

/**
 * An identity layer that applies `assertInputSize` to every concrete tensor passing through. It sits right after
 * the model's input so `model.apply(x)` (training loops) fails with a clear ShapeError on a wrong size instead of
 * deep inside a convolution. (`model.predict` checks shapes itself before any layer runs.)
 */
export class InputSizeCheck extends tf.layers.Layer {
  static className = 'GrasplabInputSizeCheck';
  readonly size: number;
  readonly channels: number;
  readonly who: string;

  constructor(args: { size: number; channels: number; who: string; name?: string }) {
    super({ name: args.name });
    this.size = args.size;
    this.channels = args.channels;
    this.who = args.who;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    assertInputSize(x, { size: this.size, channels: this.channels, who: this.who });
    return x;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: this.size, channels: this.channels, who: this.who };
  }
}
tf.serialization.registerClass(InputSizeCheck);
