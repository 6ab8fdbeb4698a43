// Embedding (reversible-watermark.md §7): per plane, try P1-strict, P1-degraded, P2-strict,
// P2-degraded; for each, a deterministic search of the lowest rung k* whose real codeword meets
// the rule. Then the plane policy and a self-check by blind decoding and exact restoration.
import { randomBytes } from "node:crypto";
import { decode } from "./decode.ts";
import { WatermarkError } from "./errors.ts";
import { computeGeometry, type PassGeometry, rungBuckets } from "./geometry.ts";
import { keystream, slotOf, whiteningOf } from "./keystream.ts";
import { LADDER, RUNGS } from "./ladder.ts";
import { embedPass } from "./modulation.ts";
import { buildCodewordBits, P1, P2, type Profile } from "./payload.ts";
import type { Plane } from "./plane.ts";
import { emptyTally, type Rule, ruleHolds, type VoteStats, voteStats } from "./votes.ts";

export interface WmKeys {
  epoch: number;
  /** K_pos(ε): positions and whitening. */
  pos: Uint8Array;
  /** K_mac(ε): payload tag. */
  mac: Uint8Array;
}

export interface EmbedOptions {
  allowCompactProfile?: boolean;
  planePolicy?: "all" | "any";
  selfCheck?: boolean;
  checkExistingMark?: boolean;
  /** Tests only: embed at exactly this rung (no search). */
  forceRung?: number;
  /** Tests only: use exactly this profile. */
  forceProfile?: "P1" | "P2";
}

export interface PlaneEmbedStats extends VoteStats {
  plane: number;
  marked: boolean;
  profile?: "P1" | "P2";
  rule?: Rule;
  rung?: number;
  processed: number;
  carriers: number;
  voteCarriers: number;
  flags: number;
  changed: number;
  /** Largest vote-carrier count reached by any try, for WM_CAPACITY messages. */
  bestVoteCarriers: number;
}

export interface EmbedResult {
  token: Uint8Array;
  epoch: number;
  planes: Plane[];
  stats: PlaneEmbedStats[];
  markedPlanes: number[];
}

export const TOKEN_BYTES = P1.tokenBytes;

interface Evaluation {
  data: Int32Array;
  stats: VoteStats;
  processed: number;
  carriers: number;
  voteCarriers: number;
  flags: number;
  changed: number;
  feasible: boolean;
}

/** The pass-A geometry and keystream of one plane, computed once per embed (§7 steps 2–3). */
interface PlaneContext {
  plane: Plane;
  keys: WmKeys;
  token: Uint8Array;
  ks: Uint32Array;
  geoA: PassGeometry;
  kappaA: Uint16Array;
}

function evaluate(ctx: PlaneContext, profile: Profile, rung: number): Evaluation {
  const { plane, keys, ks, geoA } = ctx;
  const { rows, cols, loW, hiW } = plane;
  const token = ctx.token.subarray(0, profile.tokenBytes);
  const bits = buildCodewordBits(profile, keys.mac, rung, token, rows, cols);
  const T = LADDER[rung];
  const L = profile.L;
  const tally = emptyTally(L);
  const voteBit = (_j: number, i: number) => {
    const v = ks[i];
    const slot = slotOf(v, L);
    tally.total[slot]++;
    return bits[slot] ^ whiteningOf(v);
  };
  const data = Int32Array.from(plane.data);
  const a = embedPass(geoA, plane.data, data, T, loW, hiW, voteBit);
  const result = (feasible: boolean, b?: typeof a): Evaluation => ({
    data,
    stats: voteStats(tally.total),
    processed: a.processed + (b?.processed ?? 0),
    carriers: a.carriers + (b?.carriers ?? 0),
    voteCarriers: a.carriers - a.flags + (b ? b.carriers - b.flags : 0),
    flags: a.flags + (b?.flags ?? 0),
    changed: a.changed + (b?.changed ?? 0),
    feasible,
  });
  if (!a.feasible) return result(false);
  const geoB = computeGeometry(data, rows, cols, 1, loW, hiW);
  const b = embedPass(geoB, data, data, T, loW, hiW, voteBit);
  return result(b.feasible, b);
}

/** a_k: pass-A vote carriers (carriers − boundary pixels) admitted at rung k (§7 step 6.1). */
function passAVoteCapacity(ctx: PlaneContext): Int32Array {
  const { geoA, kappaA, plane } = ctx;
  const { loW, hiW } = plane;
  const delta = new Int32Array(RUNGS);
  for (let j = 0; j < geoA.count; j++) {
    const k = kappaA[j];
    if (k >= RUNGS) continue;
    const x = plane.data[geoA.index[j]];
    if (x <= loW + 1 || x >= hiW - 1) delta[k]--;
    else {
      const e = x - geoA.pred[j];
      if (e === 0 || e === -1) delta[k]++;
    }
  }
  for (let k = 1; k < RUNGS; k++) delta[k] += delta[k - 1];
  return delta;
}

function holds(ev: Evaluation, profile: Profile, rule: Rule): boolean {
  return ev.feasible && ruleHolds(profile, rule, ev.stats);
}

/** Deterministic search of k* (§7 step 6). */
function searchRung(ctx: PlaneContext, profile: Profile, rule: Rule, capacity: Int32Array) {
  const need = rule === "strict" ? 8 * profile.L : 3 * profile.L;
  let k0 = capacity.findIndex((a) => 2 * a >= need);
  if (k0 < 0) k0 = RUNGS - 1;
  let best = 0;
  const tryRung = (k: number) => {
    const ev = evaluate(ctx, profile, k);
    best = Math.max(best, ev.voteCarriers);
    return holds(ev, profile, rule) ? ev : null;
  };
  let found = tryRung(k0);
  let rung = k0;
  if (found) {
    while (rung > 0) {
      const lower = tryRung(rung - 1);
      if (!lower) break;
      found = lower;
      rung--;
    }
    return { rung, ev: found, best };
  }
  for (rung = k0 + 1; rung < RUNGS; rung++) {
    found = tryRung(rung);
    if (found) return { rung, ev: found, best };
  }
  return { rung: -1, ev: null, best };
}

function profilesFor(token: Uint8Array, opts: EmbedOptions): Profile[] {
  if (opts.forceProfile) return [opts.forceProfile === "P1" ? P1 : P2];
  const allowP2 = opts.allowCompactProfile ?? true;
  const out: Profile[] = [];
  if (token.length >= P1.tokenBytes) out.push(P1);
  if (allowP2) out.push(P2);
  return out;
}

function markPlane(
  ctx: PlaneContext,
  index: number,
  opts: EmbedOptions,
): { data: Int32Array; stats: PlaneEmbedStats } {
  const capacity = passAVoteCapacity(ctx);
  let bestVoteCarriers = 0;
  for (const profile of profilesFor(ctx.token, opts)) {
    if (opts.forceRung !== undefined) {
      const ev = evaluate(ctx, profile, opts.forceRung);
      bestVoteCarriers = Math.max(bestVoteCarriers, ev.voteCarriers);
      if (ev.feasible)
        return {
          data: ev.data,
          stats: planeStats(index, ev, profile, "degraded", opts.forceRung, bestVoteCarriers),
        };
      continue;
    }
    for (const rule of ["strict", "degraded"] as const) {
      const { rung, ev, best } = searchRung(ctx, profile, rule, capacity);
      bestVoteCarriers = Math.max(bestVoteCarriers, best);
      if (ev)
        return {
          data: ev.data,
          stats: planeStats(index, ev, profile, rule, rung, bestVoteCarriers),
        };
    }
  }
  return {
    data: ctx.plane.data,
    stats: {
      plane: index,
      marked: false,
      processed: 0,
      carriers: 0,
      voteCarriers: 0,
      flags: 0,
      changed: 0,
      bestVoteCarriers,
      minVotes: 0,
      meanVotes: 0,
      weakBytes: 0,
      erasedBytes: 0,
    },
  };
}

function planeStats(
  plane: number,
  ev: Evaluation,
  profile: Profile,
  rule: Rule,
  rung: number,
  bestVoteCarriers: number,
): PlaneEmbedStats {
  return {
    plane,
    marked: true,
    profile: profile.name,
    rule,
    rung,
    processed: ev.processed,
    carriers: ev.carriers,
    voteCarriers: ev.voteCarriers,
    flags: ev.flags,
    changed: ev.changed,
    bestVoteCarriers,
    ...ev.stats,
  };
}

function checkToken(token: Uint8Array | null): Uint8Array {
  if (token === null) return new Uint8Array(randomBytes(TOKEN_BYTES));
  if (token.length !== P1.tokenBytes && token.length !== P2.tokenBytes) {
    throw new WatermarkError(
      "WM_BAD_ARGUMENT",
      `token must be ${P1.tokenBytes} bytes (or ${P2.tokenBytes} for the compact profile), got ${token.length}`,
    );
  }
  return Uint8Array.from(token);
}

/**
 * Embeds one token in every plane (§7). A P2 plane carries the first 8 bytes of a 16-byte token.
 * Throws WM_CAPACITY (policy "all"), WM_ALREADY_MARKED or WM_SELF_CHECK_FAILED.
 */
export function embed(
  planes: Plane[],
  token: Uint8Array | null,
  keys: WmKeys,
  opts: EmbedOptions = {},
): EmbedResult {
  const tok = checkToken(token);
  if (planes.length === 0) throw new WatermarkError("WM_BAD_ARGUMENT", "no planes to mark");
  if (opts.checkExistingMark ?? true) {
    const existing = decode(planes, [keys]);
    if (existing.found) {
      throw new WatermarkError(
        "WM_ALREADY_MARKED",
        "the image already carries a valid medtrace mark; mark the original instead",
      );
    }
  }
  const outPlanes: Plane[] = [];
  const stats: PlaneEmbedStats[] = [];
  planes.forEach((plane, index) => {
    const ks = keystream(keys.pos, plane.rows, plane.cols);
    const geoA = computeGeometry(plane.data, plane.rows, plane.cols, 0, plane.loW, plane.hiW);
    const ctx: PlaneContext = { plane, keys, token: tok, ks, geoA, kappaA: rungBuckets(geoA) };
    const marked = markPlane(ctx, index, opts);
    outPlanes.push({ ...plane, data: marked.data });
    stats.push(marked.stats);
  });
  const markedPlanes = stats.filter((s) => s.marked).map((s) => s.plane);
  const unmarked = stats.filter((s) => !s.marked);
  if (unmarked.length > 0 && ((opts.planePolicy ?? "all") === "all" || markedPlanes.length === 0)) {
    const list = unmarked
      .map((s) => `plane ${s.plane}: ${s.bestVoteCarriers} vote carriers at best`)
      .join("; ");
    const profile = opts.allowCompactProfile === false ? P1 : P2;
    const needed = 3 * profile.L;
    throw new WatermarkError(
      "WM_CAPACITY",
      `image too small or too flat to carry a mark (${list}): no threshold spreads the votes over the ${profile.L}-bit codeword well enough (at least ${needed} carriers, and at most ${profile.degraded.maxErasedBytes} codeword bytes without a vote). Larger or less uniform images can be marked.`,
      {
        planes: unmarked.map((s) => ({ plane: s.plane, bestVoteCarriers: s.bestVoteCarriers })),
        needed,
      },
    );
  }
  const result: EmbedResult = {
    token: tok,
    epoch: keys.epoch,
    planes: outPlanes,
    stats,
    markedPlanes,
  };
  if (opts.selfCheck ?? true) selfCheck(planes, result, keys);
  return result;
}

function selfCheck(original: Plane[], result: EmbedResult, keys: WmKeys): void {
  const check = decode(result.planes, [keys], { restore: true });
  for (const index of result.markedPlanes) {
    const p = check.planes[index];
    const expected = result.token.subarray(0, p.token?.length ?? 0);
    const restored = check.restoredPlanes?.[index]?.data;
    const tokenOk =
      p.found && p.token !== undefined && Buffer.from(p.token).equals(Buffer.from(expected));
    const exact =
      restored !== undefined &&
      Buffer.from(restored.buffer, restored.byteOffset, restored.byteLength).equals(
        Buffer.from(
          original[index].data.buffer,
          original[index].data.byteOffset,
          original[index].data.byteLength,
        ),
      );
    if (!tokenOk || !exact) {
      throw new WatermarkError(
        "WM_SELF_CHECK_FAILED",
        `plane ${index}: the marked copy did not ${tokenOk ? "restore exactly" : "decode"}; not shipping it`,
      );
    }
  }
}
