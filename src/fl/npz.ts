// Minimal NPZ reader for the `npz` dataset kind (federated-learning.md §4.1): stored or deflated
// zip entries (fflate), `.npy` v1/v2/v3 headers, uint8 / int / float little-endian arrays, C order.
// src/imaging will own the general reader; this one covers what the FL dataset loader needs.
import { unzipSync } from "fflate";
import { FlError } from "./errors.ts";

export interface NpyArray {
  dtype: string;
  shape: number[];
  data:
    | Uint8Array
    | Int32Array
    | Float32Array
    | Float64Array
    | Int16Array
    | Uint16Array
    | BigInt64Array;
}

export function parseNpy(bytes: Uint8Array): NpyArray {
  if (bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== "NUMPY") {
    throw new FlError("DATASET_INVALID", "not an .npy array");
  }
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const hstart = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(hstart, hstart + hlen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeStr = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeStr === undefined) {
    throw new FlError("DATASET_INVALID", `bad .npy header ${header}`);
  }
  if (fortran === "True")
    throw new FlError("DATASET_INVALID", "Fortran-order arrays are not supported");
  const shape = shapeStr
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const start = hstart + hlen;
  const raw = bytes.slice(start); // copy: aligned buffer
  if (descr.startsWith(">") && !descr.endsWith("1")) {
    throw new FlError("DATASET_INVALID", `big-endian ${descr} is not supported`);
  }
  const kind = descr.slice(1);
  const views: Record<string, (b: ArrayBuffer) => NpyArray["data"]> = {
    u1: (b) => new Uint8Array(b, 0, count),
    i1: (b) => new Uint8Array(b, 0, count),
    b1: (b) => new Uint8Array(b, 0, count),
    u2: (b) => new Uint16Array(b, 0, count),
    i2: (b) => new Int16Array(b, 0, count),
    i4: (b) => new Int32Array(b, 0, count),
    u4: (b) => new Int32Array(b, 0, count),
    i8: (b) => new BigInt64Array(b, 0, count),
    u8: (b) => new BigInt64Array(b, 0, count),
    f4: (b) => new Float32Array(b, 0, count),
    f8: (b) => new Float64Array(b, 0, count),
  };
  const view = views[kind];
  if (!view) throw new FlError("DATASET_INVALID", `dtype ${descr} is not supported`);
  return { dtype: descr, shape, data: view(raw.buffer) };
}

export function readNpz(bytes: Uint8Array): Record<string, NpyArray> {
  const files = unzipSync(bytes);
  const out: Record<string, NpyArray> = {};
  for (const [name, data] of Object.entries(files)) {
    out[name.replace(/\.npy$/, "")] = parseNpy(data);
  }
  return out;
}
