// One pass of prediction-error histogram shifting (reversible-watermark.md §4): errors 0 and −1
// carry a bit, the others shift outwards by one, and pixels at the working range's edges are
// handled by in-image flags carried by the pass's last carriers, so no location map is needed.
import type { PassGeometry } from "./geometry.ts";

export interface PassStats {
  feasible: boolean;
  processed: number;
  carriers: number;
  flags: number;
  changed: number;
}

/** Bit for the j-th vote carrier of the pass, at raster index i. */
export type VoteBit = (j: number, i: number) => number;

/**
 * Marks the processed positions (`eligible` and `μ ≤ T`) of one pass: reads `src`, writes `dst`
 * (they may be the same array: a pass never reads its own positions' neighbours back).
 * Returns `feasible: false` and leaves `dst` partly written when the flags do not fit.
 */
export function embedPass(
  geo: PassGeometry,
  src: Int32Array,
  dst: Int32Array,
  T: number,
  loW: number,
  hiW: number,
  voteBit: VoteBit,
): PassStats {
  const carriers = new Int32Array(geo.count);
  const boundaryFlags: number[] = [];
  let nCarriers = 0;
  let processed = 0;
  let changed = 0;
  for (let j = 0; j < geo.count; j++) {
    if (!geo.eligible[j] || geo.mu[j] > T) continue;
    processed++;
    const i = geo.index[j];
    const x = src[i];
    if (x === loW || x === hiW) {
      boundaryFlags.push(0);
      dst[i] = x;
    } else if (x === loW + 1 || x === hiW - 1) {
      boundaryFlags.push(1);
      dst[i] = x === loW + 1 ? loW : hiW;
      changed++;
    } else {
      const e = x - geo.pred[j];
      if (e === 0 || e === -1) carriers[nCarriers++] = j;
      else {
        dst[i] = e > 0 ? x + 1 : x - 1;
        changed++;
      }
    }
  }
  const flags = boundaryFlags.length;
  if (nCarriers < flags) return { feasible: false, processed, carriers: nCarriers, flags, changed };
  const votes = nCarriers - flags;
  for (let n = 0; n < nCarriers; n++) {
    const j = carriers[n];
    const i = geo.index[j];
    const x = src[i];
    const b = n < votes ? voteBit(n, i) : boundaryFlags[n - votes];
    const y = x - geo.pred[j] === 0 ? x + b : x - b;
    dst[i] = y;
    if (b) changed++;
  }
  return { feasible: true, processed, carriers: nCarriers, flags, changed };
}

export interface UndoStats {
  processed: number;
  carriers: number;
  flags: number;
  /** Flags that could not be read because the pass had fewer carriers than boundary pixels. */
  missingFlags: number;
}

/** Receives the bit of the j-th vote carrier of the pass, at raster index i. */
export type VoteSink = (j: number, i: number, bit: number) => void;

/**
 * Inverse of `embedPass` (§4.3) on a plane whose geometry was computed from the marked values.
 * Writes restored values into `dst` (may be `src`) and reports vote bits to `onVote`.
 */
export function undoPass(
  geo: PassGeometry,
  src: Int32Array,
  dst: Int32Array,
  T: number,
  loW: number,
  hiW: number,
  onVote?: VoteSink,
): UndoStats {
  const carriers = new Int32Array(geo.count);
  const carrierBits = new Uint8Array(geo.count);
  const boundaries: number[] = [];
  let nCarriers = 0;
  let processed = 0;
  for (let j = 0; j < geo.count; j++) {
    if (!geo.eligible[j] || geo.mu[j] > T) continue;
    processed++;
    const i = geo.index[j];
    const y = src[i];
    const p = geo.pred[j];
    if (y === loW || y === hiW) {
      boundaries.push(j);
      dst[i] = y;
      continue;
    }
    const e = y - p;
    if (e === 0 || e === 1) {
      carrierBits[nCarriers] = e;
      carriers[nCarriers++] = j;
      dst[i] = p;
    } else if (e === -1 || e === -2) {
      carrierBits[nCarriers] = -1 - e;
      carriers[nCarriers++] = j;
      dst[i] = p - 1;
    } else dst[i] = e > 0 ? y - 1 : y + 1;
  }
  const flags = boundaries.length;
  const votes = Math.max(0, nCarriers - flags);
  if (onVote) for (let n = 0; n < votes; n++) onVote(n, geo.index[carriers[n]], carrierBits[n]);
  for (let f = 0; f < flags; f++) {
    const n = votes + f;
    const flag = n < nCarriers ? carrierBits[n] : 0;
    const i = geo.index[boundaries[f]];
    const y = src[i];
    if (flag) dst[i] = y === loW ? loW + 1 : hiW - 1;
  }
  return { processed, carriers: nCarriers, flags, missingFlags: Math.max(0, flags - nCarriers) };
}
