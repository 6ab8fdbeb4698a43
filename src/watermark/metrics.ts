// Image and watermark quality metrics shared by the zero and reversible watermarks.
// Formulas: zero-watermark.md §11 (BER, NC, NC±); PSNR and SSIM as in scikit-image
// (`peak_signal_noise_ratio`, `structural_similarity` with its defaults: 7×7 uniform window,
// K1 = 0.01, K2 = 0.03, sample covariance, mean over the map cropped by the half window).

export class MetricsError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(`${code}: ${message}`);
    this.name = "MetricsError";
    this.code = code;
  }
}

function sameLength(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new MetricsError("METRICS_LENGTH", `inputs differ in length: ${a.length} vs ${b.length}`);
  }
  if (a.length === 0) throw new MetricsError("METRICS_EMPTY", "inputs are empty");
  return a.length;
}

/** Bit error rate between two bit strings given as arrays of 0/1 values (§11). */
export function ber(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = sameLength(a, b);
  let diff = 0;
  for (let i = 0; i < n; i++) if ((a[i] !== 0) !== (b[i] !== 0)) diff++;
  return diff / n;
}

const POP8 = new Uint8Array(256);
for (let i = 1; i < 256; i++) POP8[i] = (i & 1) + POP8[i >> 1];

/** BER between two MSB-first packed bit strings of `bits` bits. */
export function berPacked(a: Uint8Array, b: Uint8Array, bits = a.length * 8): number {
  if (a.length !== b.length) {
    throw new MetricsError("METRICS_LENGTH", `inputs differ in length: ${a.length} vs ${b.length}`);
  }
  if (bits <= 0 || bits > a.length * 8) {
    throw new MetricsError("METRICS_BITS", `bit count ${bits} does not fit ${a.length} bytes`);
  }
  let diff = 0;
  const full = bits >> 3;
  for (let i = 0; i < full; i++) diff += POP8[a[i] ^ b[i]];
  const rest = bits & 7;
  if (rest) diff += POP8[(a[full] ^ b[full]) & (0xff << (8 - rest)) & 0xff];
  return diff / bits;
}

/**
 * Normalised correlation `Σ a·b / sqrt(Σ a² · Σ b²)`, 0 when either sum is 0 (§11).
 * For {0,1} watermarks this is the "NC{0,1}" form; an unrelated pseudo-random mark gives ≈ 0.5.
 */
export function nc(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = sameLength(a, b);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
}

/** Bipolar NC± = (1/L) Σ (2a−1)(2b−1) = 1 − 2·BER for bit strings (§11). */
export function ncPm(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return 1 - 2 * ber(a, b);
}

/** Mean squared error. */
export function mse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = sameLength(a, b);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return s / n;
}

/** PSNR in dB, `10·log10(peak² / MSE)`; `Infinity` for identical inputs. */
export function psnr(a: ArrayLike<number>, b: ArrayLike<number>, peak: number): number {
  if (!(peak > 0)) throw new MetricsError("METRICS_PEAK", `peak must be > 0, got ${peak}`);
  const m = mse(a, b);
  return m === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((peak * peak) / m);
}

/** max − min of the values: the PSNR peak the medical rows of reversible-watermark.md §15.1 use. */
export function dynamicRange(values: ArrayLike<number>): number {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return max - min;
}

/**
 * PSNR of a marked copy as reversible-watermark.md §15.1 reports it: peak 255 for 8-bit data;
 * otherwise both peak = the original's dynamic range and peak = the full stored range.
 */
export function markPsnr(
  original: ArrayLike<number>,
  marked: ArrayLike<number>,
  bitsStored: number,
): { psnr: number } | { psnrDynamicRange: number; psnrFullRange: number } {
  const full = 2 ** bitsStored - 1;
  if (bitsStored <= 8) return { psnr: psnr(original, marked, full) };
  return {
    psnrDynamicRange: psnr(original, marked, Math.max(1, dynamicRange(original))),
    psnrFullRange: psnr(original, marked, full),
  };
}

export interface SsimOptions {
  /** Odd window side, default 7. */
  winSize?: number;
  k1?: number;
  k2?: number;
  /** Divide by NP−1 instead of NP (scikit-image default true). */
  sampleCovariance?: boolean;
}

/**
 * Mean SSIM (Wang et al. 2004) with scikit-image's defaults: uniform `winSize`² window, sample
 * covariance, mean over the map with a border of (winSize−1)/2 cropped. Only windows that lie
 * entirely inside the image contribute, so the border mode of the filter does not matter.
 */
export function ssim(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  rows: number,
  cols: number,
  dataRange: number,
  opts: SsimOptions = {},
): number {
  const n = sameLength(a, b);
  const win = opts.winSize ?? 7;
  if (n !== rows * cols) {
    throw new MetricsError("METRICS_SHAPE", `${n} values do not form ${rows}×${cols}`);
  }
  if (win < 3 || win % 2 === 0) throw new MetricsError("METRICS_WINDOW", `bad window ${win}`);
  if (rows < win || cols < win) {
    throw new MetricsError("METRICS_SHAPE", `image ${rows}×${cols} smaller than window ${win}`);
  }
  if (!(dataRange > 0)) {
    throw new MetricsError("METRICS_PEAK", `data range must be > 0, got ${dataRange}`);
  }
  const np = win * win;
  const covNorm = (opts.sampleCovariance ?? true) ? np / (np - 1) : 1;
  const c1 = ((opts.k1 ?? 0.01) * dataRange) ** 2;
  const c2 = ((opts.k2 ?? 0.03) * dataRange) ** 2;
  const oc = cols - win + 1;
  const or = rows - win + 1;
  // Horizontal window sums of a, b, a², b², ab (each oc wide), then vertical sums.
  const h = [0, 1, 2, 3, 4].map(() => new Float64Array(rows * oc));
  for (let y = 0; y < rows; y++) {
    const base = y * cols;
    for (let x = 0; x < oc; x++) {
      let sa = 0;
      let sb = 0;
      let saa = 0;
      let sbb = 0;
      let sab = 0;
      for (let k = 0; k < win; k++) {
        const va = a[base + x + k];
        const vb = b[base + x + k];
        sa += va;
        sb += vb;
        saa += va * va;
        sbb += vb * vb;
        sab += va * vb;
      }
      const o = y * oc + x;
      h[0][o] = sa;
      h[1][o] = sb;
      h[2][o] = saa;
      h[3][o] = sbb;
      h[4][o] = sab;
    }
  }
  let total = 0;
  for (let y = 0; y < or; y++) {
    for (let x = 0; x < oc; x++) {
      let sa = 0;
      let sb = 0;
      let saa = 0;
      let sbb = 0;
      let sab = 0;
      for (let k = 0; k < win; k++) {
        const o = (y + k) * oc + x;
        sa += h[0][o];
        sb += h[1][o];
        saa += h[2][o];
        sbb += h[3][o];
        sab += h[4][o];
      }
      const ux = sa / np;
      const uy = sb / np;
      const vx = covNorm * (saa / np - ux * ux);
      const vy = covNorm * (sbb / np - uy * uy);
      const vxy = covNorm * (sab / np - ux * uy);
      const num = (2 * ux * uy + c1) * (2 * vxy + c2);
      const den = (ux * ux + uy * uy + c1) * (vx + vy + c2);
      total += num / den;
    }
  }
  return total / (or * oc);
}
