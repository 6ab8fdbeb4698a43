// Vote tallies per codeword slot (reversible-watermark.md §6.4) and the acceptance rules of §7.
import type { Profile } from "./payload.ts";

export interface Tally {
  ones: Uint32Array;
  total: Uint32Array;
}

export function emptyTally(L: number): Tally {
  return { ones: new Uint32Array(L), total: new Uint32Array(L) };
}

export function addTally(into: Tally, from: Tally): Tally {
  for (let s = 0; s < into.total.length; s++) {
    into.ones[s] += from.ones[s];
    into.total[s] += from.total[s];
  }
  return into;
}

export function copyTally(t: Tally): Tally {
  return { ones: Uint32Array.from(t.ones), total: Uint32Array.from(t.total) };
}

export interface VoteStats {
  minVotes: number;
  meanVotes: number;
  /** Bytes holding a slot with fewer than 3 votes. */
  weakBytes: number;
  /** Bytes holding a slot with no vote. */
  erasedBytes: number;
}

export function voteStats(total: Uint32Array): VoteStats {
  let min = Number.POSITIVE_INFINITY;
  let sum = 0;
  let weakBytes = 0;
  let erasedBytes = 0;
  for (let byte = 0; byte < total.length / 8; byte++) {
    let weak = false;
    let erased = false;
    for (let b = 0; b < 8; b++) {
      const v = total[byte * 8 + b];
      min = Math.min(min, v);
      sum += v;
      if (v < 3) weak = true;
      if (v === 0) erased = true;
    }
    if (weak) weakBytes++;
    if (erased) erasedBytes++;
  }
  return { minVotes: min, meanVotes: sum / total.length, weakBytes, erasedBytes };
}

export type Rule = "strict" | "degraded";

export function ruleHolds(profile: Profile, rule: Rule, stats: VoteStats): boolean {
  if (rule === "strict")
    return stats.minVotes >= 1 && stats.weakBytes <= profile.strict.maxWeakBytes;
  return stats.erasedBytes <= profile.degraded.maxErasedBytes;
}

/**
 * Remembers tallies already tried. Neighbouring trial rungs often admit exactly the same
 * carriers (always on small planes), and RS decoding dominates the cost of such a trial.
 */
export class TallyMemo {
  private readonly seenTallies = new Map<number, Tally[]>();

  /** True if an identical tally was offered before; records it otherwise. */
  seen(t: Tally): boolean {
    let h = 0;
    for (let s = 0; s < t.total.length; s++)
      h = (Math.imul(h, 31) + t.total[s] * 65599 + t.ones[s]) | 0;
    const bucket = this.seenTallies.get(h);
    if (bucket?.some((o) => equalArrays(o.ones, t.ones) && equalArrays(o.total, t.total)))
      return true;
    if (bucket) bucket.push(copyTally(t));
    else this.seenTallies.set(h, [copyTally(t)]);
    return false;
  }
}

function equalArrays(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
