import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../errors';

/**
 * Bilinear resize to a fixed size with `align_corners=True`, i.e. PyTorch's `UpsamplingBilinear2d` (GG-CNN2) and
 * semseg's `F.interpolate(..., mode='bilinear', align_corners=True)` (PSPNet): output pixel i samples the input at
 * i·(in−1)/(out−1). tfjs's `UpSampling2D` layer uses `alignCorners=false` and only integer factors, hence this layer.
 * [B,h,w,C] → [B,height,width,C].
 */
export interface ResizeBilinearArgs {
  height: number;
  width: number;
  name?: string;
}

export class ResizeBilinear extends tf.layers.Layer {
  static className = 'GrasplabResizeBilinear';
  readonly height: number;
  readonly width: number;

  constructor(args: ResizeBilinearArgs) {
    super({ name: args.name });
    if (!(Number.isInteger(args.height) && Number.isInteger(args.width) && args.height > 0 && args.width > 0)) {
      throw new ShapeError(`ResizeBilinear: size must be positive integers, got ${args.height}x${args.width}`);
    }
    this.height = args.height;
    this.width = args.width;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = inputShape as tf.Shape;
    return [s[0], this.height, this.width, s[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      return tf.image.resizeBilinear(x, [this.height, this.width], true);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), height: this.height, width: this.width };
  }
}
tf.serialization.registerClass(ResizeBilinear);
