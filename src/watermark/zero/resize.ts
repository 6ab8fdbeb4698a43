// Separable triangle-filter resampling, zero-watermark.md §10.1 ("tri/v1"): bilinear when
// upscaling, area-aware triangle when downscaling (Pillow's BILINEAR behaviour).

interface Taps {
  start: Int32Array;
  count: Int32Array;
  weights: Float64Array; // count[o] weights per output, at o * maxTaps
  maxTaps: number;
}

function taps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const sigma = Math.max(1, scale);
  const maxTaps = Math.ceil(2 * sigma) + 2;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * maxTaps);
  for (let o = 0; o < outSize; o++) {
    const c = (o + 0.5) * scale;
    const lo = Math.max(0, Math.floor(c - sigma - 0.5));
    const hi = Math.min(inSize - 1, Math.ceil(c + sigma - 0.5));
    let sum = 0;
    let n = 0;
    let first = -1;
    for (let t = lo; t <= hi; t++) {
      const w = Math.max(0, 1 - Math.abs(t + 0.5 - c) / sigma);
      if (w <= 0) continue;
      if (first < 0) first = t;
      weights[o * maxTaps + (t - first)] = w;
      n = t - first + 1;
      sum += w;
    }
    start[o] = first < 0 ? Math.min(inSize - 1, Math.max(0, Math.floor(c))) : first;
    if (first < 0) {
      weights[o * maxTaps] = 1;
      n = 1;
      sum = 1;
    }
    count[o] = n;
    for (let k = 0; k < n; k++) weights[o * maxTaps + k] /= sum;
  }
  return { start, count, weights, maxTaps };
}

/** Resamples a rows×cols plane to outRows×outCols; rows (horizontal pass) first, then columns. */
export function resize(
  src: ArrayLike<number>,
  rows: number,
  cols: number,
  outRows: number,
  outCols: number,
): Float64Array {
  if (rows === outRows && cols === outCols) return Float64Array.from(src);
  const h = taps(cols, outCols);
  const tmp = new Float64Array(rows * outCols);
  for (let y = 0; y < rows; y++) {
    const base = y * cols;
    for (let x = 0; x < outCols; x++) {
      const s0 = h.start[x];
      const wo = x * h.maxTaps;
      let acc = 0;
      for (let k = 0; k < h.count[x]; k++) acc += h.weights[wo + k] * src[base + s0 + k];
      tmp[y * outCols + x] = acc;
    }
  }
  const v = taps(rows, outRows);
  const out = new Float64Array(outRows * outCols);
  for (let y = 0; y < outRows; y++) {
    const s0 = v.start[y];
    const wo = y * v.maxTaps;
    const oy = y * outCols;
    for (let k = 0; k < v.count[y]; k++) {
      const w = v.weights[wo + k];
      const r = (s0 + k) * outCols;
      for (let x = 0; x < outCols; x++) out[oy + x] += w * tmp[r + x];
    }
  }
  return out;
}
