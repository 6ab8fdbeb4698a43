// Stage 2 of blind decoding (reversible-watermark.md §8 step 5) made incremental. Undoing pass B
// at rung k changes only the pass-B positions admitted at k, and every such position keeps the
// same restored value at any rung (boundary flags aside). A walker therefore moves monotonically
// from rung to rung, updating just the pass-A positions whose 5×5 window saw a change, instead
// of recomputing the whole pass-A geometry for each of the 256 trials. Two walkers (one going
// down from k_est, one going up) follow the spec's zig-zag trial order exactly.
import { type PassGeometry, updateGeometryAt, WINDOW_OFFSETS } from "./geometry.ts";
import { slotOf, whiteningOf } from "./keystream.ts";
import { RUNGS, rungOf } from "./ladder.ts";
import type { Plane } from "./plane.ts";
import type { Tally } from "./votes.ts";

/** Pass-B positions that undoing can change, in raster order, with what undoing writes. */
export interface PassBUndo {
  count: number;
  index: Int32Array;
  kappa: Uint16Array;
  /** Restored value, for positions that are not boundary pixels. */
  restored: Int32Array;
  boundary: Uint8Array;
  /** For carriers: 1 and the bit; used to read the flags at each rung. */
  carrier: Uint8Array;
  bit: Uint8Array;
}

export function passBUndo(geoB: PassGeometry, kappaB: Uint16Array, plane: Plane): PassBUndo {
  const { loW, hiW, data } = plane;
  const n = geoB.count;
  const out: PassBUndo = {
    count: 0,
    index: new Int32Array(n),
    kappa: new Uint16Array(n),
    restored: new Int32Array(n),
    boundary: new Uint8Array(n),
    carrier: new Uint8Array(n),
    bit: new Uint8Array(n),
  };
  for (let j = 0; j < n; j++) {
    if (kappaB[j] >= RUNGS) continue;
    const i = geoB.index[j];
    const y = data[i];
    const p = geoB.pred[j];
    const e = y - p;
    const m = out.count++;
    out.index[m] = i;
    out.kappa[m] = kappaB[j];
    if (y === loW || y === hiW) {
      out.boundary[m] = 1;
      out.restored[m] = y;
    } else if (e === 0 || e === 1) {
      out.carrier[m] = 1;
      out.bit[m] = e;
      out.restored[m] = p;
    } else if (e === -1 || e === -2) {
      out.carrier[m] = 1;
      out.bit[m] = -1 - e;
      out.restored[m] = p - 1;
    } else out.restored[m] = e > 0 ? y - 1 : y + 1;
  }
  return out;
}

/** Entries of `undo` grouped by rung bucket, for monotone walks. */
function byRung(undo: PassBUndo): { start: Int32Array; order: Int32Array } {
  const start = new Int32Array(RUNGS + 1);
  for (let m = 0; m < undo.count; m++) start[undo.kappa[m] + 1]++;
  for (let k = 0; k < RUNGS; k++) start[k + 1] += start[k];
  const fill = start.slice(0, RUNGS);
  const order = new Int32Array(undo.count);
  for (let m = 0; m < undo.count; m++) order[fill[undo.kappa[m]]++] = m;
  return { start, order };
}

export class Stage2Walker {
  private rung = -1;
  private readonly cur: Int32Array;
  private readonly geoA: PassGeometry;
  private readonly dirty: Uint8Array;
  private readonly dirtyList: Int32Array;
  private nDirty = 0;
  private readonly scratch: Int32Array;
  /** Per pass-A position: 0 not a vote or flag, 1 boundary pixel, 2 + bit for a carrier. */
  private readonly cls: Uint8Array;
  /** Per pass-A position: its rung bucket κ (valid where cls ≠ 0). */
  private readonly kap: Uint16Array;
  /** Entries of `undo` that are boundary pixels, in raster order. */
  private readonly boundaries: number[] = [];

  constructor(
    private readonly plane: Plane,
    private readonly undo: PassBUndo,
    private readonly groups: { start: Int32Array; order: Int32Array },
    private readonly aIndexOf: Int32Array,
    geoA: PassGeometry,
    cur: Int32Array,
    rung: number,
  ) {
    this.geoA = geoA;
    this.cur = cur;
    this.rung = rung;
    this.dirty = new Uint8Array(geoA.count);
    this.dirtyList = new Int32Array(geoA.count);
    this.scratch = new Int32Array(geoA.count);
    this.cls = new Uint8Array(geoA.count);
    this.kap = new Uint16Array(geoA.count);
    for (let j = 0; j < geoA.count; j++) this.classify(j);
    for (let m = 0; m < undo.count; m++) if (undo.boundary[m]) this.boundaries.push(m);
  }

  /** What position j of pass A would contribute when admitted (§4.3): a flag, a vote bit, or nothing. */
  private classify(j: number): void {
    const { eligible, index, pred, mu } = this.geoA;
    const { loW, hiW } = this.plane;
    if (eligible[j] === 0) {
      this.cls[j] = 0;
      return;
    }
    const y = this.cur[index[j]];
    const e = y - pred[j];
    if (y === loW || y === hiW) this.cls[j] = 1;
    else if (e >= -2 && e <= 1) this.cls[j] = 2 + (e >= 0 ? e : -1 - e);
    else {
      this.cls[j] = 0;
      return;
    }
    this.kap[j] = rungOf(mu[j]);
  }

  static create(
    plane: Plane,
    undo: PassBUndo,
    geoAOnMarked: PassGeometry,
    startRung: number,
  ): [Stage2Walker, Stage2Walker] {
    const groups = byRung(undo);
    const aIndexOf = new Int32Array(plane.rows * plane.cols).fill(-1);
    for (let j = 0; j < geoAOnMarked.count; j++) aIndexOf[geoAOnMarked.index[j]] = j;
    const cloneGeo = (g: PassGeometry): PassGeometry => ({
      ...g,
      pred: g.pred.slice(),
      mu: g.mu.slice(),
      eligible: g.eligible.slice(),
    });
    const down = new Stage2Walker(
      plane,
      undo,
      groups,
      aIndexOf,
      cloneGeo(geoAOnMarked),
      plane.data.slice(),
      -1,
    );
    const up = new Stage2Walker(
      plane,
      undo,
      groups,
      aIndexOf,
      geoAOnMarked,
      plane.data.slice(),
      -1,
    );
    down.moveTo(startRung);
    up.moveTo(startRung);
    return [down, up];
  }

  /** Moves the B-restored plane to rung k (flags excluded), monotonically. */
  moveTo(k: number): void {
    const { start, order } = this.groups;
    const { undo, plane } = this;
    const from = this.rung;
    const [lo, hi, restoring] = k > from ? [from + 1, k, true] : [k + 1, from, false];
    for (let m = start[Math.max(lo, 0)]; m < start[Math.min(hi, RUNGS - 1) + 1]; m++) {
      const e = order[m];
      if (undo.boundary[e]) continue;
      const i = undo.index[e];
      const v = restoring ? undo.restored[e] : plane.data[i];
      if (this.cur[i] !== v) this.setValue(i, v);
    }
    this.rung = k;
  }

  /** Adds the pass-A votes at rung k, after applying pass B's flags at k (§9 step 1). */
  addTally(k: number, ks: Uint32Array, L: number, into: Tally): void {
    if (k !== this.rung) this.moveTo(k);
    this.applyFlags(k);
    this.flush();
    this.tallyPassA(k, ks, L, into);
  }

  private applyFlags(k: number): void {
    const { undo, plane, boundaries } = this;
    if (boundaries.length === 0) return;
    let admitted = 0;
    for (const m of boundaries) if (undo.kappa[m] <= k) admitted++;
    // The flags are the bits of the last F carriers admitted at k.
    const flags = new Uint8Array(admitted);
    let f = admitted - 1;
    for (let m = undo.count - 1; m >= 0 && f >= 0; m--) {
      if (undo.carrier[m] && undo.kappa[m] <= k) flags[f--] = undo.bit[m];
    }
    let b = 0;
    for (const m of boundaries) {
      const i = undo.index[m];
      const y = plane.data[i];
      let v = y;
      if (undo.kappa[m] <= k && flags[b++]) v = y === plane.loW ? plane.loW + 1 : plane.hiW - 1;
      if (this.cur[i] !== v) this.setValue(i, v);
    }
  }

  private setValue(i: number, v: number): void {
    this.cur[i] = v;
    const C = this.plane.cols;
    for (const [dr, dc] of WINDOW_OFFSETS) {
      const j = this.aIndexOf[i + dr * C + dc];
      if (j >= 0 && !this.dirty[j]) {
        this.dirty[j] = 1;
        this.dirtyList[this.nDirty++] = j;
      }
    }
  }

  private flush(): void {
    const { plane } = this;
    for (let d = 0; d < this.nDirty; d++) {
      const j = this.dirtyList[d];
      updateGeometryAt(this.geoA, j, this.cur, plane.cols, plane.loW, plane.hiW);
      this.classify(j);
      this.dirty[j] = 0;
    }
    this.nDirty = 0;
  }

  private tallyPassA(k: number, ks: Uint32Array, L: number, into: Tally): void {
    const { cls, kap, scratch } = this;
    const { index, count } = this.geoA;
    let flags = 0;
    let carriers = 0;
    for (let j = 0; j < count; j++) {
      const c = cls[j];
      if (c === 0 || kap[j] > k) continue;
      if (c === 1) flags++;
      else scratch[carriers++] = j;
    }
    const { ones, total } = into;
    for (let n = 0; n < carriers - flags; n++) {
      const j = scratch[n];
      const v = ks[index[j]];
      const slot = slotOf(v, L);
      total[slot]++;
      ones[slot] += (cls[j] - 2) ^ whiteningOf(v);
    }
  }
}
