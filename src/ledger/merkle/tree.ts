// Merkle tree hash, inclusion paths and consistency proofs (RFC 6962 §2.1, restated in
// RFC 9162 §2.1.1–2.1.4). The tree is reached only through `SubtreeHash`, so the same code runs
// over an in-memory array or over the stored complete subtrees of ledger.md §5.2.
import { EMPTY_ROOT, nodeHash } from "./hash.ts";

/** MTH(D[lo : lo + size]) for size ≥ 1. */
export type SubtreeHash = (lo: number, size: number) => Uint8Array;

/** Largest power of two strictly less than n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Works beyond 2^31, where bitwise operators would truncate. */
export function isPowerOfTwo(n: number): boolean {
  if (!Number.isInteger(n) || n < 1) return false;
  while (n % 2 === 0) n /= 2;
  return n === 1;
}

/** MTH over an array of leaf hashes, by the recursive definition. */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY_ROOT;
  return arraySubtree(leaves)(0, leaves.length);
}

export function arraySubtree(leaves: readonly Uint8Array[]): SubtreeHash {
  const mth = (lo: number, size: number): Uint8Array => {
    if (size === 1) return leaves[lo];
    const k = splitPoint(size);
    return nodeHash(mth(lo, k), mth(lo + k, size - k));
  };
  return mth;
}

/** Root of a tree of size n from a subtree source (EMPTY_ROOT for n = 0). */
export function rootOf(sub: SubtreeHash, n: number): Uint8Array {
  return n === 0 ? EMPTY_ROOT : sub(0, n);
}

/** PATH(m, D[0:n]) of RFC 6962 §2.1.1; requires 0 ≤ m < n. */
export function inclusionPath(sub: SubtreeHash, m: number, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const path = (m: number, lo: number, n: number): void => {
    if (n === 1) return;
    const k = splitPoint(n);
    if (m < k) {
      path(m, lo, k);
      out.push(sub(lo + k, n - k));
    } else {
      path(m - k, lo + k, n - k);
      out.push(sub(lo, k));
    }
  };
  path(m, 0, n);
  return out;
}

/** PROOF(m, D[0:n]) of RFC 6962 §2.1.2; requires 0 < m ≤ n (empty when m = n). */
export function consistencyProof(sub: SubtreeHash, m: number, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const subproof = (m: number, lo: number, n: number, b: boolean): void => {
    if (m === n) {
      if (!b) out.push(sub(lo, n));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      subproof(m, lo, k, b);
      out.push(sub(lo + k, n - k));
    } else {
      subproof(m - k, lo + k, n - k, false);
      out.push(sub(lo, k));
    }
  };
  subproof(m, 0, n, true);
  return out;
}
