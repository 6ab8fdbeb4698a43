// Conv2DBackpropFilter for the tfjs wasm backend, which ships without it in 4.22.0 (tfjs #8474).
// federated-learning.md §2.3: dW = transpose(slice(conv2d(transpose(x', [3,1,2,0]),
// transpose(dy, [1,2,0,3]), strides 1, 'valid', dilations = forward strides)), [1,2,0,3]).
// Built from the backend's own kernels (PadV2, Transpose, Conv2D, Slice), as backends compose.
import type * as tf from "@tensorflow/tfjs";
import { FlError } from "./errors.ts";

type TensorInfo = tf.TensorInfo;
type KernelFunc = (args: {
  inputs: Record<string, TensorInfo>;
  backend: unknown;
  attrs?: Record<string, unknown>;
}) => TensorInfo | TensorInfo[];

interface Disposer {
  disposeData(dataId: object): unknown;
}

type Pad = "valid" | "same" | number | number[][];

function pair(v: number | number[]): [number, number] {
  return typeof v === "number" ? [v, v] : [v[0], v[1]];
}

/** Padding [top, bottom, left, right] as the forward convolution applied it (TF convention). */
export function forwardPadding(
  pad: Pad,
  inH: number,
  inW: number,
  kh: number,
  kw: number,
  sh: number,
  sw: number,
): [number, number, number, number] {
  if (pad === "valid") return [0, 0, 0, 0];
  if (pad === "same") {
    const th = Math.max((Math.ceil(inH / sh) - 1) * sh + kh - inH, 0);
    const tw = Math.max((Math.ceil(inW / sw) - 1) * sw + kw - inW, 0);
    return [
      Math.floor(th / 2),
      th - Math.floor(th / 2),
      Math.floor(tw / 2),
      tw - Math.floor(tw / 2),
    ];
  }
  if (typeof pad === "number") return [pad, pad, pad, pad];
  if (Array.isArray(pad) && pad.length === 4) {
    return [pad[1][0], pad[1][1], pad[2][0], pad[2][1]];
  }
  throw new FlError("UnsupportedKernelConfig", `Conv2DBackpropFilter: pad ${JSON.stringify(pad)}`);
}

export function makeConv2DBackpropFilter(getKernelFunc: (name: string) => KernelFunc): KernelFunc {
  const padV2 = getKernelFunc("PadV2");
  const transpose = getKernelFunc("Transpose");
  const conv2d = getKernelFunc("Conv2D");
  const slice = getKernelFunc("Slice");
  return ({ inputs, backend, attrs = {} }) => {
    const { x, dy } = inputs;
    const dataFormat = (attrs.dataFormat as string | undefined) ?? "NHWC";
    if (dataFormat !== "NHWC" && dataFormat !== "channelsLast") {
      throw new FlError("UnsupportedKernelConfig", `dataFormat ${dataFormat}; NHWC only`);
    }
    const dil = attrs.dilations as number | number[] | undefined;
    if (dil !== undefined && pair(dil).some((d) => d !== 1)) {
      throw new FlError("UnsupportedKernelConfig", "forward dilation must be 1");
    }
    const [kh, kw, cin, cout] = attrs.filterShape as number[];
    const [sh, sw] = pair(attrs.strides as number | number[]);
    const [, inH, inW] = x.shape;
    const [pt, pb, pl, pr] = forwardPadding(attrs.pad as Pad, inH, inW, kh, kw, sh, sw);
    const temps: TensorInfo[] = [];
    const run = (f: KernelFunc, ins: Record<string, TensorInfo>, at: Record<string, unknown>) => {
      const out = f({ inputs: ins, backend, attrs: at }) as TensorInfo;
      temps.push(out);
      return out;
    };
    try {
      let xp = x;
      if (pt + pb + pl + pr > 0) {
        xp = run(
          padV2,
          { x },
          {
            paddings: [
              [0, 0],
              [pt, pb],
              [pl, pr],
              [0, 0],
            ],
            constantValue: 0,
          },
        );
      }
      const xt = run(transpose, { x: xp }, { perm: [3, 1, 2, 0] }); // [Cin, H', W', N]
      const dyt = run(transpose, { x: dy }, { perm: [1, 2, 0, 3] }); // [Ho, Wo, N, Cout]
      const conv = run(
        conv2d,
        { x: xt, filter: dyt },
        {
          strides: [1, 1],
          pad: "valid",
          dataFormat: "NHWC",
          dilations: [sh, sw],
          dimRoundingMode: undefined,
        },
      ); // [Cin, >=kh, >=kw, Cout]
      const cut = run(slice, { x: conv }, { begin: [0, 0, 0, 0], size: [cin, kh, kw, cout] });
      const out = transpose({ inputs: { x: cut }, backend, attrs: { perm: [1, 2, 0, 3] } });
      return out as TensorInfo;
    } finally {
      for (const t of temps) (backend as Disposer).disposeData(t.dataId);
    }
  };
}
