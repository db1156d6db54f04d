import { onnx } from 'onnx-proto';
import { float32ToFloat16Bits } from './float16';

/**
 * A small builder for ONNX graphs on top of the `onnx-proto` protobuf classes (ONNX 1.10's onnx.proto, IR version 8):
 * named nodes, initializers and the model envelope. lib/export/onnx.ts turns tfjs layers into calls of this.
 * Tensors are written as little-endian `raw_data` (as onnx's own numpy_helper does on every platform tfjs runs on).
 */

export const ONNX_IR_VERSION = 8;
/** ONNX data types used here (TensorProto.DataType). */
export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT64: 7, FLOAT16: 10 } as const;

export type AttrValue = number | number[] | string | { ints: number[] } | { floats: number[] } | { float: number };

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  /** node name (defaults to the first output) */
  name?: string;
  attrs?: Record<string, AttrValue>;
}

/** An initializer before encoding: float32 values (converted at encode time) or raw typed values. */
export type Initializer =
  | { name: string; dims: number[]; kind: 'float32'; data: Float32Array }
  | { name: string; dims: number[]; kind: 'float16'; data: Float32Array }
  | { name: string; dims: number[]; kind: 'int8'; data: Int8Array }
  | { name: string; dims: number[]; kind: 'int64'; data: number[] };

export function attribute(name: string, v: AttrValue): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v) || (typeof v === 'object' && 'ints' in v)) return { name, type: T.INTS, ints: Array.isArray(v) ? v : v.ints };
  if (typeof v === 'object' && 'floats' in v) return { name, type: T.FLOATS, floats: v.floats };
  if (typeof v === 'object' && 'float' in v) return { name, type: T.FLOAT, f: v.float };
  if (!Number.isInteger(v)) return { name, type: T.FLOAT, f: v };
  return { name, type: T.INT, i: v };
}

export function tensorProto(init: Initializer): onnx.ITensorProto {
  let raw: Uint8Array;
  let dataType: number;
  switch (init.kind) {
    case 'float32':
      raw = bytesOf(init.data);
      dataType = DT.FLOAT;
      break;
    case 'float16': {
      const bits = new Uint16Array(init.data.length);
      for (let i = 0; i < bits.length; i++) bits[i] = float32ToFloat16Bits(init.data[i]);
      raw = bytesOf(bits);
      dataType = DT.FLOAT16;
      break;
    }
    case 'int8':
      raw = bytesOf(init.data);
      dataType = DT.INT8;
      break;
    case 'int64':
      raw = bytesOf(BigInt64Array.from(init.data.map((v) => BigInt(v))));
      dataType = DT.INT64;
      break;
  }
  return { name: init.name, dims: init.dims, dataType, rawData: raw };
}

/** The bytes of a typed array (little-endian on the platforms Node and browsers run on). */
function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** A float tensor's value info with a symbolic batch dimension: `[batch, ...rest]`. */
export function valueInfo(name: string, dims: (number | string)[], elemType: number = DT.FLOAT): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

/** Collects nodes and initializers; `model()` wraps them in a ModelProto. */
export class OnnxGraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  /** nodes that only read initializers (Cast / DequantizeLinear of weights): emitted before all others */
  readonly weightNodes: onnx.INodeProto[] = [];
  readonly initializers = new Map<string, Initializer>();
  private used = new Set<string>();
  private nodeNames = new Set<string>();

  /** A fresh value name based on `base` (ONNX names must be unique in a graph). */
  unique(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  /** Adds a node; returns the node object (callers may still edit its inputs/attributes before `model()`). */
  node(spec: NodeSpec, target: onnx.INodeProto[] = this.nodes): onnx.INodeProto {
    const n: onnx.INodeProto = {
      opType: spec.op,
      input: spec.inputs,
      output: spec.outputs,
      name: this.nodeName(spec.name ?? spec.outputs[0]),
      attribute: Object.entries(spec.attrs ?? {}).map(([k, v]) => attribute(k, v)),
    };
    target.push(n);
    return n;
  }

  /** A node name not used yet (ONNX node names must be unique too). */
  private nodeName(base: string): string {
    let name = base;
    for (let k = 1; this.nodeNames.has(name); k++) name = `${base}_${k}`;
    this.nodeNames.add(name);
    return name;
  }

  /** Adds a float32 constant initializer and returns its name. */
  constFloat(base: string, data: Float32Array, dims: number[]): string {
    const name = this.unique(base);
    this.initializers.set(name, { name, dims, kind: 'float32', data });
    return name;
  }

  constInt64(base: string, data: number[]): string {
    const name = this.unique(base);
    this.initializers.set(name, { name, dims: [data.length], kind: 'int64', data });
    return name;
  }

  model(opts: {
    name: string;
    inputs: onnx.IValueInfoProto[];
    outputs: onnx.IValueInfoProto[];
    opset: number;
    producerVersion: string;
    docString?: string;
    metadata?: Record<string, string>;
  }): onnx.ModelProto {
    return onnx.ModelProto.create({
      irVersion: ONNX_IR_VERSION,
      opsetImport: [{ domain: '', version: opts.opset }],
      producerName: 'grasplab',
      producerVersion: opts.producerVersion,
      docString: opts.docString,
      graph: {
        name: opts.name,
        node: [...this.weightNodes, ...this.nodes],
        initializer: [...this.initializers.values()].map(tensorProto),
        input: opts.inputs,
        output: opts.outputs,
      },
      metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
    });
  }
}

export function encodeModel(m: onnx.ModelProto): Uint8Array {
  return onnx.ModelProto.encode(m).finish();
}

export function decodeModel(bytes: Uint8Array): onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}
