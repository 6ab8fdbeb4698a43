// Blind decoding and restoration (reversible-watermark.md §8, §9). One pass over the suspect's
// pass-B geometry serves every trial rung (stage 1); stage 2 adds pass A by undoing pass B first.
// Never throws on pixel content: unmarked or tampered planes give `found: false`.
import type { WmKeys } from "./embed.ts";
import { computeGeometry, type PassGeometry, rungBuckets } from "./geometry.ts";
import { keystream, slotOf, whiteningOf } from "./keystream.ts";
import { LADDER, RUNGS } from "./ladder.ts";
import { undoPass } from "./modulation.ts";
import {
  buildCodewordBits,
  P1,
  P2,
  type Profile,
  type VerifiedPayload,
  verifyVotes,
} from "./payload.ts";
import type { Plane } from "./plane.ts";
import { type PassBUndo, passBUndo, Stage2Walker } from "./stage2.ts";
import { emptyTally, type Tally, TallyMemo, voteStats } from "./votes.ts";

export interface PlaneDecode {
  plane: number;
  found: boolean;
  token?: Uint8Array;
  epoch?: number;
  profile?: "P1" | "P2";
  /** k* read from the payload. */
  rung?: number;
  /** The trial rung at which the payload verified. */
  trialRung?: number;
  stage?: 1 | 2;
  erasures?: number;
  correctedBytes?: number;
  minVotes?: number;
  meanVotes?: number;
  /** Votes that disagree with the verified codeword: a tamper indicator. */
  disagreeingVotes?: number;
}

export interface DecodeResult {
  found: boolean;
  /** The (longest) token found; P2 planes carry its first 8 bytes. */
  token?: Uint8Array;
  /** Marked planes that verify with tokens that are not prefixes of one another (splicing). */
  mixedTokens: boolean;
  planes: PlaneDecode[];
  /** With `restore: true`: the restored planes (unmarked planes are returned unchanged). */
  restoredPlanes?: Plane[];
}

/** Boundary and carrier positions of a pass, as read from marked values (§4.3). */
interface PassReading {
  count: number;
  kappa: Uint16Array;
  isCarrier: Uint8Array;
  bit: Uint8Array;
  index: Int32Array;
}

function readPass(
  geo: PassGeometry,
  kappaAll: Uint16Array,
  data: Int32Array,
  loW: number,
  hiW: number,
): PassReading {
  const kappa = new Uint16Array(geo.count);
  const isCarrier = new Uint8Array(geo.count);
  const bit = new Uint8Array(geo.count);
  const index = new Int32Array(geo.count);
  let n = 0;
  for (let j = 0; j < geo.count; j++) {
    if (kappaAll[j] >= RUNGS) continue;
    const y = data[geo.index[j]];
    const e = y - geo.pred[j];
    const boundary = y === loW || y === hiW;
    if (!boundary && (e < -2 || e > 1)) continue;
    kappa[n] = kappaAll[j];
    isCarrier[n] = boundary ? 0 : 1;
    bit[n] = boundary ? 0 : e >= 0 ? e : -1 - e;
    index[n] = geo.index[j];
    n++;
  }
  return { count: n, kappa, isCarrier, bit, index };
}

/** Votes of one pass at rung k: the carriers admitted at k, less the last F (the flags). */
function tallyPass(
  reading: PassReading,
  k: number,
  ks: Uint32Array,
  L: number,
  tally: Tally,
): Tally {
  let flags = 0;
  let carriers = 0;
  for (let n = 0; n < reading.count; n++) {
    if (reading.kappa[n] > k) continue;
    if (reading.isCarrier[n]) carriers++;
    else flags++;
  }
  tally.ones.fill(0);
  tally.total.fill(0);
  let votes = carriers - flags;
  for (let n = 0; n < reading.count && votes > 0; n++) {
    if (reading.kappa[n] > k || !reading.isCarrier[n]) continue;
    const v = ks[reading.index[n]];
    const slot = slotOf(v, L);
    tally.total[slot]++;
    tally.ones[slot] += reading.bit[n] ^ whiteningOf(v);
    votes--;
  }
  return tally;
}

/** k_est, k_est − 1, k_est + 1, … over [0, 255] (§8 step 3). */
export function trialOrder(kEst: number): number[] {
  const order = [kEst];
  for (let d = 1; order.length < RUNGS; d++) {
    if (kEst - d >= 0) order.push(kEst - d);
    if (kEst + d < RUNGS) order.push(kEst + d);
  }
  return order;
}

function estimateRung(reading: PassReading, L: number): number {
  const hist = new Int32Array(RUNGS);
  for (let n = 0; n < reading.count; n++) if (reading.isCarrier[n]) hist[reading.kappa[n]]++;
  let sum = 0;
  for (let k = 0; k < RUNGS; k++) {
    sum += hist[k];
    if (sum >= 4 * L) return k;
  }
  return RUNGS - 1;
}

interface Hit {
  payload: VerifiedPayload;
  tally: Tally;
  trialRung: number;
  stage: 1 | 2;
}

function undoPassB(plane: Plane, geoB: PassGeometry, T: number): Int32Array {
  const out = Int32Array.from(plane.data);
  undoPass(geoB, plane.data, out, T, plane.loW, plane.hiW);
  return out;
}

/** What a plane's decoding computes once and shares between epochs and profiles. */
interface DecodeContext {
  reading: PassReading;
  undo: PassBUndo;
}

function tryProfile(plane: Plane, ctx: DecodeContext, keys: WmKeys, profile: Profile): Hit | null {
  const { rows, cols } = plane;
  const { reading } = ctx;
  const L = profile.L;
  const ks = keystream(keys.pos, rows, cols);
  const order = trialOrder(estimateRung(reading, L));
  const memo = new TallyMemo();
  const tally = emptyTally(L);
  const found = (k: number, stage: 1 | 2): Hit | null => {
    if (memo.seen(tally)) return null;
    const payload = verifyVotes(profile, keys.mac, tally.ones, tally.total, rows, cols);
    return payload ? { payload, tally, trialRung: k, stage } : null;
  };
  for (const k of order) {
    tallyPass(reading, k, ks, L, tally);
    const hit = found(k, 1);
    if (hit) return hit;
  }
  const [down, up] = Stage2Walker.create(
    plane,
    ctx.undo,
    computeGeometry(plane.data, rows, cols, 0, plane.loW, plane.hiW),
    order[0],
  );
  for (const k of order) {
    tallyPass(reading, k, ks, L, tally);
    (k <= order[0] ? down : up).addTally(k, ks, L, tally);
    const hit = found(k, 2);
    if (hit) return hit;
  }
  return null;
}

function disagreeing(hit: Hit, profile: Profile, keys: WmKeys, plane: Plane): number {
  const bits = buildCodewordBits(
    profile,
    keys.mac,
    hit.payload.rung,
    hit.payload.token,
    plane.rows,
    plane.cols,
  );
  let n = 0;
  for (let s = 0; s < profile.L; s++)
    n += bits[s] ? hit.tally.total[s] - hit.tally.ones[s] : hit.tally.ones[s];
  return n;
}

/** Restores one plane from its verified k* (§9): undo pass B, then pass A. */
export function restorePlane(plane: Plane, rung: number): Plane {
  const T = LADDER[rung];
  const geoB = computeGeometry(plane.data, plane.rows, plane.cols, 1, plane.loW, plane.hiW);
  const out = undoPassB(plane, geoB, T);
  const geoA = computeGeometry(out, plane.rows, plane.cols, 0, plane.loW, plane.hiW);
  undoPass(geoA, out, out, T, plane.loW, plane.hiW);
  return { ...plane, data: out };
}

function decodePlane(plane: Plane, index: number, keys: WmKeys[]): PlaneDecode {
  const geoB = computeGeometry(plane.data, plane.rows, plane.cols, 1, plane.loW, plane.hiW);
  const kappaB = rungBuckets(geoB);
  const ctx: DecodeContext = {
    reading: readPass(geoB, kappaB, plane.data, plane.loW, plane.hiW),
    undo: passBUndo(geoB, kappaB, plane),
  };
  const epochs = [...keys].sort((a, b) => b.epoch - a.epoch);
  for (const key of epochs) {
    for (const profile of [P1, P2]) {
      const hit = tryProfile(plane, ctx, key, profile);
      if (!hit) continue;
      const stats = voteStats(hit.tally.total);
      return {
        plane: index,
        found: true,
        token: hit.payload.token,
        epoch: key.epoch,
        profile: profile.name,
        rung: hit.payload.rung,
        trialRung: hit.trialRung,
        stage: hit.stage,
        erasures: hit.payload.erasures,
        correctedBytes: hit.payload.corrected,
        minVotes: stats.minVotes,
        meanVotes: stats.meanVotes,
        disagreeingVotes: disagreeing(hit, profile, key, plane),
      };
    }
  }
  return { plane: index, found: false };
}

function isPrefix(short: Uint8Array, long: Uint8Array): boolean {
  return Buffer.from(long.subarray(0, short.length)).equals(Buffer.from(short));
}

export function decode(
  planes: Plane[],
  keys: WmKeys[],
  opts: { restore?: boolean } = {},
): DecodeResult {
  const results = planes.map((plane, index) => decodePlane(plane, index, keys));
  const tokens = results.filter((r) => r.found).map((r) => r.token as Uint8Array);
  const token = tokens.reduce<Uint8Array | undefined>(
    (best, t) => (!best || t.length > best.length ? t : best),
    undefined,
  );
  const mixedTokens = token !== undefined && tokens.some((t) => !isPrefix(t, token));
  const out: DecodeResult = { found: tokens.length > 0, mixedTokens, planes: results };
  if (token) out.token = token;
  if (opts.restore) {
    out.restoredPlanes = planes.map((plane, i) => {
      const rung = results[i].rung;
      return rung === undefined ? plane : restorePlane(plane, rung);
    });
  }
  return out;
}

/** Decodes and restores; the caller compares the restored pixel hash with the ledger's. */
export function restore(planes: Plane[], keys: WmKeys[]): DecodeResult {
  return decode(planes, keys, { restore: true });
}
