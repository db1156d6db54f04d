import * as tf from '@tensorflow/tfjs';
import { DataFormatError } from '../errors';
import { torchHeadModule, torchHeadName } from './map_heads';
import { NpyArray, readNpzFile } from './npz';

/**
 * Loads a PyTorch state dict (saved as .npz, see npz.ts) into one of our tfjs models, whose layer names mirror the
 * PyTorch module paths ('.' → '_'; torch_layers.ts). Used for the published GG-CNN / GG-CNN2 Cornell weights.
 *
 * Layouts (PyTorch → tfjs):
 *  - Conv2d weight [out,in,kh,kw] (OIHW) → Conv2D kernel [kh,kw,in,out] (HWIO): permute (2,3,1,0).
 *  - ConvTranspose2d weight [in,out,kh,kw] → Conv2DTranspose kernel [kh,kw,out,in]: the same permutation, no spatial
 *    flip (both are the adjoint of a cross-correlation; checked against a float64 loop reference in the tests).
 *  - BatchNorm2d weight/bias/running_mean/running_var → gamma/beta/moving_mean/moving_variance
 *    (num_batches_tracked is ignored).
 *  - Linear weight [out,in] → Dense kernel [in,out].
 *  - The four output convs `<prefix>{pos,cos,sin,width}_output` → the filters 0..3 of the fused `<prefix>maps` conv
 *    (map_heads.ts); all four must be present.
 * Every state-dict entry must land on a model weight of the right shape and every model weight must be covered,
 * else a DataFormatError names the file, the key and both shapes.
 */
export interface TorchImportReport {
  /** state-dict keys loaded */
  loaded: string[];
  /** state-dict keys deliberately ignored (BatchNorm counters) */
  ignored: string[];
}

/** tfjs weight role (last part of the variable name) → PyTorch parameter name. */
const ROLE_TO_TORCH: Record<string, string> = {
  kernel: 'weight',
  bias: 'bias',
  gamma: 'weight',
  beta: 'bias',
  moving_mean: 'running_mean',
  moving_variance: 'running_var',
};

const CONV_CLASSES = new Set(['Conv2D', 'Conv2DTranspose', 'GrasplabDilatedConv2D']);

/** Reads `file` (.npz state dict) and loads it into `model`. */
export function loadTorchWeightsFile(model: tf.LayersModel, file: string): TorchImportReport {
  return loadTorchStateDict(model, readNpzFile(file), file);
}

/**
 * Loads `stateDict` (key → array, PyTorch names and layouts) into `model` in place. `source` names the origin in
 * errors. Layer for key `a.b.c.weight` is `a_b_c`.
 */
export function loadTorchStateDict(model: tf.LayersModel, stateDict: Map<string, NpyArray>, source = '<state dict>'): TorchImportReport {
  const loaded: string[] = [];
  const ignored: string[] = [];
  const byModule = new Map<string, Map<string, NpyArray>>();
  for (const [key, arr] of stateDict) {
    const dot = key.lastIndexOf('.');
    if (dot < 0) throw new DataFormatError(source, `state-dict key '${key}' is not of the form <module>.<parameter>`);
    const param = key.slice(dot + 1);
    if (param === 'num_batches_tracked') {
      ignored.push(key);
      continue;
    }
    const mod = key.slice(0, dot);
    if (!byModule.has(mod)) byModule.set(mod, new Map());
    byModule.get(mod)!.set(param, arr);
  }

  const assignments: Array<{ layer: tf.layers.Layer; values: tf.Tensor[] }> = [];
  const covered = new Set<tf.layers.Layer>();
  // fused output heads: layer name → per-channel HWIO kernels [k,k,C,1] and biases
  const heads = new Map<string, { kernels: (Float32Array | undefined)[]; biases: (number | undefined)[] }>();
  for (const [mod, params] of byModule) {
    const layerName = mod.replace(/\./g, '_');
    const head = torchHeadModule(layerName);
    if (head && hasLayer(model, head.layer) && !hasLayer(model, layerName)) {
      const layer = model.getLayer(head.layer);
      const [kh, kw, cin] = layer.weights[0].shape as number[];
      const extra = [...params.keys()].filter((p) => p !== 'weight' && p !== 'bias');
      if (extra.length) throw new DataFormatError(source, `state-dict keys ${extra.map((p) => `'${mod}.${p}'`).join(', ')} match no weight of output head '${mod}'`);
      const w = params.get('weight');
      const b = params.get('bias');
      if (!w || !b) throw new DataFormatError(source, `output head '${mod}' needs both '${mod}.weight' and '${mod}.bias'`);
      const kernel = toTfLayout(w, [kh, kw, cin, 1], 'Conv2D', 'kernel', `${mod}.weight`, source);
      const bias = toTfLayout(b, [1], 'Conv2D', 'bias', `${mod}.bias`, source);
      const entry = heads.get(head.layer) ?? { kernels: [], biases: [] };
      entry.kernels[head.channel] = kernel.dataSync() as Float32Array;
      entry.biases[head.channel] = bias.dataSync()[0];
      tf.dispose([kernel, bias]);
      heads.set(head.layer, entry);
      loaded.push(`${mod}.weight`, `${mod}.bias`);
      continue;
    }
    let layer: tf.layers.Layer;
    try {
      layer = model.getLayer(layerName);
    } catch {
      throw new DataFormatError(source, `state-dict module '${mod}' has no layer '${layerName}' in model '${model.name}' (is this the right architecture?)`);
    }
    const cls = layer.getClassName();
    const values: tf.Tensor[] = [];
    const used = new Set<string>();
    for (const w of layer.weights) {
      const role = w.originalName.split('/').pop()!;
      const torchParam = ROLE_TO_TORCH[role];
      const key = `${mod}.${torchParam}`;
      const arr = torchParam === undefined ? undefined : params.get(torchParam);
      if (!arr) throw new DataFormatError(source, `no '${key}' for weight '${w.originalName}' of layer '${layerName}' (${cls})`);
      used.add(torchParam);
      values.push(toTfLayout(arr, w.shape as number[], cls, role, key, source));
      loaded.push(key);
    }
    const extra = [...params.keys()].filter((p) => !used.has(p));
    if (extra.length) throw new DataFormatError(source, `state-dict keys ${extra.map((p) => `'${mod}.${p}'`).join(', ')} match no weight of layer '${layerName}' (${cls})`);
    assignments.push({ layer, values });
    covered.add(layer);
  }
  for (const [layerName, h] of heads) {
    const layer = model.getLayer(layerName);
    const [kh, kw, cin, filters] = layer.weights[0].shape as number[];
    const absent = [...Array(filters).keys()].filter((c) => !h.kernels[c]);
    if (absent.length) {
      assignments.forEach((a) => tf.dispose(a.values));
      throw new DataFormatError(source, `the state dict has no ${absent.map((c) => `'${torchHeadName(layerName, c)}'`).join(', ')} for the output layer '${layerName}'`);
    }
    // interleave the per-head [k,k,C,1] kernels into HWIO [k,k,C,filters]
    const kernel = new Float32Array(kh * kw * cin * filters);
    for (let c = 0; c < filters; c++) h.kernels[c]!.forEach((v, i) => (kernel[i * filters + c] = v));
    assignments.push({ layer, values: [tf.tensor(kernel, [kh, kw, cin, filters]), tf.tensor(h.biases as number[], [filters])] });
    covered.add(layer);
  }
  const missing = model.layers.filter((l) => l.weights.length > 0 && !covered.has(l)).map((l) => l.name);
  if (missing.length) {
    assignments.forEach((a) => tf.dispose(a.values));
    throw new DataFormatError(source, `the state dict has no weights for layer(s) ${missing.join(', ')} of model '${model.name}'`);
  }
  for (const { layer, values } of assignments) {
    layer.setWeights(values);
    tf.dispose(values);
  }
  return { loaded, ignored };
}

function hasLayer(model: tf.LayersModel, name: string): boolean {
  return model.layers.some((l) => l.name === name);
}

/** One PyTorch array → a tfjs tensor of `tfShape` (caller disposes). */
function toTfLayout(arr: NpyArray, tfShape: number[], cls: string, role: string, key: string, source: string): tf.Tensor {
  if (!(arr.data instanceof Float32Array || arr.data instanceof Float64Array)) {
    throw new DataFormatError(source, `'${key}' is ${arr.dtype}; weights must be float32/float64`);
  }
  const data = arr.data instanceof Float32Array ? arr.data : Float32Array.from(arr.data);
  let shape = arr.shape;
  let values = data;
  if (role === 'kernel' && CONV_CLASSES.has(cls) && arr.shape.length === 4) {
    [values, shape] = permute4(data, arr.shape, [2, 3, 1, 0]);
  } else if (role === 'kernel' && cls === 'Dense' && arr.shape.length === 2) {
    const [o, i] = arr.shape;
    values = new Float32Array(o * i);
    for (let r = 0; r < o; r++) for (let c = 0; c < i; c++) values[c * o + r] = data[r * i + c];
    shape = [i, o];
  }
  if (shape.length !== tfShape.length || shape.some((d, k) => d !== tfShape[k])) {
    throw new DataFormatError(source, `'${key}' has PyTorch shape (${arr.shape.join(',')}) → [${shape.join(',')}], but layer ${cls} expects [${tfShape.join(',')}]`);
  }
  return tf.tensor(values, tfShape);
}

/** Permutes a row-major 4-D array: out axis k is input axis perm[k]. */
function permute4(src: Float32Array, shape: number[], perm: number[]): [Float32Array, number[]] {
  const outShape = perm.map((p) => shape[p]);
  const inStride = [shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1];
  const st = perm.map((p) => inStride[p]);
  const dst = new Float32Array(src.length);
  let o = 0;
  for (let a = 0; a < outShape[0]; a++)
    for (let b = 0; b < outShape[1]; b++)
      for (let c = 0; c < outShape[2]; c++)
        for (let d = 0; d < outShape[3]; d++) dst[o++] = src[a * st[0] + b * st[1] + c * st[2] + d * st[3]];
  return [dst, outShape];
}
