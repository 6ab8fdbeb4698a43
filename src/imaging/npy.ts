// NumPy .npy and .npz reading (format spec: numpy.lib.format, versions 1.0–3.0). Only what
// medtrace's data needs: little-endian (or byte-order-free) numeric dtypes in C order.
import { unzipSync } from "fflate";
import { ImagingError, parseError } from "./errors.ts";
import { monochromeImage } from "./monochrome.ts";
import type { PixelImage } from "./types.ts";

export type NpyDtype =
  | "uint8"
  | "int8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "int64"
  | "float32"
  | "float64";

export type NpyData =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

export interface NpyArray {
  shape: number[];
  dtype: NpyDtype;
  /** Values in C (row-major) order. */
  data: NpyData;
}

/** NumPy type strings (byte order + kind + size) to our dtypes; "|" means no byte order. */
const DTYPES: Record<string, { dtype: NpyDtype; size: number }> = {
  u1: { dtype: "uint8", size: 1 },
  i1: { dtype: "int8", size: 1 },
  b1: { dtype: "uint8", size: 1 },
  i2: { dtype: "int16", size: 2 },
  u2: { dtype: "uint16", size: 2 },
  i4: { dtype: "int32", size: 4 },
  u4: { dtype: "uint32", size: 4 },
  i8: { dtype: "int64", size: 8 },
  f4: { dtype: "float32", size: 4 },
  f8: { dtype: "float64", size: 8 },
};

function typed(dtype: NpyDtype, buf: ArrayBuffer): NpyData {
  switch (dtype) {
    case "uint8":
      return new Uint8Array(buf);
    case "int8":
      return new Int8Array(buf);
    case "int16":
      return new Int16Array(buf);
    case "uint16":
      return new Uint16Array(buf);
    case "int32":
      return new Int32Array(buf);
    case "uint32":
      return new Uint32Array(buf);
    case "int64":
      return new BigInt64Array(buf);
    case "float32":
      return new Float32Array(buf);
    case "float64":
      return new Float64Array(buf);
  }
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

export function readNpy(bytes: Uint8Array, name = "npy"): NpyArray {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) {
    throw parseError(`${name}: not an NPY array (no \\x93NUMPY magic)`, 0);
  }
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw parseError(`${name}: truncated NPY header`, bytes.length);
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new ImagingError("IMG_UNSUPPORTED", `${name}: NPY format version ${major}`);
  }
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) throw parseError(`${name}: truncated NPY header`, bytes.length);
  const header = Buffer.from(bytes.subarray(headerStart, dataStart)).toString(
    major === 3 ? "utf8" : "latin1",
  );
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw parseError(`${name}: NPY header is not a dtype/order/shape dictionary: ${header.trim()}`);
  }
  if (fortran === "True") {
    throw new ImagingError("IMG_UNSUPPORTED", `${name}: Fortran-ordered arrays are not supported`);
  }
  const order = descr[0];
  const spec = DTYPES[descr.slice(1)];
  if (!spec || !"<|=".includes(order) || (order === "|" && spec.size > 1)) {
    throw new ImagingError(
      "IMG_UNSUPPORTED",
      `${name}: dtype '${descr}' (supported: little-endian u1 i1 b1 i2 u2 i4 u4 i8 f4 f8)`,
    );
  }
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((s) => {
      const v = Number(s.replace(/L$/, ""));
      if (!Number.isSafeInteger(v) || v < 0) throw parseError(`${name}: bad shape (${shapeText})`);
      return v;
    });
  const count = shape.reduce((a, b) => a * b, 1);
  const byteLength = count * spec.size;
  if (dataStart + byteLength > bytes.length) {
    throw parseError(
      `${name}: NPY data of ${bytes.length - dataStart} bytes, shape (${shape.join(", ")}) of ` +
        `${descr} needs ${byteLength}`,
      bytes.length,
    );
  }
  // A copy: the data offset need not be aligned for a typed array view.
  const buf = new Uint8Array(byteLength);
  buf.set(bytes.subarray(dataStart, dataStart + byteLength));
  return { shape, dtype: spec.dtype, data: typed(spec.dtype, buf.buffer) };
}

/** The arrays of an .npz archive (a zip of .npy files), by name without ".npy". */
export function readNpz(bytes: Uint8Array, only?: string[]): Map<string, NpyArray> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (f) => !only || only.includes(f.name.replace(/\.npy$/, "")),
    });
  } catch (err) {
    throw parseError(`NPZ archive does not unzip: ${(err as Error).message}`);
  }
  const out = new Map<string, NpyArray>();
  for (const [file, content] of Object.entries(files)) {
    if (!file.endsWith(".npy")) continue;
    const name = file.slice(0, -4);
    out.set(name, readNpy(content, name));
  }
  return out;
}

const IMAGE_DTYPES: Partial<Record<NpyDtype, { bits: 8 | 16; signed: boolean }>> = {
  uint8: { bits: 8, signed: false },
  int8: { bits: 8, signed: true },
  uint16: { bits: 16, signed: false },
  int16: { bits: 16, signed: true },
};

/**
 * An image from an integer array: shape (rows, cols) is one frame, (n, rows, cols) n frames of one
 * monochrome sample; with `index`, only image `index` of a stack. Float and 32/64-bit arrays are
 * refused (IMG_UNSUPPORTED): they have no stored-value domain.
 */
export function npyToImage(arr: NpyArray, index?: number): PixelImage {
  const kind = IMAGE_DTYPES[arr.dtype];
  if (!kind) {
    throw new ImagingError(
      "IMG_UNSUPPORTED",
      `an image needs an 8 or 16-bit integer array, this one is ${arr.dtype}`,
    );
  }
  let frames: number;
  let rows: number;
  let cols: number;
  if (arr.shape.length === 2) [frames, rows, cols] = [1, arr.shape[0], arr.shape[1]];
  else if (arr.shape.length === 3) [frames, rows, cols] = arr.shape as [number, number, number];
  else {
    throw new ImagingError(
      "IMG_UNSUPPORTED",
      `an image needs shape (rows, cols) or (n, rows, cols), not (${arr.shape.join(", ")})`,
    );
  }
  const n = rows * cols;
  const first = index ?? 0;
  const count = index === undefined ? frames : 1;
  if (first < 0 || first + count > frames) {
    throw new RangeError(`image ${index} of a stack of ${frames}`);
  }
  const data = arr.data as Uint8Array | Int8Array | Uint16Array | Int16Array;
  const planes: Int32Array[] = [];
  for (let f = first; f < first + count; f++)
    planes.push(Int32Array.from(data.subarray(f * n, (f + 1) * n)));
  return monochromeImage(planes, { rows, cols, bits: kind.bits, signed: kind.signed });
}
