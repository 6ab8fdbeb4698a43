// Datasets held in memory as float32 NHWC in [0, 1] (federated-learning.md §4.1–4.2) and the
// benchmark partitions of §4.5 (IID, Dirichlet label skew), all seeded through the FL PRG.
import { flDerive, flSeedBytes, Prg } from "../crypto/prg.ts";
import { type NpyArray, readNpz } from "../imaging/index.ts";
import { FlError } from "./errors.ts";

export interface Dataset {
  x: Float32Array; // n·h·w·c, values in [0, 1]
  y: Int32Array; // class index per example
  n: number;
  h: number;
  w: number;
  c: number;
  classes: number;
}

export type SplitName = "train" | "val" | "test";

function toDataset(images: NpyArray, labels: NpyArray, classes?: number): Dataset {
  const [n, h, w, c = 1] = images.shape;
  if (labels.shape[0] !== n)
    throw new FlError("DATASET_INVALID", "images and labels differ in length");
  const x = new Float32Array(images.data.length);
  const src = images.data;
  if (src instanceof BigInt64Array) throw new FlError("DATASET_INVALID", "64-bit integer images");
  const scale = images.dtype === "uint8" ? 1 / 255 : 1;
  for (let i = 0; i < x.length; i++) x[i] = (src[i] as number) * scale;
  const y = new Int32Array(n);
  const ld = labels.data;
  const stride = labels.data.length / n;
  for (let i = 0; i < n; i++) y[i] = Number(ld[i * stride]);
  const k = classes ?? Math.max(2, ...Array.from(y, (v) => v + 1));
  return { x, y, n, h, w, c, classes: k };
}

/** MedMNIST layout: {train,val,test}_images and _labels. */
export function npzDatasets(bytes: Uint8Array): Record<SplitName, Dataset> {
  const arrays = readNpz(bytes);
  const out: Partial<Record<SplitName, Dataset>> = {};
  let k = 2;
  for (const s of ["train", "val", "test"] as const) {
    const l = arrays.get(`${s}_labels`);
    if (l) for (const v of l.data) k = Math.max(k, Number(v) + 1);
  }
  for (const s of ["train", "val", "test"] as const) {
    const im = arrays.get(`${s}_images`);
    const l = arrays.get(`${s}_labels`);
    if (!im || !l) throw new FlError("DATASET_INVALID", `npz lacks ${s}_images / ${s}_labels`);
    out[s] = toDataset(im, l, k);
  }
  return out as Record<SplitName, Dataset>;
}

export function subset(d: Dataset, idx: ArrayLike<number>): Dataset {
  const per = d.h * d.w * d.c;
  const x = new Float32Array(idx.length * per);
  const y = new Int32Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    x.set(d.x.subarray(idx[i] * per, (idx[i] + 1) * per), i * per);
    y[i] = d.y[idx[i]];
  }
  return { ...d, x, y, n: idx.length };
}

/** The first `n` examples of each class in turn, a deterministic class-balanced-ish head. */
export function head(d: Dataset, n: number, seed = "head"): Dataset {
  if (n >= d.n) return d;
  const idx = Array.from({ length: d.n }, (_, i) => i);
  new Prg(flDerive(flSeedBytes(seed), "head")).shuffle(idx);
  return subset(
    d,
    idx.slice(0, n).sort((a, b) => a - b),
  );
}

export function classCounts(d: Dataset): number[] {
  const c = new Array<number>(d.classes).fill(0);
  for (const v of d.y) c[v]++;
  return c;
}

export type Split = { kind: "iid" } | { kind: "dirichlet"; alpha: number };

export function parseSplit(s: string): Split {
  if (s === "iid") return { kind: "iid" };
  const m = /^dirichlet:([0-9.]+)$/.exec(s);
  if (m && Number(m[1]) > 0) return { kind: "dirichlet", alpha: Number(m[1]) };
  throw new FlError("CONFIG_INVALID", `split ${s}: expected iid or dirichlet:ALPHA`);
}

function schemeLabel(s: Split): string {
  return s.kind === "iid" ? "iid" : `dir${s.alpha}`;
}

function byClass(y: Int32Array, classes: number): number[][] {
  const out: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < y.length; i++) out[y[i]].push(i);
  return out;
}

/** Marsaglia–Tsang for shape ≥ 1; Gamma(a+1)·U^(1/a) for a < 1 (§4.5). */
export function gamma(prg: Prg, a: number): number {
  if (a < 1) return gamma(prg, a + 1) * prg.uniform() ** (1 / a);
  const d = a - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = prg.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = prg.uniform();
    if (u < 1 - 0.0331 * x ** 4) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Index lists of k hospitals over the dataset's labels, PRG key derive(seedBytes(seed), "partition/k<k>/<scheme>"). */
export function partition(
  y: Int32Array,
  classes: number,
  k: number,
  split: Split,
  seed: string,
): number[][] {
  if (k < 1) throw new FlError("CONFIG_INVALID", "k must be ≥ 1");
  const prg = new Prg(flDerive(flSeedBytes(seed), `partition/k${k}/${schemeLabel(split)}`));
  const cls = byClass(y, classes);
  if (split.kind === "iid") {
    const out: number[][] = Array.from({ length: k }, () => []);
    let next = 0;
    for (const idx of cls) {
      prg.shuffle(idx);
      for (const i of idx) {
        out[next].push(i);
        next = (next + 1) % k;
      }
    }
    return out.map((o) => o.sort((a, b) => a - b));
  }
  for (const idx of cls) prg.shuffle(idx);
  for (let attempt = 0; attempt < 1000; attempt++) {
    const out: number[][] = Array.from({ length: k }, () => []);
    for (const idx of cls) {
      const g = Array.from({ length: k }, () => gamma(prg, split.alpha));
      const sum = g.reduce((a, b) => a + b, 0);
      let cum = 0;
      let prev = 0;
      for (let h = 0; h < k; h++) {
        cum += g[h] / sum;
        const cut = h === k - 1 ? idx.length : Math.round(cum * idx.length);
        for (let i = prev; i < cut; i++) out[h].push(idx[i]);
        prev = Math.max(prev, cut);
      }
    }
    if (out.every((o) => o.length >= 10)) return out.map((o) => o.sort((a, b) => a - b));
  }
  throw new FlError(
    "CONFIG_INVALID",
    "Dirichlet partition: no draw gave every hospital ≥ 10 examples",
  );
}
