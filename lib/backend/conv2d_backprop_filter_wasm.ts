import * as tf from '@tensorflow/tfjs';
import { BackendCapabilityError } from '../errors';
import { WasmBackendLike, callWasmKernel, release, sliceInfo, transposeInfo } from './wasm_kernel_calls';

type Shape4 = [number, number, number, number];

/**
 * `Conv2DBackpropFilter` for the wasm backend, which lacks it (tfjs-backend-wasm 4.22), so conv training fails there.
 * Inputs: x [B,H,W,CI], dy [B,OH,OW,CO]; attrs as tfjs-core's Conv2DBackpropFilter; output [KH,KW,CI,CO] float32.
 *
 *   dW[kh,kw,ci,co] = Σ_{b,oh,ow} x[b, oh·s_h − pT + kh, ow·s_w − pL + kw, ci] · dy[b,oh,ow,co]
 *
 * It runs as ONE XNNPACK convolution (`viaDilatedConv`). A per-tap matrix-product variant was measured too and was
 * slower on every GG-CNN / ResNet-like layer tried (XNNPACK re-packs a fresh right operand per product).
 */
export function conv2DBackpropFilterWasm(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const backend = args.backend as WasmBackendLike;
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropFilterAttrs;
  if (tf.backend_util.convertConv2DDataFormat(attrs.dataFormat) !== 'channelsLast') {
    throw new BackendCapabilityError(`wasm Conv2DBackpropFilter supports only NHWC, got dataFormat '${attrs.dataFormat}'`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4,
    attrs.filterShape as Shape4,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  return viaDilatedConv(backend, x, dy, info);
}

/**
 * The filter gradient as a convolution: batch := ci, channels := b, the output grid is the filter window and dy
 * (as a [OH,OW,B,CO] filter) slides with dilation s:
 *   dW = transpose(conv2d(transpose(x,[3,1,2,0]), transpose(dy,[1,2,0,3]), dilation=s, pad=[pT, pB']), [1,2,0,3])
 * with far-side pads pB'/pR' chosen so the result is at least the filter size (it is sliced when larger, which
 * happens when the forward 'valid'/explicit padding left input rows unused).
 */
function viaDilatedConv(backend: WasmBackendLike, x: tf.TensorInfo, dy: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const { filterHeight: kh, filterWidth: kw, inHeight, inWidth, outHeight, outWidth, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  // The conv output height is inHeight + top + bottom − (OH−1)·sh; make it ≥ kh without negative padding.
  const bottom = Math.max(0, kh - inHeight - top + (outHeight - 1) * sh);
  const right = Math.max(0, kw - inWidth - left + (outWidth - 1) * sw);

  const xT = transposeInfo(backend, x, [3, 1, 2, 0]); // [CI,H,W,B]
  const dyT = transposeInfo(backend, dy, [1, 2, 0, 3]); // [OH,OW,B,CO], used as the filter
  let grad: tf.TensorInfo;
  try {
    grad = callWasmKernel(backend, 'Conv2D', { x: xT, filter: dyT }, {
      strides: [1, 1],
      pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
      dataFormat: 'NHWC',
      dilations: [sh, sw],
      dimRoundingMode: undefined,
    }); // [CI, ≥KH, ≥KW, CO]
  } finally {
    release(backend, xT, dyT);
  }
  if (grad.shape[1] !== kh || grad.shape[2] !== kw) {
    const cut = sliceInfo(backend, grad, [0, 0, 0, 0], [grad.shape[0], kh, kw, grad.shape[3]]);
    release(backend, grad);
    grad = cut;
  }
  const dW = transposeInfo(backend, grad, [1, 2, 0, 3]); // [KH,KW,CI,CO]
  release(backend, grad);
  return dW;
}
