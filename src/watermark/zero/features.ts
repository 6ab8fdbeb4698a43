// Preprocessing, moments and reliable-bit binarisation, zero-watermark.md §5.
import type { PixelImage } from "../../imaging/types.ts";
import { ZeroWatermarkError } from "./errors.ts";
import { resize } from "./resize.ts";

/** One float64 plane in raster order. */
export interface FloatPlane {
  rows: number;
  cols: number;
  data: ArrayLike<number>;
}

export const MIN_SIDE = 64;

export interface PlaneOptions {
  frame?: number;
  /** DICOM RescaleSlope / RescaleIntercept (defaults 1 and 0). */
  slope?: number;
  intercept?: number;
}

/**
 * §5.1 step 1: one plane as float64 in the displayed sense. Modality rescale, MONOCHROME1
 * negated (bright means high), RGB to luma Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601).
 */
export function planeFromPixels(img: PixelImage, opts: PlaneOptions = {}): FloatPlane {
  const frame = opts.frame ?? 0;
  const slope = opts.slope ?? 1;
  const intercept = opts.intercept ?? 0;
  const n = img.rows * img.cols;
  const out = new Float64Array(n);
  const spp = img.samplesPerPixel;
  if (spp === 3) {
    const [r, g, b] = [0, 1, 2].map((s) => img.planes[frame * 3 + s]);
    for (let i = 0; i < n; i++) out[i] = 0.299 * r[i] + 0.587 * g[i] + 0.114 * b[i];
  } else {
    const src = img.planes[frame * spp];
    const sign = img.photometric === "MONOCHROME1" ? -1 : 1;
    for (let i = 0; i < n; i++) out[i] = sign * (src[i] * slope + intercept);
  }
  return { rows: img.rows, cols: img.cols, data: out };
}

/** §5.1 steps 2–3: size check and resampling to N×N ("tri/v1"); no mean removal. */
export function toSquare(plane: FloatPlane, N: number): Float64Array {
  const { rows, cols, data } = plane;
  if (data.length !== rows * cols) {
    throw new ZeroWatermarkError(
      "ZW_PARAM_DOMAIN",
      `plane has ${data.length} values, expected ${rows}×${cols}`,
    );
  }
  if (rows < MIN_SIDE || cols < MIN_SIDE) {
    throw new ZeroWatermarkError(
      "ZW_IMAGE_TOO_SMALL",
      `image ${rows}×${cols} is smaller than ${MIN_SIDE}×${MIN_SIDE}: too small for a zero-watermark`,
    );
  }
  return resize(data, rows, cols, N, N);
}

/** §5.1 step 4: subtract the mean (row-major sum / N²), in place. */
export function removeMean(img: Float64Array): Float64Array {
  let s = 0;
  for (let i = 0; i < img.length; i++) s += img[i];
  const mean = s / img.length;
  for (let i = 0; i < img.length; i++) img[i] -= mean;
  return img;
}

/** §5.2: M = A_y · J · A_xᵀ (q×q), i-k-j loops, fixed summation order. */
export function moments(
  Ay: Float64Array,
  Ax: Float64Array,
  J: Float64Array,
  N: number,
  q: number,
): Float64Array {
  const T = new Float64Array(q * N);
  // Four rows of T per pass over J (J is 2 MiB: one pass per row would be memory-bound). Each
  // T[r][x] still sums over y in ascending order, so the result does not depend on the blocking.
  let r = 0;
  for (; r + 4 <= q; r += 4) {
    const t0 = r * N;
    const t1 = t0 + N;
    const t2 = t1 + N;
    const t3 = t2 + N;
    for (let y = 0; y < N; y++) {
      const a0 = Ay[t0 + y];
      const a1 = Ay[t1 + y];
      const a2 = Ay[t2 + y];
      const a3 = Ay[t3 + y];
      const jy = y * N;
      for (let x = 0; x < N; x++) {
        const v = J[jy + x];
        T[t0 + x] += a0 * v;
        T[t1 + x] += a1 * v;
        T[t2 + x] += a2 * v;
        T[t3 + x] += a3 * v;
      }
    }
  }
  for (; r < q; r++) {
    const tr = r * N;
    for (let y = 0; y < N; y++) {
      const a = Ay[tr + y];
      const jy = y * N;
      for (let x = 0; x < N; x++) T[tr + x] += a * J[jy + x];
    }
  }
  const M = new Float64Array(q * q);
  for (let n = 0; n < q; n++) {
    const tn = n * N;
    for (let m = 0; m < q; m++) {
      const am = m * N;
      let s = 0;
      for (let x = 0; x < N; x++) s += T[tn + x] * Ax[am + x];
      M[n * q + m] = s;
    }
  }
  return M;
}

/** d[i] = m[i] − median(m), the median being the mean of the two middle values (§5.3). */
export function centred(m: Float64Array): Float64Array {
  const sorted = Float64Array.from(m).sort();
  const h = sorted.length >> 1;
  const med = sorted.length % 2 === 0 ? (sorted[h - 1] + sorted[h]) / 2 : sorted[h];
  return Float64Array.from(m, (v) => v - med);
}

export interface Selection {
  /** Selected indices into d, ascending. */
  idx: Uint16Array;
  /** Bit i (MSB-first) set iff i ∈ idx; d.length/8 bytes. */
  mask: Uint8Array;
  /** f_j = [d[idx_j] > 0], one 0/1 value per selected index. */
  bits: Uint8Array;
}

/** §5.3 steps 4–6: the L largest |d| (ties toward the smaller index), and their signs. */
export function selectReliable(d: Float64Array, L: number): Selection {
  const n = d.length;
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((i, j) => Math.abs(d[j]) - Math.abs(d[i]) || i - j);
  const maxAbs = Math.abs(d[order[0]]);
  const last = Math.abs(d[order[L - 1]]);
  if (last === 0 || last < 1e-12 * maxAbs) {
    throw new ZeroWatermarkError(
      "ZW_NO_STRUCTURE",
      "the image is flat: not enough moments differ from their median to give reliable bits",
    );
  }
  const idx = Uint16Array.from(order.slice(0, L)).sort();
  const mask = new Uint8Array(Math.ceil(n / 8));
  for (const i of idx) mask[i >> 3] |= 0x80 >> (i & 7);
  return { idx, mask, bits: bitsAt(d, idx) };
}

/** f'_j = [d'[idx_j] > 0] (verification, §5.3). */
export function bitsAt(d: Float64Array, idx: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(idx.length);
  for (let j = 0; j < idx.length; j++) out[j] = d[idx[j]] > 0 ? 1 : 0;
  return out;
}

/** The ascending indices whose bit is set in an MSB-first mask. */
export function maskIndices(mask: Uint8Array, n: number): Uint16Array {
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (mask[i >> 3] & (0x80 >> (i & 7))) out.push(i);
  return Uint16Array.from(out);
}
