// Edge datasets from image files (federated-learning.md §4.1–4.3): a folder of DICOM or PNG files
// plus labels.csv, preprocessed to float32 [0, 1] at the model's input size, and split into
// train/val deterministically by patient. No file I/O: the caller hands in the files' bytes.
import { createHash, createHmac } from "node:crypto";
import { type ReadImageResult, readImage } from "../imaging/index.ts";
import { parseCsvRows } from "../util/csv.ts";
import type { Dataset } from "./dataset.ts";
import { FlError } from "./errors.ts";

/** labels.csv as records keyed by the header row (required). */
export function parseCsv(text: string): Record<string, string>[] {
  const [header, ...body] = parseCsvRows(text);
  if (!header) throw new FlError("DATASET_INVALID", "labels.csv is empty");
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h.trim(), r[i] ?? ""])));
}

/** §4.3: u = u64(HMAC-SHA256(SHA-256("medtrace/v1/fl/split" ‖ 0x00 ‖ datasetId), group)[0..8)) / 2^64; val if u < 0.1. */
export function localSplit(datasetId: string, groupKey: string): "train" | "val" {
  const key = createHash("sha256").update("medtrace/v1/fl/split").update(Uint8Array.of(0)).update(datasetId, "utf8").digest();
  const mac = createHmac("sha256", key).update(groupKey, "utf8").digest();
  const u = Number(mac.readBigUInt64BE(0)) / 2 ** 64;
  return u < 0.1 ? "val" : "train";
}

type Dict = Record<string, { Value?: unknown[] } | undefined>;

function attr(dict: Dict | undefined, tag: string): number | undefined {
  const v = dict?.[tag]?.Value?.[0];
  const n = typeof v === "string" ? Number.parseFloat(v) : typeof v === "number" ? v : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

function text(dict: Dict | undefined, tag: string): string | undefined {
  const v = dict?.[tag]?.Value?.[0];
  return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
}

/** §4.2: decode → Modality LUT → first VOI window, else min–max → invert MONOCHROME1 (DICOM); bit depth or luma (PNG). */
export function toUnitPlane(r: ReadImageResult): { plane: Float32Array; warning?: string } {
  const img = r.image;
  if (img.frames !== 1) throw new FlError("DATASET_INVALID", "multi-frame images are refused (v1)");
  const n = img.rows * img.cols;
  const out = new Float32Array(n);
  let warning: string | undefined;
  if (img.samplesPerPixel === 3) {
    const [R, G, B] = img.planes;
    const max = 2 ** img.bitsStored - 1;
    for (let i = 0; i < n; i++) out[i] = (0.299 * R[i] + 0.587 * G[i] + 0.114 * B[i]) / max;
    warning = "RGB converted to luma (0.299, 0.587, 0.114)";
    return { plane: out, warning };
  }
  const p = img.planes[0];
  if (r.format !== "dicom") {
    const max = 2 ** img.bitsStored - 1;
    for (let i = 0; i < n; i++) out[i] = p[i] / max;
    return { plane: out };
  }
  const dict = r.dicom?.dict as Dict | undefined;
  const slope = attr(dict, "00281053") ?? 1;
  const intercept = attr(dict, "00281052") ?? 0;
  const center = attr(dict, "00281050");
  const width = attr(dict, "00281051");
  for (let i = 0; i < n; i++) out[i] = p[i] * slope + intercept;
  if (center !== undefined && width !== undefined && width >= 1) {
    // DICOM PS3.3 C.11.2.1.2.1 linear VOI function
    for (let i = 0; i < n; i++) out[i] = Math.min(1, Math.max(0, (out[i] - (center - 0.5)) / (width - 1) + 0.5));
  } else {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const v of out) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const span = hi - lo || 1;
    for (let i = 0; i < n; i++) out[i] = (out[i] - lo) / span;
  }
  if (img.photometric === "MONOCHROME1") for (let i = 0; i < n; i++) out[i] = 1 - out[i];
  return { plane: out };
}

/** 1-D resampling weights: area averaging when shrinking, bilinear (half-pixel centres) when growing. */
function weights(inN: number, outN: number): { idx: number[]; w: number[] }[] {
  const scale = inN / outN;
  const res: { idx: number[]; w: number[] }[] = [];
  for (let o = 0; o < outN; o++) {
    const idx: number[] = [];
    const w: number[] = [];
    if (scale >= 1) {
      const a = o * scale;
      const b = (o + 1) * scale;
      for (let i = Math.floor(a); i < Math.ceil(b); i++) {
        const cover = Math.min(b, i + 1) - Math.max(a, i);
        if (cover > 0) {
          idx.push(Math.min(i, inN - 1));
          w.push(cover / scale);
        }
      }
    } else {
      const c = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), inN - 1);
      const i0 = Math.floor(c);
      const i1 = Math.min(i0 + 1, inN - 1);
      idx.push(i0, i1);
      w.push(1 - (c - i0), c - i0);
    }
    res.push({ idx, w });
  }
  return res;
}

/** Centre-crop to a square, then resize to size×size (separable). */
export function cropResize(plane: Float32Array, rows: number, cols: number, size: number): Float32Array {
  const s = Math.min(rows, cols);
  const r0 = Math.floor((rows - s) / 2);
  const c0 = Math.floor((cols - s) / 2);
  const wy = weights(s, size);
  const wx = weights(s, size);
  const tmp = new Float32Array(s * size); // rows of the crop × output columns
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < size; x++) {
      let acc = 0;
      const { idx, w } = wx[x];
      for (let k = 0; k < idx.length; k++) acc += w[k] * plane[(r0 + y) * cols + c0 + idx[k]];
      tmp[y * size + x] = acc;
    }
  }
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    const { idx, w } = wy[y];
    for (let x = 0; x < size; x++) {
      let acc = 0;
      for (let k = 0; k < idx.length; k++) acc += w[k] * tmp[idx[k] * size + x];
      out[y * size + x] = Math.min(1, Math.max(0, acc));
    }
  }
  return out;
}

export interface ImageDatasetOptions {
  datasetId: string;
  classes: string[];
  inputSize: number;
  labelColumn?: string;
}

export interface ImageDatasets {
  train: Dataset;
  val: Dataset;
  test?: Dataset;
  warnings: string[];
}

/** Builds the node's datasets; missing files, unknown labels and duplicate keys make it invalid, listing the rows. */
export function imageDataset(files: ReadonlyMap<string, Uint8Array>, labelsCsv: string, o: ImageDatasetOptions): ImageDatasets {
  const rows = parseCsv(labelsCsv);
  const labelCol = o.labelColumn ?? "label";
  const problems: string[] = [];
  const warnings: string[] = [];
  const seen = new Set<string>();
  const items: { x: Float32Array; y: number; split: "train" | "val" | "test" }[] = [];
  rows.forEach((row, i) => {
    const line = i + 2;
    const key = row.file ?? row.sopInstanceUid;
    if (!key) return void problems.push(`row ${line}: no 'file' or 'sopInstanceUid'`);
    if (seen.has(key)) return void problems.push(`row ${line}: duplicate key ${key}`);
    seen.add(key);
    const raw = row[labelCol];
    const y = /^\d+$/.test(raw ?? "") ? Number(raw) : o.classes.indexOf(raw ?? "");
    if (y < 0 || y >= o.classes.length) return void problems.push(`row ${line}: unknown label '${raw}'`);
    const bytes = files.get(key);
    if (!bytes) return void problems.push(`row ${line}: file ${key} missing`);
    let r: ReadImageResult;
    try {
      r = readImage(bytes);
    } catch (e) {
      return void problems.push(`row ${line}: ${(e as Error).message}`);
    }
    let plane: Float32Array;
    try {
      const u = toUnitPlane(r);
      if (u.warning) warnings.push(`${key}: ${u.warning}`);
      plane = cropResize(u.plane, r.image.rows, r.image.cols, o.inputSize);
    } catch (e) {
      return void problems.push(`row ${line}: ${(e as Error).message}`);
    }
    const declared = row.split as "train" | "val" | "test" | undefined;
    const patient = row.patientId || text(r.dicom?.dict as Dict | undefined, "00100020");
    const split = declared && ["train", "val", "test"].includes(declared) ? declared : localSplit(o.datasetId, patient ?? key);
    items.push({ x: plane, y, split });
  });
  if (problems.length > 0) {
    throw new FlError("DATASET_INVALID", `dataset ${o.datasetId} refused:\n  ${problems.join("\n  ")}`);
  }
  const pack = (s: "train" | "val" | "test"): Dataset => {
    const sel = items.filter((it) => it.split === s);
    const per = o.inputSize * o.inputSize;
    const x = new Float32Array(sel.length * per);
    sel.forEach((it, i) => x.set(it.x, i * per));
    return { x, y: Int32Array.from(sel, (it) => it.y), n: sel.length, h: o.inputSize, w: o.inputSize, c: 1, classes: o.classes.length };
  };
  const test = pack("test");
  return { train: pack("train"), val: pack("val"), ...(test.n > 0 ? { test } : {}), warnings };
}
