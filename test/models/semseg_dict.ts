import * as tf from '@tensorflow/tfjs';
import { torchHeadName } from '../../lib/models/map_heads';
import { SEMSEG_NAMING } from '../../lib/models/import_semseg';
import { NpyArray } from '../../lib/models/npz';

const TORCH_PARAM: Record<string, string> = { kernel: 'weight', bias: 'bias', gamma: 'weight', beta: 'bias', moving_mean: 'running_mean', moving_variance: 'running_var' };

/** HWIO [kh,kw,in,out] → OIHW [out,in,kh,kw]. */
function toOihw(v: Float32Array, [kh, kw, ci, co]: number[]): NpyArray {
  const out = new Float32Array(v.length);
  for (let o = 0; o < co; o++) for (let i = 0; i < ci; i++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[((o * ci + i) * kh + y) * kw + x] = v[((y * kw + x) * ci + i) * co + o];
  return { dtype: 'float32', shape: [co, ci, kh, kw], data: out };
}

/**
 * A grasplab PSPNet's weights as the state dict semseg's PyTorch module of the same config would hold (module names
 * of import_semseg.ts, PyTorch layouts), written independently of the importer's layout code: what a user exports.
 */
export function semsegStateDict(model: tf.LayersModel, prefix = ''): Map<string, NpyArray> {
  const sd = new Map<string, NpyArray>();
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const values = layer.getWeights().map((t) => t.dataSync() as Float32Array);
    if (/(^|_)maps$/.test(layer.name)) {
      const [kh, kw, ci, filters] = layer.weights[0].shape as number[];
      for (let c = 0; c < filters; c++) {
        const one = new Float32Array(kh * kw * ci);
        for (let i = 0; i < one.length; i++) one[i] = values[0][i * filters + c];
        const mod = torchHeadName(layer.name, c);
        sd.set(`${prefix}${mod}.weight`, toOihw(one, [kh, kw, ci, 1]));
        sd.set(`${prefix}${mod}.bias`, { dtype: 'float32', shape: [1], data: Float32Array.of(values[1][c]) });
      }
      continue;
    }
    const mod = SEMSEG_NAMING.toModule(layer.name);
    layer.weights.forEach((w, i) => {
      const role = w.originalName.split('/').pop()!;
      const arr: NpyArray = role === 'kernel' ? toOihw(values[i], w.shape as number[]) : { dtype: 'float32', shape: w.shape as number[], data: values[i] };
      sd.set(`${prefix}${mod}.${TORCH_PARAM[role]}`, arr);
      if (role === 'moving_variance') sd.set(`${prefix}${mod}.num_batches_tracked`, { dtype: 'int64', shape: [], data: BigInt64Array.of(7n) });
    });
  }
  return sd;
}
