// Proof verification exactly as RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency),
// restated in ledger.md §5.3–5.4. Sizes may exceed 2^31, so halving uses arithmetic, not `>>`.
import { LedgerError } from "../errors.ts";
import { equalBytes, HASH_SIZE, nodeHash } from "./hash.ts";
import { isPowerOfTwo } from "./tree.ts";

const half = (x: number): number => Math.floor(x / 2);
const odd = (x: number): boolean => x % 2 === 1;

function checkSize(name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw invalid(`${name} is not a valid size`);
}

function checkHashes(proof: readonly Uint8Array[]): void {
  for (const h of proof) if (h.length !== HASH_SIZE) throw invalid("proof hash is not 32 bytes");
}

function invalid(why: string): LedgerError {
  return new LedgerError("PROOF_INVALID", why);
}

/** Root implied by an inclusion proof; throws PROOF_INVALID if the path has the wrong shape. */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array {
  checkSize("index", index);
  checkSize("tree size", size);
  checkHashes(proof);
  if (leaf.length !== HASH_SIZE) throw invalid("leaf hash is not 32 bytes");
  if (index >= size) throw invalid(`index ${index} is not below tree size ${size}`);
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const c of proof) {
    if (sn === 0) throw invalid("inclusion proof is too long");
    if (odd(fn) || fn === sn) {
      r = nodeHash(c, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw invalid("inclusion proof is too short");
  return r;
}

export function verifyInclusion(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  const r = rootFromInclusionProof(index, size, leaf, proof);
  if (!equalBytes(r, root)) throw invalid("inclusion proof does not lead to the root");
}

export function verifyConsistency(
  size1: number,
  size2: number,
  root1: Uint8Array,
  root2: Uint8Array,
  proof: readonly Uint8Array[],
): void {
  checkSize("first size", size1);
  checkSize("second size", size2);
  checkHashes(proof);
  if (size1 > size2) throw invalid("first size exceeds second size");
  if (size1 === size2) {
    if (proof.length !== 0) throw invalid("proof between equal sizes must be empty");
    if (!equalBytes(root1, root2)) throw invalid("roots of equal sizes differ");
    return;
  }
  if (size1 === 0) {
    if (proof.length !== 0) throw invalid("proof from the empty tree must be empty");
    return;
  }
  if (proof.length === 0) throw invalid("consistency proof is empty");
  const p = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = p[0];
  let sr = p[0];
  for (const c of p.slice(1)) {
    if (sn === 0) throw invalid("consistency proof is too long");
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw invalid("consistency proof is too short");
  if (!equalBytes(fr, root1)) throw invalid("consistency proof does not lead to the first root");
  if (!equalBytes(sr, root2)) throw invalid("consistency proof does not lead to the second root");
}
