// ONNX export of a tfjs layers model (federated-learning.md §3.7): opset 17, IR version 8, input
// `input` [N,H,W,C] float32, output `probabilities` [N,K]. NHWC → NCHW once at the input; back to
// NHWC before Flatten so the flatten order matches the Dense kernel. Unknown layers throw.
import onnxProto from "onnx-proto";
import type { tf } from "./backend.ts";
import { FlError } from "./errors.ts";

const { onnx } = onnxProto;
type Node = InstanceType<typeof onnx.NodeProto>;
type Tensor = InstanceType<typeof onnx.TensorProto>;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const AT = onnx.AttributeProto.AttributeType;

function ints(name: string, v: number[]) {
  return onnx.AttributeProto.create({ name, type: AT.INTS, ints: v });
}
function int(name: string, v: number) {
  return onnx.AttributeProto.create({ name, type: AT.INT, i: v });
}
function float(name: string, v: number) {
  return onnx.AttributeProto.create({ name, type: AT.FLOAT, f: v });
}

function tensor(name: string, dims: number[], data: Float32Array): Tensor {
  return onnx.TensorProto.create({
    name,
    dims,
    dataType: FLOAT,
    rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
  });
}

/** [kh, kw, in, out] → [out, in, kh, kw] (perm [3, 2, 0, 1]). */
function convKernel(k: Float32Array, [kh, kw, cin, cout]: number[]): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = k[((y * kw + x) * cin + i) * cout + o];
  return out;
}

const pair = (v: number | number[] | undefined, d: number): [number, number] =>
  v === undefined ? [d, d] : typeof v === "number" ? [v, v] : [v[0], v[1] ?? v[0]];

/** TF 'same' split: total = max((ceil(n/s)−1)·s + k − n, 0), extra cell at bottom/right. */
function samePads(n: number, k: number, s: number): [number, number] {
  const total = Math.max((Math.ceil(n / s) - 1) * s + k - n, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

export function exportOnnx(model: tf.LayersModel, metadata: Record<string, string> = {}): Uint8Array {
  const nodes: Node[] = [];
  const inits: Tensor[] = [];
  const inShape = model.inputs[0].shape as (number | null)[];
  let [h, w, c] = [inShape[1] as number, inShape[2] as number, inShape[3] as number];
  let cur = "x_nchw";
  let nhwc = false; // layout of `cur`: NCHW until Flatten
  nodes.push(onnx.NodeProto.create({ opType: "Transpose", input: ["input"], output: [cur], attribute: [ints("perm", [0, 3, 1, 2])] }));
  let k = 0;
  const fresh = (base: string) => `${base}_${k++}`;
  const activation = (act: string | undefined) => {
    if (!act || act === "linear") return;
    const op = { relu: "Relu", sigmoid: "Sigmoid", softmax: "Softmax" }[act];
    if (!op) throw new FlError("UnsupportedLayer", `activation ${act}`);
    const out = fresh(act);
    nodes.push(onnx.NodeProto.create({ opType: op, input: [cur], output: [out], attribute: op === "Softmax" ? [int("axis", -1)] : [] }));
    cur = out;
  };
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as Record<string, unknown>;
    const ws = layer.getWeights().map((t) => ({ data: t.dataSync() as Float32Array, shape: t.shape as number[] }));
    switch (cls) {
      case "InputLayer":
      case "Dropout":
        break;
      case "Conv2D": {
        const [kh, kw] = pair(cfg.kernelSize as number[], 1);
        const [sh, sw] = pair(cfg.strides as number[], 1);
        if (pair(cfg.dilationRate as number[], 1).some((d) => d !== 1)) throw new FlError("UnsupportedLayer", "dilated Conv2D");
        const [pt, pb] = cfg.padding === "same" ? samePads(h, kh, sh) : [0, 0];
        const [pl, pr] = cfg.padding === "same" ? samePads(w, kw, sw) : [0, 0];
        const wn = fresh(`${layer.name}_W`);
        inits.push(tensor(wn, [ws[0].shape[3], ws[0].shape[2], kh, kw], convKernel(ws[0].data, ws[0].shape)));
        const input = [cur, wn];
        if (ws[1]) {
          const bn = fresh(`${layer.name}_B`);
          inits.push(tensor(bn, [ws[1].shape[0]], ws[1].data));
          input.push(bn);
        }
        const out = fresh(layer.name);
        nodes.push(
          onnx.NodeProto.create({
            opType: "Conv",
            input,
            output: [out],
            attribute: [ints("kernel_shape", [kh, kw]), ints("strides", [sh, sw]), ints("pads", [pt, pl, pb, pr]), ints("dilations", [1, 1])],
          }),
        );
        cur = out;
        h = Math.floor((h + pt + pb - kh) / sh) + 1;
        w = Math.floor((w + pl + pr - kw) / sw) + 1;
        c = ws[0].shape[3];
        activation(cfg.activation as string);
        break;
      }
      case "MaxPooling2D":
      case "AveragePooling2D": {
        const [kh, kw] = pair(cfg.poolSize as number[], 2);
        const [sh, sw] = pair((cfg.strides as number[] | null) ?? [kh, kw], kh);
        const [pt, pb] = cfg.padding === "same" ? samePads(h, kh, sh) : [0, 0];
        const [pl, pr] = cfg.padding === "same" ? samePads(w, kw, sw) : [0, 0];
        const out = fresh(layer.name);
        const attribute = [ints("kernel_shape", [kh, kw]), ints("strides", [sh, sw]), ints("pads", [pt, pl, pb, pr])];
        if (cls === "AveragePooling2D") attribute.push(int("count_include_pad", 0));
        nodes.push(onnx.NodeProto.create({ opType: cls === "MaxPooling2D" ? "MaxPool" : "AveragePool", input: [cur], output: [out], attribute }));
        cur = out;
        h = cfg.padding === "same" ? Math.ceil(h / sh) : Math.floor((h - kh) / sh) + 1;
        w = cfg.padding === "same" ? Math.ceil(w / sw) : Math.floor((w - kw) / sw) + 1;
        break;
      }
      case "Flatten": {
        const t = fresh("to_nhwc");
        nodes.push(onnx.NodeProto.create({ opType: "Transpose", input: [cur], output: [t], attribute: [ints("perm", [0, 2, 3, 1])] }));
        const out = fresh(layer.name);
        nodes.push(onnx.NodeProto.create({ opType: "Flatten", input: [t], output: [out], attribute: [int("axis", 1)] }));
        cur = out;
        nhwc = true;
        c = h * w * c;
        h = 1;
        w = 1;
        break;
      }
      case "Dense": {
        if (!nhwc) throw new FlError("UnsupportedLayer", "Dense before Flatten");
        const wn = fresh(`${layer.name}_W`);
        inits.push(tensor(wn, ws[0].shape, ws[0].data));
        const bn = fresh(`${layer.name}_B`);
        inits.push(tensor(bn, [ws[0].shape[1]], ws[1]?.data ?? new Float32Array(ws[0].shape[1])));
        const out = fresh(layer.name);
        nodes.push(onnx.NodeProto.create({ opType: "Gemm", input: [cur, wn, bn], output: [out], attribute: [int("transB", 0)] }));
        cur = out;
        c = ws[0].shape[1];
        activation(cfg.activation as string);
        break;
      }
      case "Activation":
        activation(cfg.activation as string);
        break;
      case "BatchNormalization": {
        if (nhwc) throw new FlError("UnsupportedLayer", "BatchNormalization after Flatten");
        const eps = (cfg.epsilon as number) ?? 1e-3;
        // tfjs weight order: gamma, beta, moving_mean, moving_variance (center/scale on)
        const names = ["scale", "bias", "mean", "var"].map((s) => fresh(`${layer.name}_${s}`));
        ws.forEach((t, i) => inits.push(tensor(names[i], [t.shape[0]], t.data)));
        const out = fresh(layer.name);
        nodes.push(onnx.NodeProto.create({ opType: "BatchNormalization", input: [cur, ...names], output: [out], attribute: [float("epsilon", eps)] }));
        cur = out;
        break;
      }
      default:
        throw new FlError("UnsupportedLayer", `UnsupportedLayer(${cls})`);
    }
  }
  const K = c;
  nodes.push(onnx.NodeProto.create({ opType: "Identity", input: [cur], output: ["probabilities"] }));
  const vi = (name: string, dims: (number | string)[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: {
        tensorType: {
          elemType: FLOAT,
          shape: { dim: dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) },
        },
      },
    });
  const graph = onnx.GraphProto.create({
    name: model.name,
    node: nodes,
    initializer: inits,
    input: [vi("input", ["N", inShape[1] as number, inShape[2] as number, inShape[3] as number])],
    output: [vi("probabilities", ["N", K])],
  });
  const m = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    producerName: "medtrace",
    producerVersion: "1",
    graph,
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(m).finish();
}
