import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, ShapeError, UnsupportedLayerError } from '../errors';
import { MAP_CHANNELS } from '../types';
import { adaptivePoolMatrix } from '../models/adaptive_avg_pool';
import { DT, encodeModel, OnnxGraphBuilder, valueInfo, type Initializer } from './onnx_proto';

/**
 * ONNX export of grasplab models (any tfjs LayersModel built from the layers below), for ONNX Runtime inside grasplab
 * (lib/export/onnx_runtime.ts) and for applications (C++/Python/ROS robot software; TensorRT builds engines from it).
 *
 * Why hand-written on top of `onnx-proto`: there is no tfjs → ONNX converter on npm (tf2onnx is Python and reads
 * TensorFlow graphs, not tfjs layers), and grasplab's own layers (dilated conv, adaptive pooling, align-corners
 * resize) need their exact ONNX equivalents anyway.
 *
 * The graph keeps the tfjs model's NHWC boundary — input `depth` [batch,S,S,1] (normalised depth), output `maps`
 * [batch,S,S,4] with channels pos, cos, sin, width — so callers see the same tensors as with tfjs. Inside it is NCHW,
 * the layout ONNX operators and ONNX Runtime's CPU kernels use: the 1-channel input becomes NCHW with a Reshape (no
 * data movement) and only the outputs are transposed back. The batch dimension is symbolic (`batch`).
 *
 * What it does to the layers (exact, up to float rounding):
 * - Conv2D / DilatedConv2D / Conv2DTranspose → Conv / ConvTranspose; a ZeroPadding2D in front becomes the conv's
 *   `pads`, a Cropping2D behind a transposed conv becomes its `pads`; a fused ReLU becomes a Relu node (ONNX Runtime
 *   fuses it back into the conv);
 * - BatchNormalization right after a linear conv is folded into that conv's weights and bias (the inference graph:
 *   moving statistics); elsewhere it is a BatchNormalization node;
 * - AdaptiveAvgPool2D: GlobalAveragePool for 1 bin, AveragePool where the bins divide the map, else one MatMul with
 *   PyTorch's overlapping bin windows (lib/models/adaptive_avg_pool `adaptivePoolMatrix`);
 * - ResizeBilinear (align_corners) → Resize(linear, `align_corners`) with the output size given explicitly;
 * - ZeroPadding2D before a MaxPool of non-negative values (after a ReLU) → the pool's `pads` (ONNX pads max pooling
 *   with −∞, which equals zero padding there); elsewhere a Pad node;
 * - Dropout2D / Dropout and the input size check are identities at inference.
 * Any other layer raises UnsupportedLayerError listing every such layer on the exported path.
 *
 * Weights: float32 initializers; `weights: 'float16'` stores them as IEEE half with a Cast to float32 in the graph;
 * `weights: 'int8'` stores conv weights as int8 with one float scale per output channel (symmetric, zero point 0)
 * and a DequantizeLinear (weight-only quantisation: activations and compute stay float32). ONNX Runtime folds the
 * casts/dequantisation into constants when it loads the model, so all three run at float32 speed.
 */

/** Weight storage of an ONNX export. */
export type OnnxWeights = 'float32' | 'float16' | 'int8';
export const ONNX_WEIGHTS: readonly OnnxWeights[] = ['float32', 'float16', 'int8'];
/** opset 17: Resize with `align_corners`, DequantizeLinear with `axis` (≥ 13); the newest python-onnx 1.12 checks. */
export const ONNX_OPSET = 17;
export const ONNX_INPUT_NAME = 'depth';
/** `grasplab export --format` names of the ONNX exports and their weight storage. */
export const ONNX_EXPORT_FORMATS = { onnx: 'float32', 'onnx-float16': 'float16', 'onnx-int8': 'int8' } as const satisfies Record<string, OnnxWeights>;
export const ONNX_OUTPUT_NAME = 'maps';

export interface OnnxExportOptions {
  /** default 'float32' */
  weights?: OnnxWeights;
  /**
   * Which model outputs to export: 'main' (default: output 0, the inference graph — an aux head is dropped) or
   * 'all' (every output of the model, named after its layer: `maps`, `aux_maps`, …).
   */
  outputs?: 'main' | 'all';
  /** also output these layers' activations (NHWC, named after the layer), e.g. `head_features` for KD */
  extraOutputs?: readonly string[];
  /**
   * How strided transposed convolutions are written: 'subpixel' (default) as one Conv over the s² output phases
   * followed by DepthToSpace — the same arithmetic, which ONNX Runtime's CPU convolutions run several times faster
   * than its ConvTranspose (GG-CNN's 301×301 last layer) — or 'native' as ConvTranspose.
   */
  transposedConv?: 'subpixel' | 'native';
  /** stored in the model's metadata (`grasplab.source` as JSON) */
  source?: Record<string, unknown>;
}

export interface OnnxExportInfo {
  /** graph input name and NHWC shape (batch symbolic) */
  input: { name: string; shape: (number | string)[] };
  /** graph outputs, NHWC; the first is the main maps */
  outputs: { name: string; shape: (number | string)[] }[];
  /** layers folded into others (BN into convs, paddings and crops into conv pads) */
  folded: string[];
  /** ONNX node count by op type */
  ops: Record<string, number>;
  weights: OnnxWeights;
}

type ST = tf.SymbolicTensor;

/** A value of the ONNX graph standing for a tfjs symbolic tensor. */
interface Value {
  /** ONNX value name (NCHW for 4-D tensors) */
  name: string;
  /** NHWC shape of the tfjs tensor (batch null) */
  shape: (number | null)[];
  /** every element is ≥ 0 (output of a ReLU) */
  nonNegative: boolean;
  /** the conv that produced it, while its weights may still be changed (BN folding, crop into pads) */
  conv?: ConvRecord;
  /** zero padding not applied yet: [top, left, bottom, right] (a ZeroPadding2D folded into the consumer) */
  pendingPad?: [number, number, number, number];
  /** the materialised padded value, once some consumer needed it */
  padded?: string;
  /** rows/columns still to be cut off: [top, left, bottom, right] (a transposed conv's crop, see `subPixelConv`) */
  pendingCrop?: [number, number, number, number];
  /** the DepthToSpace of a sub-pixel transposed conv without activation (a following ReLU can move in front of it) */
  depthToSpace?: ReturnType<OnnxGraphBuilder['node']>;
}

interface ConvRecord {
  layer: string;
  node: ReturnType<OnnxGraphBuilder['node']>;
  transpose: boolean;
  /** ONNX layout weights: Conv [O,I,kh,kw], ConvTranspose [I,O,kh,kw] */
  weight: Initializer & { kind: 'float32' };
  bias?: Initializer & { kind: 'float32' };
  outChannels: number;
  /** the conv's output feeds a Relu node (so BN folding is not possible) */
  relu: boolean;
  pads: [number, number, number, number];
}

/** The layers this exporter handles, by tfjs class name. */
export const ONNX_SUPPORTED_LAYERS = [
  'InputLayer', 'GrasplabInputSizeCheck', 'Conv2D', 'GrasplabDilatedConv2D', 'Conv2DTranspose', 'ZeroPadding2D',
  'Cropping2D', 'BatchNormalization', 'ReLU', 'Activation', 'Add', 'Concatenate', 'MaxPooling2D',
  'GrasplabAdaptiveAvgPool2D', 'GrasplabResizeBilinear', 'GrasplabDropout2D', 'Dropout', 'SpatialDropout2D',
] as const;

/**
 * Builds the ONNX model of `model` at its current weights. Throws UnsupportedLayerError (every unsupported layer on
 * the exported path, with the reason) and ConfigError for unknown option values.
 * @example const { bytes } = exportOnnx(buildModel({ name: 'ggcnn' })); // depth [batch,300,300,1] → maps [batch,300,300,4]
 */
export function exportOnnx(model: tf.LayersModel, opts: OnnxExportOptions = {}): { bytes: Uint8Array; info: OnnxExportInfo } {
  const weights = opts.weights ?? 'float32';
  if (!ONNX_WEIGHTS.includes(weights)) throw new ConfigError(`ONNX weights must be one of ${ONNX_WEIGHTS.join(', ')}, got '${weights}'`);
  if (model.inputs.length !== 1) throw new ShapeError(`ONNX export: model '${model.name}' has ${model.inputs.length} inputs; grasplab models take one [B,S,S,1] depth tensor`);
  const outputs: { name: string; tensor: ST }[] = [];
  const modelOutputs = opts.outputs === 'all' ? model.outputs : [model.outputs[0]];
  modelOutputs.forEach((t, i) => outputs.push({ name: i === 0 ? ONNX_OUTPUT_NAME : t.sourceLayer.name, tensor: t }));
  for (const layerName of opts.extraOutputs ?? []) {
    let layer: tf.layers.Layer;
    try {
      layer = model.getLayer(layerName);
    } catch {
      throw new ConfigError(`ONNX export: model '${model.name}' has no layer '${layerName}' to output`);
    }
    const t = layer.output;
    if (Array.isArray(t)) throw new ConfigError(`ONNX export: layer '${layerName}' has several outputs`);
    if (!outputs.some((o) => o.tensor === t)) outputs.push({ name: layerName, tensor: t });
  }
  const converter = new Converter(model, weights, opts.transposedConv ?? 'subpixel');
  const graph = converter.convert(outputs);
  converter.finishWeights();
  const bytes = encodeModel(
    converter.g.model({
      name: model.name,
      inputs: [valueInfo(ONNX_INPUT_NAME, graph.input.shape)],
      outputs: graph.outputs.map((o) => valueInfo(o.name, o.shape)),
      opset: ONNX_OPSET,
      producerVersion: GRASPLAB_VERSION,
      docString: `grasplab ${model.name}: depth [batch,S,S,1] NHWC (clip(depth_m - mean, -1, 1)) -> maps [batch,S,S,4] NHWC (${MAP_CHANNELS.join(', ')})`,
      metadata: {
        'grasplab.model': model.name,
        'grasplab.input': 'NHWC [batch,S,S,1] float32: depth in metres, inpainted, minus its mean, clipped to [-1, 1]',
        'grasplab.output_channels': MAP_CHANNELS.join(','),
        'grasplab.weights': weights,
        ...(opts.source ? { 'grasplab.source': JSON.stringify(opts.source) } : {}),
      },
    }),
  );
  const ops: Record<string, number> = {};
  for (const n of [...converter.g.weightNodes, ...converter.g.nodes]) ops[n.opType!] = (ops[n.opType!] ?? 0) + 1;
  return { bytes, info: { ...graph, folded: converter.folded, ops, weights } };
}

const GRASPLAB_VERSION: string = (() => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return String(require('../../package.json').version);
  } catch {
    return 'unknown';
  }
})();

/** What `saveOnnx` wrote. */
export interface OnnxSaveResult {
  file: string;
  bytes: number;
  info: OnnxExportInfo;
}

/** `out` itself when it names a `.onnx` file, else `out/model.onnx`. */
export function onnxExportPath(out: string): string {
  return out.toLowerCase().endsWith('.onnx') ? out : path.join(out, 'model.onnx');
}

/** Writes `exportOnnx(model, opts)` to `file` (folders created). */
export function saveOnnx(model: tf.LayersModel, file: string, opts: OnnxExportOptions = {}): OnnxSaveResult {
  const { bytes, info } = exportOnnx(model, opts);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, bytes);
  return { file, bytes: bytes.length, info };
}

// ---- the converter ------------------------------------------------------------------------------------------------

class Converter {
  readonly g = new OnnxGraphBuilder();
  readonly folded: string[] = [];
  private values = new Map<number, Value>();
  /** how many nodes (and graph outputs) read each symbolic tensor */
  private consumers = new Map<number, { layer: tf.layers.Layer }[]>();
  private batchDim?: string;

  constructor(
    private readonly model: tf.LayersModel,
    private readonly weights: OnnxWeights,
    private readonly transposedConv: 'subpixel' | 'native',
  ) {}

  convert(outputs: { name: string; tensor: ST }[]): { input: OnnxExportInfo['input']; outputs: OnnxExportInfo['outputs'] } {
    const order = this.topologicalLayers(outputs.map((o) => o.tensor));
    const unsupported = order.flatMap((l) => {
      const why = unsupportedReason(l);
      return why ? [{ name: l.name, className: l.getClassName(), why }] : [];
    });
    if (unsupported.length) throw new UnsupportedLayerError('ONNX', unsupported);
    // the graph's own input/output names first, so no layer value takes them (GG-CNN's head layer is called 'maps')
    for (const n of [ONNX_INPUT_NAME, ...outputs.map((o) => o.name)]) this.g.unique(n);
    for (const o of outputs) this.consumers.get(o.tensor.id)?.push({ layer: undefined as unknown as tf.layers.Layer });

    const input = this.model.inputs[0];
    const [, h, w, c] = input.shape;
    if (h == null || w == null || c == null) throw new ShapeError(`ONNX export: model input [${input.shape}] needs fixed H, W, C`);
    for (const layer of order) this.convertLayer(layer);

    const outs = outputs.map((o) => {
      const v = this.materialise(this.valueOf(o.tensor));
      const shape = o.tensor.shape;
      if (shape.length !== 4) throw new ShapeError(`ONNX export: output '${o.name}' is [${shape}], expected a 4-D map`);
      this.g.node({ op: 'Transpose', inputs: [v], outputs: [o.name], name: `${o.name}_to_nhwc`, attrs: { perm: [0, 2, 3, 1] } });
      return { name: o.name, shape: ['batch', ...(shape.slice(1) as number[])] };
    });
    return { input: { name: ONNX_INPUT_NAME, shape: ['batch', h, w, c] }, outputs: outs };
  }

  /** Layers needed for `targets`, inputs first; counts the consumers of every tensor on the way. */
  private topologicalLayers(targets: ST[]): tf.layers.Layer[] {
    const order: tf.layers.Layer[] = [];
    const seen = new Set<tf.layers.Layer>();
    const visit = (t: ST) => {
      const layer = t.sourceLayer as tf.layers.Layer;
      if (seen.has(layer)) return;
      seen.add(layer);
      for (const inp of nodeInputs(t)) {
        const list = this.consumers.get(inp.id) ?? [];
        list.push({ layer });
        this.consumers.set(inp.id, list);
        visit(inp);
      }
      if (!this.consumers.has(t.id)) this.consumers.set(t.id, []);
      order.push(layer);
    };
    targets.forEach(visit);
    return order;
  }

  private valueOf(t: ST): Value {
    const v = this.values.get(t.id);
    if (!v) throw new Error(`ONNX export: internal error, no value for '${t.name}'`);
    return v;
  }

  private setValue(t: ST, v: Omit<Value, 'shape'>): void {
    this.values.set(t.id, { ...v, shape: t.shape });
  }

  /** The value's name with any pending crop or zero padding applied (a Slice / Pad node, made once). */
  private materialise(v: Value): string {
    if (v.pendingCrop) {
      if (!v.padded) {
        const [t, l] = v.pendingCrop;
        const [, h, w] = v.shape as number[];
        const starts = this.g.constInt64(`${v.name}_crop_starts`, [t, l]);
        const ends = this.g.constInt64(`${v.name}_crop_ends`, [t + h, l + w]);
        const axes = this.g.constInt64(`${v.name}_crop_axes`, [2, 3]);
        v.padded = this.g.unique(`${v.name}_cropped`);
        this.g.node({ op: 'Slice', inputs: [v.name, starts, ends, axes], outputs: [v.padded] });
      }
      return v.padded;
    }
    if (!v.pendingPad) return v.name;
    if (!v.padded) {
      const [t, l, b, r] = v.pendingPad;
      const pads = this.g.constInt64(`${v.name}_pads`, [0, 0, t, l, 0, 0, b, r]);
      v.padded = this.g.unique(`${v.name}_padded`);
      this.g.node({ op: 'Pad', inputs: [v.name, pads], outputs: [v.padded], attrs: { mode: 'constant' } });
    }
    return v.padded;
  }

  /** The graph input's batch size as a 1-element int64 tensor (for Resize's output size). */
  private batchSize(): string {
    if (!this.batchDim) {
      const shape = this.g.unique('input_shape');
      this.g.node({ op: 'Shape', inputs: [ONNX_INPUT_NAME], outputs: [shape] });
      this.batchDim = this.g.unique('batch_size');
      const zero = this.g.constInt64('slice_0', [0]);
      const one = this.g.constInt64('slice_1', [1]);
      this.g.node({ op: 'Slice', inputs: [shape, zero, one], outputs: [this.batchDim] });
    }
    return this.batchDim;
  }

  private single(t: ST): boolean {
    return (this.consumers.get(t.id)?.length ?? 0) === 1;
  }

  private convertLayer(layer: tf.layers.Layer): void {
    const cls = layer.getClassName();
    const out = layer.output as ST;
    const ins = nodeInputs(out);
    const cfg = layer.getConfig() as Record<string, unknown>;
    const name = this.g.unique(layer.name);
    const alias = (v: Value) => this.values.set(out.id, { ...v, shape: out.shape });
    switch (cls) {
      case 'InputLayer': {
        const [, h, w, c] = out.shape as number[];
        let nchw: string;
        if (c === 1) {
          // [B,H,W,1] and [B,1,H,W] have the same memory order: a Reshape, not a Transpose
          const shape = this.g.constInt64('input_nchw_shape', [-1, 1, h, w]);
          nchw = this.g.unique('depth_nchw');
          this.g.node({ op: 'Reshape', inputs: [ONNX_INPUT_NAME, shape], outputs: [nchw] });
        } else {
          nchw = this.g.unique('depth_nchw');
          this.g.node({ op: 'Transpose', inputs: [ONNX_INPUT_NAME], outputs: [nchw], attrs: { perm: [0, 3, 1, 2] } });
        }
        this.setValue(out, { name: nchw, nonNegative: false });
        return;
      }
      case 'GrasplabInputSizeCheck':
      case 'GrasplabDropout2D':
      case 'Dropout':
      case 'SpatialDropout2D': {
        const v = this.valueOf(ins[0]);
        // the producing conv may only be changed through this identity if nothing else reads its output
        alias(this.single(ins[0]) ? v : { ...v, conv: undefined });
        return;
      }
      case 'Conv2D':
      case 'GrasplabDilatedConv2D':
      case 'Conv2DTranspose':
        this.conv(layer, cls, cfg, ins[0], out, name);
        return;
      case 'ZeroPadding2D': {
        const [[t, b], [l, r]] = cfg.padding as [[number, number], [number, number]];
        const v = this.valueOf(ins[0]);
        const prev = v.pendingPad ?? [0, 0, 0, 0];
        // fold into the consumers (convs add it to their pads; a Pad node is made only for those that cannot)
        const base = v.pendingCrop ? this.materialise(v) : v.name;
        this.setValue(out, { name: base, nonNegative: v.nonNegative, pendingPad: [prev[0] + t, prev[1] + l, prev[2] + b, prev[3] + r] });
        return;
      }
      case 'Cropping2D': {
        const [[t, b], [l, r]] = cfg.cropping as [[number, number], [number, number]];
        const v = this.valueOf(ins[0]);
        if (v.pendingCrop && this.single(ins[0])) {
          const c = v.pendingCrop;
          this.folded.push(layer.name);
          this.setValue(out, { name: v.name, nonNegative: v.nonNegative, pendingCrop: [c[0] + t, c[1] + l, c[2] + b, c[3] + r], depthToSpace: v.depthToSpace });
          return;
        }
        if (v.conv?.transpose && this.single(ins[0]) && !v.pendingPad) {
          // cropping a transposed conv's output is what ConvTranspose's pads do (PyTorch's `padding`)
          const c = v.conv;
          c.pads = [c.pads[0] + t, c.pads[1] + l, c.pads[2] + b, c.pads[3] + r];
          setAttr(c.node, 'pads', c.pads);
          this.folded.push(layer.name);
          alias(v);
          return;
        }
        const [, h, w] = ins[0].shape as number[];
        const starts = this.g.constInt64(`${name}_starts`, [t, l]);
        const ends = this.g.constInt64(`${name}_ends`, [h - b, w - r]);
        const axes = this.g.constInt64(`${name}_axes`, [2, 3]);
        this.g.node({ op: 'Slice', inputs: [this.materialise(v), starts, ends, axes], outputs: [name] });
        this.setValue(out, { name, nonNegative: v.nonNegative });
        return;
      }
      case 'BatchNormalization':
        this.batchNorm(layer, cfg, ins[0], out, name);
        return;
      case 'ReLU':
      case 'Activation': {
        const v = this.valueOf(ins[0]);
        if (cls === 'Activation' && cfg.activation === 'linear') {
          alias(v);
          return;
        }
        if (v.depthToSpace && this.single(ins[0])) {
          // relu commutes with DepthToSpace (a permutation): apply it to the phase conv's output, where ONNX Runtime
          // fuses it into the conv, instead of on the s²-times larger interleaved map
          const d2s = v.depthToSpace;
          const phases = (d2s.input as string[])[0];
          const relu = this.g.unique(`${phases}_relu`);
          const at = this.g.nodes.indexOf(d2s);
          this.g.node({ op: 'Relu', inputs: [phases], outputs: [relu] });
          this.g.nodes.splice(at, 0, this.g.nodes.pop()!);
          (d2s.input as string[])[0] = relu;
          this.folded.push(`${layer.name} (before ${d2s.name})`);
          this.setValue(out, { name: v.name, nonNegative: true, pendingCrop: v.pendingCrop });
          return;
        }
        if (v.pendingCrop) {
          // elementwise: relu the uncropped map and keep the crop pending (it may move past the next conv too)
          this.g.node({ op: 'Relu', inputs: [v.name], outputs: [name] });
          this.setValue(out, { name, nonNegative: true, pendingCrop: v.pendingCrop });
          return;
        }
        this.g.node({ op: 'Relu', inputs: [this.materialise(v)], outputs: [name] });
        if (v.conv && this.single(ins[0])) v.conv.relu = true;
        this.setValue(out, { name, nonNegative: true });
        return;
      }
      case 'Add': {
        const vs = ins.map((t) => this.materialise(this.valueOf(t)));
        let acc = vs[0];
        for (let i = 1; i < vs.length; i++) {
          const o = i === vs.length - 1 ? name : this.g.unique(`${name}_${i}`);
          this.g.node({ op: 'Add', inputs: [acc, vs[i]], outputs: [o] });
          acc = o;
        }
        this.setValue(out, { name, nonNegative: false });
        return;
      }
      case 'Concatenate': {
        const axis = cfg.axis as number;
        const rank = out.shape.length;
        const nhwcAxis = axis < 0 ? rank + axis : axis;
        const nchwAxis = [0, 2, 3, 1][nhwcAxis];
        const vs = ins.map((t) => this.valueOf(t));
        this.g.node({ op: 'Concat', inputs: vs.map((v) => this.materialise(v)), outputs: [name], attrs: { axis: nchwAxis } });
        this.setValue(out, { name, nonNegative: vs.every((v) => v.nonNegative) });
        return;
      }
      case 'MaxPooling2D': {
        const v = this.valueOf(ins[0]);
        const [kh, kw] = cfg.poolSize as number[];
        const [sh, sw] = cfg.strides as number[];
        let pads = samePads(cfg.padding as string, ins[0].shape as number[], [kh, kw], [sh, sw], [1, 1]);
        let input: string;
        if (v.pendingPad && v.nonNegative) {
          // zero padding of values ≥ 0 before a max pool = ONNX's −∞ padding (every window holds a real value)
          pads = addPads(pads, v.pendingPad);
          input = v.name;
          this.folded.push(`${ins[0].sourceLayer.name} (into ${layer.name})`);
        } else input = this.materialise(v);
        this.g.node({ op: 'MaxPool', inputs: [input], outputs: [name], attrs: { kernel_shape: [kh, kw], strides: [sh, sw], pads } });
        this.setValue(out, { name, nonNegative: v.nonNegative });
        return;
      }
      case 'GrasplabAdaptiveAvgPool2D':
        this.adaptivePool(cfg.bins as number, ins[0], out, name);
        return;
      case 'GrasplabResizeBilinear': {
        const v = this.valueOf(ins[0]);
        const c = ins[0].shape[3] as number;
        const size = this.g.unique(`${name}_size`);
        this.g.node({ op: 'Concat', inputs: [this.batchSize(), this.g.constInt64(`${name}_chw`, [c, cfg.height as number, cfg.width as number])], outputs: [size], attrs: { axis: 0 } });
        this.g.node({
          op: 'Resize',
          inputs: [this.materialise(v), '', '', size],
          outputs: [name],
          attrs: { mode: 'linear', coordinate_transformation_mode: 'align_corners' },
        });
        this.setValue(out, { name, nonNegative: v.nonNegative });
        return;
      }
      default:
        throw new UnsupportedLayerError('ONNX', [{ name: layer.name, className: cls, why: 'no ONNX conversion' }]);
    }
  }

  private conv(layer: tf.layers.Layer, cls: string, cfg: Record<string, unknown>, inT: ST, out: ST, name: string): void {
    const v = this.valueOf(inT);
    const ws = layer.getWeights();
    const kernel = ws[0].dataSync() as Float32Array;
    const kShape = ws[0].shape as number[];
    const bias = cfg.useBias ? (ws[1].dataSync() as Float32Array).slice() : undefined;
    const [kh, kw] = kShape;
    const transpose = cls === 'Conv2DTranspose';
    let strides: number[];
    let dilations: number[];
    let pads: [number, number, number, number];
    if (cls === 'GrasplabDilatedConv2D') {
      const d = cfg.dilation as number;
      const p = cfg.padding as number;
      strides = [1, 1];
      dilations = [d, d];
      pads = [p, p, p, p];
    } else {
      strides = cfg.strides as number[];
      dilations = transpose ? [1, 1] : asPair(cfg.dilationRate);
      pads = transpose ? [0, 0, 0, 0] : samePads(cfg.padding as string, inT.shape as number[], [kh, kw], strides, dilations);
    }
    if (transpose && this.transposedConv === 'subpixel' && (strides[0] > 1 || strides[1] > 1)) {
      this.subPixelConv(layer, kernel, kShape, bias, strides, cfg.activation === 'relu', this.materialise(v), out, name);
      return;
    }
    // a stride-1 'valid' conv commutes with a pending crop: convolve the uncropped map, crop the (fewer-channel) result
    const cropAfter = v.pendingCrop && !transpose && strides.every((x) => x === 1) && dilations.every((x) => x === 1) && pads.every((x) => x === 0) ? v.pendingCrop : undefined;
    let input: string;
    if (cropAfter) input = v.name;
    else if (v.pendingPad && !transpose) {
      pads = addPads(pads, v.pendingPad);
      input = v.name;
      this.folded.push(`${inT.sourceLayer.name} (into ${layer.name})`);
    } else input = this.materialise(v);

    // tfjs HWIO [kh,kw,in,out] → ONNX OIHW; tfjs transposed [kh,kw,out,in] → ONNX IOHW
    const onnxW = permuteKernel(kernel, kShape);
    const outChannels = transpose ? kShape[2] : kShape[3];
    const wInit: Initializer & { kind: 'float32' } = { name: this.g.unique(`${name}_W`), dims: [kShape[3], kShape[2], kh, kw], kind: 'float32', data: onnxW };
    this.g.initializers.set(wInit.name, wInit);
    let bInit: (Initializer & { kind: 'float32' }) | undefined;
    if (bias) {
      bInit = { name: this.g.unique(`${name}_B`), dims: [outChannels], kind: 'float32', data: bias };
      this.g.initializers.set(bInit.name, bInit);
    }
    const activation = cfg.activation as string;
    const relu = activation === 'relu';
    const convOut = relu ? this.g.unique(`${name}_conv`) : name;
    const node = this.g.node({
      op: transpose ? 'ConvTranspose' : 'Conv',
      inputs: [input, wInit.name, ...(bInit ? [bInit.name] : [])],
      outputs: [convOut],
      name: layer.name,
      attrs: { kernel_shape: [kh, kw], strides, pads, dilations, group: 1 },
    });
    const record: ConvRecord = { layer: layer.name, node, transpose, weight: wInit, bias: bInit, outChannels, relu, pads };
    if (relu) {
      this.g.node({ op: 'Relu', inputs: [convOut], outputs: [name] });
      this.setValue(out, { name, nonNegative: true, conv: transpose ? record : undefined, pendingCrop: cropAfter });
    } else {
      this.setValue(out, { name, nonNegative: false, conv: record, pendingCrop: cropAfter });
    }
  }

  /**
   * A strided transposed convolution as a convolution over its s_h·s_w output phases + DepthToSpace. Output row
   * p = s·q + r of `ConvTranspose(x, W)` only sees taps a ≡ r (mod s): y_r[q] = Σ_t x[q − t]·W[r + s·t], a full
   * correlation of x with the reversed phase kernel. With the kernel zero-padded to T·s taps (T = ⌈k/s⌉) every phase
   * has T taps, so one Conv (pads T−1, s_h·s_w·C_out filters) computes all phases, DepthToSpace (CRD) interleaves
   * them into the full (n−1)·s + T·s map, and the rows beyond (n−1)·s + k plus the layer's crop are cut off later
   * (`pendingCrop`, merged with a following Cropping2D into one Slice).
   */
  private subPixelConv(layer: tf.layers.Layer, kernel: Float32Array, kShape: number[], bias: Float32Array | undefined, strides: number[], relu: boolean, input: string, out: ST, name: string): void {
    const [kh, kw, cout, cin] = kShape; // tfjs transposed layout [kh,kw,out,in]
    const [sh, sw] = strides;
    const th = Math.ceil(kh / sh);
    const tw = Math.ceil(kw / sw);
    const phases = sh * sw;
    const w = new Float32Array(cout * phases * cin * th * tw);
    for (let c = 0; c < cout; c++)
      for (let ry = 0; ry < sh; ry++)
        for (let rx = 0; rx < sw; rx++)
          for (let ci = 0; ci < cin; ci++)
            for (let ty = 0; ty < th; ty++)
              for (let tx = 0; tx < tw; tx++) {
                const a = ry + sh * (th - 1 - ty);
                const b = rx + sw * (tw - 1 - tx);
                if (a >= kh || b >= kw) continue;
                const o = (c * sh + ry) * sw + rx;
                w[((o * cin + ci) * th + ty) * tw + tx] = kernel[((a * kw + b) * cout + c) * cin + ci];
              }
    const wName = this.g.unique(`${name}_W`);
    this.g.initializers.set(wName, { name: wName, dims: [cout * phases, cin, th, tw], kind: 'float32', data: w });
    const inputs = [input, wName];
    if (bias) {
      const bName = this.g.unique(`${name}_B`);
      const b = new Float32Array(cout * phases);
      for (let o = 0; o < b.length; o++) b[o] = bias[Math.floor(o / phases)];
      this.g.initializers.set(bName, { name: bName, dims: [b.length], kind: 'float32', data: b });
      inputs.push(bName);
    }
    const conv = this.g.unique(`${name}_phases`);
    this.g.node({ op: 'Conv', inputs, outputs: [conv], name: layer.name, attrs: { kernel_shape: [th, tw], strides: [1, 1], pads: [th - 1, tw - 1, th - 1, tw - 1], dilations: [1, 1], group: 1 } });
    let phased = conv;
    if (relu) {
      phased = this.g.unique(`${name}_relu`);
      this.g.node({ op: 'Relu', inputs: [conv], outputs: [phased] });
    }
    if (sh !== sw) throw new UnsupportedLayerError('ONNX', [{ name: layer.name, className: 'Conv2DTranspose', why: `unequal strides ${sh}x${sw}` }]);
    const d2s = this.g.node({ op: 'DepthToSpace', inputs: [phased], outputs: [name], attrs: { blocksize: sh, mode: 'CRD' } });
    // the full transposed map is (n−1)·s + T·s; tfjs's 'valid' output is (n−1)·s + k: cut the extra rows at the end
    this.setValue(out, { name, nonNegative: relu, pendingCrop: [0, 0, th * sh - kh, tw * sw - kw], depthToSpace: relu ? undefined : d2s });
    this.folded.push(`${layer.name} (as Conv + DepthToSpace)`);
  }

  private batchNorm(layer: tf.layers.Layer, cfg: Record<string, unknown>, inT: ST, out: ST, name: string): void {
    const axis = cfg.axis as number;
    if (!(axis === -1 || axis === 3)) throw new UnsupportedLayerError('ONNX', [{ name: layer.name, className: 'BatchNormalization', why: `axis ${axis} (only channels-last, -1)` }]);
    const eps = cfg.epsilon as number;
    const byName = (suffix: string) => {
      const i = layer.weights.findIndex((w) => w.originalName.endsWith(`/${suffix}`));
      return i >= 0 ? (layer.getWeights()[i].dataSync() as Float32Array) : undefined;
    };
    const c = inT.shape[3] as number;
    const gamma = byName('gamma') ?? new Float32Array(c).fill(1);
    const beta = byName('beta') ?? new Float32Array(c);
    const mean = byName('moving_mean')!;
    const variance = byName('moving_variance')!;
    const scale = new Float32Array(c);
    const shift = new Float32Array(c);
    for (let k = 0; k < c; k++) {
      // in float64, then rounded once, as PyTorch's fuse_conv_bn_eval does in float32
      const s = gamma[k] / Math.sqrt(variance[k] + eps);
      scale[k] = s;
      shift[k] = beta[k] - mean[k] * s;
    }
    const v = this.valueOf(inT);
    const conv = v.conv;
    if (conv && !conv.relu && this.single(inT) && !v.pendingPad) {
      // y = s·(W∗x + b) + (β − μ·s): scale each output channel's filter, fold the rest into the bias
      const W = conv.weight.data;
      const [d0, d1, d2, d3] = conv.weight.dims;
      const per = d2 * d3;
      for (let i = 0; i < d0; i++) {
        for (let o = 0; o < d1; o++) {
          const ch = conv.transpose ? o : i;
          const base = (i * d1 + o) * per;
          for (let j = 0; j < per; j++) W[base + j] *= scale[ch];
        }
      }
      if (!conv.bias) {
        conv.bias = { name: this.g.unique(`${conv.layer}_B`), dims: [conv.outChannels], kind: 'float32', data: new Float32Array(conv.outChannels) };
        this.g.initializers.set(conv.bias.name, conv.bias);
        (conv.node.input as string[]).push(conv.bias.name);
      }
      const b = conv.bias.data;
      for (let k = 0; k < conv.outChannels; k++) b[k] = b[k] * scale[k] + shift[k];
      this.folded.push(`${layer.name} (into ${conv.layer})`);
      this.values.set(out.id, { ...v, shape: out.shape });
      return;
    }
    const sName = this.g.constFloat(`${name}_scale`, gamma, [c]);
    const bName = this.g.constFloat(`${name}_bias`, beta, [c]);
    const mName = this.g.constFloat(`${name}_mean`, mean.slice(), [c]);
    const vName = this.g.constFloat(`${name}_var`, variance.slice(), [c]);
    this.g.node({ op: 'BatchNormalization', inputs: [this.materialise(v), sName, bName, mName, vName], outputs: [name], attrs: { epsilon: { float: eps } } });
    this.setValue(out, { name, nonNegative: false });
  }

  private adaptivePool(bins: number, inT: ST, out: ST, name: string): void {
    const v = this.valueOf(inT);
    const input = this.materialise(v);
    const [, h, w, c] = inT.shape as number[];
    if (bins === 1) {
      this.g.node({ op: 'GlobalAveragePool', inputs: [input], outputs: [name] });
    } else if (h % bins === 0 && w % bins === 0) {
      const k = [h / bins, w / bins];
      this.g.node({ op: 'AveragePool', inputs: [input], outputs: [name], attrs: { kernel_shape: k, strides: k } });
    } else {
      // PyTorch's overlapping windows as one matrix: [B,C,H·W] · Mᵀ [H·W, bins²] → [B,C,bins²]
      const m = adaptivePoolMatrix(h, w, bins);
      const mt = new Float32Array(h * w * bins * bins);
      for (let o = 0; o < bins * bins; o++) for (let p = 0; p < h * w; p++) mt[p * bins * bins + o] = m[o * h * w + p];
      const flat = this.g.unique(`${name}_flat`);
      this.g.node({ op: 'Reshape', inputs: [input, this.g.constInt64(`${name}_flat_shape`, [-1, c, h * w])], outputs: [flat] });
      const pooled = this.g.unique(`${name}_matmul`);
      this.g.node({ op: 'MatMul', inputs: [flat, this.g.constFloat(`${name}_windows`, mt, [h * w, bins * bins])], outputs: [pooled] });
      this.g.node({ op: 'Reshape', inputs: [pooled, this.g.constInt64(`${name}_shape`, [-1, c, bins, bins])], outputs: [name] });
    }
    this.setValue(out, { name, nonNegative: v.nonNegative });
  }

  /** Converts weight initializers to float16 + Cast, or int8 + DequantizeLinear (per output channel). */
  finishWeights(): void {
    if (this.weights === 'float32') return;
    for (const node of this.g.nodes) {
      if (node.opType !== 'Conv' && node.opType !== 'ConvTranspose') continue;
      const inputs = node.input as string[];
      for (let slot = 1; slot < inputs.length; slot++) {
        const init = this.g.initializers.get(inputs[slot]);
        if (!init || init.kind !== 'float32') continue;
        const isWeight = slot === 1;
        if (this.weights === 'float16') {
          this.g.initializers.set(init.name, { ...init, kind: 'float16' });
          const cast = this.g.unique(`${init.name}_f32`);
          this.g.node({ op: 'Cast', inputs: [init.name], outputs: [cast], attrs: { to: DT.FLOAT } }, this.g.weightNodes);
          inputs[slot] = cast;
        } else if (isWeight) {
          // int8 weight-only: biases stay float32 (a few values; quantising them would cost accuracy for nothing)
          const axis = node.opType === 'ConvTranspose' ? 1 : 0;
          const q = quantizeInt8PerChannel(init.data, init.dims, axis);
          this.g.initializers.set(init.name, { name: init.name, dims: init.dims, kind: 'int8', data: q.values });
          const scale = this.g.constFloat(`${init.name}_scale`, q.scales, [q.scales.length]);
          const zero = this.g.unique(`${init.name}_zero`);
          this.g.initializers.set(zero, { name: zero, dims: [q.scales.length], kind: 'int8', data: new Int8Array(q.scales.length) });
          const deq = this.g.unique(`${init.name}_f32`);
          this.g.node({ op: 'DequantizeLinear', inputs: [init.name, scale, zero], outputs: [deq], attrs: { axis } }, this.g.weightNodes);
          inputs[slot] = deq;
        }
      }
    }
  }
}

/**
 * Symmetric int8 per channel along `axis`: `q = round(w / s)`, `s = max|w| / 127` (1 for an all-zero channel);
 * the error per weight is at most s/2.
 */
export function quantizeInt8PerChannel(data: Float32Array, dims: number[], axis: number): { values: Int8Array; scales: Float32Array } {
  const channels = dims[axis];
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const maxAbs = new Float64Array(channels);
  const chOf = (i: number) => Math.floor(i / inner) % channels;
  for (let i = 0; i < data.length; i++) maxAbs[chOf(i)] = Math.max(maxAbs[chOf(i)], Math.abs(data[i]));
  const scales = Float32Array.from(maxAbs, (m) => (m > 0 ? m / 127 : 1));
  const values = new Int8Array(data.length);
  for (let i = 0; i < data.length; i++) values[i] = Math.max(-127, Math.min(127, Math.round(data[i] / scales[chOf(i)])));
  return { values, scales };
}

/** Why the exporter cannot handle `layer` (class or settings), or undefined if it can. */
function unsupportedReason(layer: tf.layers.Layer): string | undefined {
  const cls = layer.getClassName();
  if (!(ONNX_SUPPORTED_LAYERS as readonly string[]).includes(cls)) return 'no ONNX conversion for this layer type';
  const cfg = layer.getConfig() as Record<string, unknown>;
  if (cfg.dataFormat && cfg.dataFormat !== 'channelsLast') return `dataFormat ${cfg.dataFormat} (only channelsLast)`;
  if ('activation' in cfg && !['linear', 'relu'].includes(String(cfg.activation))) return `activation '${cfg.activation}' (only linear, relu)`;
  if (cls === 'ReLU' && cfg.maxValue != null) return `maxValue ${cfg.maxValue}`;
  if (cls === 'Conv2DTranspose' && cfg.padding !== 'valid') return `padding '${cfg.padding}' (only 'valid'; crop with Cropping2D)`;
  if ((cls === 'Conv2D' || cls === 'MaxPooling2D') && !['valid', 'same'].includes(String(cfg.padding))) return `padding '${cfg.padding}'`;
  if (cls === 'Conv2DTranspose' && asPair(cfg.dilationRate ?? 1).some((d) => d !== 1)) return 'dilated transposed convolution';
  if (layer.inboundNodes.length > 1) return `applied ${layer.inboundNodes.length} times (shared layers are not supported)`;
  return undefined;
}

/** Input tensors of the node that produced `t`. */
function nodeInputs(t: ST): ST[] {
  const layer = t.sourceLayer as tf.layers.Layer;
  const node = layer.inboundNodes[t.nodeIndex];
  return (node?.inputTensors ?? []) as ST[];
}

function asPair(v: unknown): number[] {
  if (Array.isArray(v)) return v.length === 1 ? [v[0], v[0]] : (v as number[]);
  return [v as number, v as number];
}

/** ONNX pads [top, left, bottom, right] of tfjs 'valid' / 'same' (same: extra row/column at the bottom/right). */
function samePads(padding: string, inShape: number[], k: number[], s: number[], d: number[]): [number, number, number, number] {
  if (padding === 'valid') return [0, 0, 0, 0];
  const along = (n: number, i: number) => Math.max(0, (Math.ceil(n / s[i]) - 1) * s[i] + (k[i] - 1) * d[i] + 1 - n);
  const ph = along(inShape[1], 0);
  const pw = along(inShape[2], 1);
  return [Math.floor(ph / 2), Math.floor(pw / 2), ph - Math.floor(ph / 2), pw - Math.floor(pw / 2)];
}

function addPads(a: number[], b: number[]): [number, number, number, number] {
  return [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]];
}

function setAttr(node: { attribute?: { name?: string | null; ints?: unknown }[] | null }, name: string, ints: number[]): void {
  const a = node.attribute?.find((x) => x.name === name);
  if (a) a.ints = ints;
}

/** [kh,kw,a,b] (tfjs) → [b,a,kh,kw] (ONNX): OIHW for convs (a=in, b=out), IOHW for transposed convs (a=out, b=in). */
function permuteKernel(k: Float32Array, shape: number[]): Float32Array {
  const [kh, kw, a, b] = shape;
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < a; i++)
        for (let o = 0; o < b; o++) out[((o * a + i) * kh + y) * kw + x] = k[((y * kw + x) * a + i) * b + o];
  return out;
}
