import * as tf from '@tensorflow/tfjs';
import { DataFormatError, StateDictMismatchError } from '../errors';
import { torchHeadModule, torchHeadName } from './map_heads';
import { NpyArray, readNpzFile } from './npz';

/**
 * Loads a PyTorch state dict (saved as .npz, see npz.ts) into one of our tfjs models, whose layer names mirror the
 * PyTorch module paths ('.' → '_'; torch_layers.ts). Used for the published GG-CNN / GG-CNN2 Cornell weights; other
 * naming schemes (hszhao/semseg's PSPNet: import_semseg.ts) plug in a `TorchNaming`.
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
 * Every state-dict entry must land on a model weight of the right shape and every model weight must be covered
 * (or, with `only`, every weight of the selected layers); otherwise one StateDictMismatchError lists all unexpected
 * keys, missing keys and shape mismatches, named as in the state dict. Nothing is assigned unless all is well.
 */
export interface TorchImportReport {
  /** state-dict keys loaded */
  loaded: string[];
  /** state-dict keys deliberately ignored (BatchNorm counters, modules the naming drops such as a classifier `fc`) */
  ignored: string[];
  /** state-dict keys of layers outside `only` (present, valid, not loaded) */
  unused: string[];
  /** model layers with weights that were not loaded and keep their initial values */
  leftInitialised: string[];
}

/** How state-dict module names relate to the model's layer names. */
export interface TorchNaming {
  /** the layer name for a module path (`a.b.c`), or null to ignore the module's keys */
  toLayer(module: string): string | null;
  /** the module path expected for a layer (for naming missing keys) */
  toModule(layer: string): string;
}

/** grasplab's own naming: module `a.b.c` ↔ layer `a_b_c`; output heads keep their names (`pos_output`, `aux_pos_output`). */
export const DEFAULT_TORCH_NAMING: TorchNaming = {
  toLayer: (module) => module.replace(/\./g, '_'),
  toModule: (layer) => (torchHeadModule(layer) ? layer : layer.replace(/_/g, '.')),
};

export interface TorchImportOptions {
  naming?: TorchNaming;
  /** load only the layers this accepts (others keep their weights; their keys are reported as unused) */
  only?: (layerName: string) => boolean;
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
export function loadTorchWeightsFile(model: tf.LayersModel, file: string, opts: TorchImportOptions = {}): TorchImportReport {
  return loadTorchStateDict(model, readNpzFile(file), file, opts);
}

/** Where one model weight (or one filter of a fused head's weight) comes from. */
interface Slot {
  layer: tf.layers.Layer;
  weightIndex: number;
  /** fused heads: the filter this key fills */
  channel?: number;
}

/**
 * Loads `stateDict` (key → array, PyTorch layouts) into `model` in place. `source` names the origin in errors.
 * With the default naming, the layer for key `a.b.c.weight` is `a_b_c`.
 */
export function loadTorchStateDict(model: tf.LayersModel, stateDict: Map<string, NpyArray>, source = '<state dict>', opts: TorchImportOptions = {}): TorchImportReport {
  const naming = opts.naming ?? DEFAULT_TORCH_NAMING;
  const only = opts.only ?? (() => true);
  const layers = new Map(model.layers.map((l) => [l.name, l]));
  const report: TorchImportReport = { loaded: [], ignored: [], unused: [], leftInitialised: [] };
  const unexpected: string[] = [];
  const shapes: { key: string; got: number[]; expected: number[] }[] = [];
  // slots whose key is present with the wrong shape (reported as such, not also as missing)
  const misShaped = new Set<string>();
  const slotId = (layer: string, weightIndex: number, channel?: number) => `${layer}#${weightIndex}#${channel ?? ''}`;
  const values = new Map<tf.layers.Layer, (Float32Array | undefined)[]>();
  // fused heads: per-filter kernels [k,k,C,1] and biases, interleaved at the end
  const heads = new Map<tf.layers.Layer, { kernels: (Float32Array | undefined)[]; biases: (number | undefined)[] }>();

  for (const [key, arr] of stateDict) {
    const dot = key.lastIndexOf('.');
    if (dot < 0) {
      unexpected.push(key);
      continue;
    }
    const param = key.slice(dot + 1);
    if (param === 'num_batches_tracked') {
      report.ignored.push(key);
      continue;
    }
    const layerName = naming.toLayer(key.slice(0, dot));
    if (layerName === null) {
      report.ignored.push(key);
      continue;
    }
    const slot = findSlot(layers, layerName, param);
    if (!slot) {
      unexpected.push(key);
      continue;
    }
    if (!only(slot.layer.name)) {
      report.unused.push(key);
      continue;
    }
    const w = slot.layer.weights[slot.weightIndex];
    const want = slot.channel === undefined ? (w.shape as number[]) : slot.weightIndex === 0 ? [...(w.shape as number[]).slice(0, 3), 1] : [1];
    const converted = toTfLayout(arr, want, slot.layer.getClassName(), w.originalName.split('/').pop()!, key, source);
    if ('got' in converted) {
      shapes.push({ key, got: arr.shape, expected: converted.expectedTorch });
      misShaped.add(slotId(slot.layer.name, slot.weightIndex, slot.channel));
      continue;
    }
    report.loaded.push(key);
    if (slot.channel === undefined) {
      const v = values.get(slot.layer) ?? [];
      v[slot.weightIndex] = converted.data;
      values.set(slot.layer, v);
    } else {
      const h = heads.get(slot.layer) ?? { kernels: [], biases: [] };
      if (slot.weightIndex === 0) h.kernels[slot.channel] = converted.data;
      else h.biases[slot.channel] = converted.data[0];
      heads.set(slot.layer, h);
    }
  }

  // every weight of every selected layer must be covered
  const missing: string[] = [];
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    if (!only(layer.name)) {
      report.leftInitialised.push(layer.name);
      continue;
    }
    const head = heads.get(layer) ?? (isFusedHead(layer) ? { kernels: [], biases: [] } : undefined);
    if (head) {
      const filters = layer.weights[0].shape[3] as number;
      for (let c = 0; c < filters; c++) {
        const mod = naming.toModule(torchHeadName(layer.name, c));
        if (!head.kernels[c] && !misShaped.has(slotId(layer.name, 0, c))) missing.push(`${mod}.weight`);
        if (head.biases[c] === undefined && !misShaped.has(slotId(layer.name, 1, c))) missing.push(`${mod}.bias`);
      }
      continue;
    }
    const v = values.get(layer) ?? [];
    layer.weights.forEach((w, i) => {
      if (!v[i] && !misShaped.has(slotId(layer.name, i))) missing.push(`${naming.toModule(layer.name)}.${ROLE_TO_TORCH[w.originalName.split('/').pop()!] ?? w.originalName}`);
    });
  }
  if (unexpected.length || missing.length || shapes.length) {
    throw new StateDictMismatchError(source, { unexpected, missing, shapes, model: model.name });
  }

  const assign = (layer: tf.layers.Layer, tensors: tf.Tensor[]) => {
    layer.setWeights(tensors);
    tf.dispose(tensors);
  };
  for (const [layer, v] of values) assign(layer, layer.weights.map((w, i) => tf.tensor(v[i]!, w.shape as number[])));
  for (const [layer, h] of heads) {
    const [kh, kw, cin, filters] = layer.weights[0].shape as number[];
    // interleave the per-head [k,k,C,1] kernels into HWIO [k,k,C,filters]
    const kernel = new Float32Array(kh * kw * cin * filters);
    for (let c = 0; c < filters; c++) h.kernels[c]!.forEach((x, i) => (kernel[i * filters + c] = x));
    assign(layer, [tf.tensor(kernel, [kh, kw, cin, filters]), tf.tensor(h.biases as number[], [filters])]);
  }
  return report;
}

function isFusedHead(layer: tf.layers.Layer): boolean {
  return /(^|_)maps$/.test(layer.name) && layer.getClassName() === 'Conv2D';
}

/** The model weight a (layer name, PyTorch parameter) pair fills, or undefined if none. */
function findSlot(layers: Map<string, tf.layers.Layer>, layerName: string, param: string): Slot | undefined {
  const head = torchHeadModule(layerName);
  if (head && !layers.has(layerName)) {
    const fused = layers.get(head.layer);
    if (!fused || (param !== 'weight' && param !== 'bias')) return undefined;
    return { layer: fused, weightIndex: param === 'weight' ? 0 : 1, channel: head.channel };
  }
  const layer = layers.get(layerName);
  if (!layer) return undefined;
  const weightIndex = layer.weights.findIndex((w) => ROLE_TO_TORCH[w.originalName.split('/').pop()!] === param);
  return weightIndex < 0 ? undefined : { layer, weightIndex };
}

/**
 * One PyTorch array → tfjs layout values for a weight of shape `tfShape`; on a shape mismatch, the PyTorch shape that
 * was expected instead.
 */
function toTfLayout(arr: NpyArray, tfShape: number[], cls: string, role: string, key: string, source: string): { data: Float32Array } | { got: number[]; expectedTorch: number[] } {
  if (!(arr.data instanceof Float32Array || arr.data instanceof Float64Array)) {
    throw new DataFormatError(source, `'${key}' is ${arr.dtype}; weights must be float32/float64`);
  }
  const data = arr.data instanceof Float32Array ? arr.data : Float32Array.from(arr.data);
  const conv = role === 'kernel' && CONV_CLASSES.has(cls) && tfShape.length === 4;
  const dense = role === 'kernel' && cls === 'Dense' && tfShape.length === 2;
  // the PyTorch shape this weight needs
  const expectedTorch = conv ? [tfShape[3], tfShape[2], tfShape[0], tfShape[1]] : dense ? [tfShape[1], tfShape[0]] : tfShape;
  if (arr.shape.length !== expectedTorch.length || arr.shape.some((d, k) => d !== expectedTorch[k])) return { got: arr.shape, expectedTorch };
  if (conv) return { data: permute4(data, arr.shape, [2, 3, 1, 0]) };
  if (dense) {
    const [o, i] = arr.shape;
    const values = new Float32Array(o * i);
    for (let r = 0; r < o; r++) for (let c = 0; c < i; c++) values[c * o + r] = data[r * i + c];
    return { data: values };
  }
  return { data };
}

/** Permutes a row-major 4-D array: out axis k is input axis perm[k]. */
function permute4(src: Float32Array, shape: number[], perm: number[]): Float32Array {
  const outShape = perm.map((p) => shape[p]);
  const inStride = [shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1];
  const st = perm.map((p) => inStride[p]);
  const dst = new Float32Array(src.length);
  let o = 0;
  for (let a = 0; a < outShape[0]; a++)
    for (let b = 0; b < outShape[1]; b++)
      for (let c = 0; c < outShape[2]; c++)
        for (let d = 0; d < outShape[3]; d++) dst[o++] = src[a * st[0] + b * st[1] + c * st[2] + d * st[3]];
  return dst;
}
