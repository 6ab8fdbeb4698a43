// subtreeHash(lo, size) over stored complete subtrees (ledger.md §5.2): one lookup for an
// aligned power-of-two range, otherwise split at the largest power of two below size.
import { LedgerError } from "../errors.ts";
import { Frontier } from "../merkle/frontier.ts";
import { nodeHash } from "../merkle/hash.ts";
import { isPowerOfTwo, type SubtreeHash, splitPoint } from "../merkle/tree.ts";
import type { LedgerStore } from "../store/types.ts";

export function storeSubtree(store: LedgerStore): SubtreeHash {
  const sub = (lo: number, size: number): Uint8Array => {
    if (isPowerOfTwo(size) && lo % size === 0) {
      const level = Math.round(Math.log2(size));
      const h = level === 0 ? store.leafHash(lo) : store.node(level, lo / size);
      if (!h)
        throw new LedgerError("LEDGER_NODE_MISMATCH", `missing node (${level}, ${lo / size})`);
      return h;
    }
    const k = splitPoint(size);
    return nodeHash(sub(lo, k), sub(lo + k, size - k));
  };
  return sub;
}

/** Rebuilds the writer's frontier for size n from the stored nodes. */
export function loadFrontier(store: LedgerStore, n: number): Frontier {
  const sub = storeSubtree(store);
  const stack = Frontier.shape(n).map(({ level, idx }) => sub(idx * 2 ** level, 2 ** level));
  return new Frontier(n, stack);
}
