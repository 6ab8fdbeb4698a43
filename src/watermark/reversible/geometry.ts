// Per-pass geometry (reversible-watermark.md §3): for every position of one checkerboard pass,
// its rhombus prediction, its local complexity μ over the 12 other-parity neighbours of the 5×5
// window, and whether it can be processed at all (margin and range). All neighbours have the
// other parity, so a pass never changes the values its own geometry was computed from.
import { rungOf } from "./ladder.ts";

export interface PassGeometry {
  parity: 0 | 1;
  count: number;
  /** Raster index r·C + c, in raster order. */
  index: Int32Array;
  pred: Int32Array;
  mu: Float64Array;
  /** 1 when `loW + 2 < p < hiW − 2` and `loW ≤ x ≤ hiW`. */
  eligible: Uint8Array;
}

export function passPositions(rows: number, cols: number, parity: 0 | 1): Int32Array {
  const out: number[] = [];
  for (let r = 2; r <= rows - 3; r++) {
    for (let c = 2 + ((r + parity) & 1); c <= cols - 3; c += 2) out.push(r * cols + c);
  }
  return Int32Array.from(out);
}

const positionsCache = new Map<string, Int32Array>();

function cachedPositions(rows: number, cols: number, parity: 0 | 1): Int32Array {
  const id = `${rows}x${cols}:${parity}`;
  let hit = positionsCache.get(id);
  if (!hit) {
    hit = passPositions(rows, cols, parity);
    if (positionsCache.size > 16) positionsCache.clear();
    positionsCache.set(id, hit);
  }
  return hit;
}

export function computeGeometry(
  data: Int32Array,
  rows: number,
  cols: number,
  parity: 0 | 1,
  loW: number,
  hiW: number,
): PassGeometry {
  const index = cachedPositions(rows, cols, parity);
  const count = index.length;
  const pred = new Int32Array(count);
  const mu = new Float64Array(count);
  const eligible = new Uint8Array(count);
  const geo: PassGeometry = { parity, count, index, pred, mu, eligible };
  for (let j = 0; j < count; j++) geometryAt(index, pred, mu, eligible, j, data, cols, loW, hiW);
  return geo;
}

/** (Re)computes position j of a pass from the current values; used for incremental updates. */
export function updateGeometryAt(
  geo: PassGeometry,
  j: number,
  data: Int32Array,
  cols: number,
  loW: number,
  hiW: number,
): void {
  geometryAt(geo.index, geo.pred, geo.mu, geo.eligible, j, data, cols, loW, hiW);
}

// Typed arrays as arguments keep this hot function monomorphic.
function geometryAt(
  index: Int32Array,
  pred: Int32Array,
  mu: Float64Array,
  eligible: Uint8Array,
  j: number,
  data: Int32Array,
  cols: number,
  loW: number,
  hiW: number,
): void {
  const C = cols;
  const C2 = 2 * cols;
  const i = index[j];
  const n = data[i - C];
  const s = data[i + C];
  const w = data[i - 1];
  const e = data[i + 1];
  const p = (n + s + w + e) >> 2;
  pred[j] = p;
  const a = data[i - C2 - 1];
  const b = data[i - C2 + 1];
  const c = data[i + C2 - 1];
  const d = data[i + C2 + 1];
  const f = data[i - C - 2];
  const g = data[i - C + 2];
  const h = data[i + C - 2];
  const k = data[i + C + 2];
  const sum = n + s + w + e + a + b + c + d + f + g + h + k;
  const sq =
    n * n + s * s + w * w + e * e + a * a + b * b + c * c + d * d + f * f + g * g + h * h + k * k;
  mu[j] = 12 * sq - sum * sum;
  const x = data[i];
  eligible[j] = loW + 2 < p && p < hiW - 2 && x >= loW && x <= hiW ? 1 : 0;
}

/** Offsets (row, column) of the 12 other-parity neighbours of the 5×5 window (§3.3). */
export const WINDOW_OFFSETS: ReadonlyArray<readonly [number, number]> = [
  [-1, 0],
  [1, 0],
  [0, -1],
  [0, 1],
  [-2, -1],
  [-2, 1],
  [2, -1],
  [2, 1],
  [-1, -2],
  [-1, 2],
  [1, -2],
  [1, 2],
];

/** κ of every position: the smallest rung whose threshold admits it; 256 if never processed. */
export function rungBuckets(geo: PassGeometry): Uint16Array {
  const out = new Uint16Array(geo.count);
  for (let j = 0; j < geo.count; j++) out[j] = geo.eligible[j] ? rungOf(geo.mu[j]) : 256;
  return out;
}
