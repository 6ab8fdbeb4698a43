// subtreeHash(lo, size) over stored complete subtrees (ledger.md §5.2): one lookup for an
// aligned power-of-two range, otherwise split at the largest power of two below size.
import { LedgerError } from "../errors.ts";
import { Frontier } from "../merkle/frontier.ts";
import { nodeHash } from "../merkle/hash.ts";
import { isPowerOfTwo, type SubtreeHash, splitPoint } from "../merkle/tree.ts";
import type { LedgerStore } from "../store/types.ts";

/**
 * Complete subtrees never change once written, so the writer may cache them (explicit, bounded
 * cache). Audits read through the store without a cache, so that they see what is on disk.
 */
export class NodeCache {
  // Levels ≥ PINNED hold 1/16 of all nodes (62,500 at 10⁶ entries) and sit on every proof
  // path: kept for good. Lower levels are a bounded, cleared-when-full map.
  static readonly PINNED = 4;
  private readonly levels: Map<number, Uint8Array>[] = [];
  private low = 0;
  constructor(private readonly maxLow = 131_072) {}

  get(level: number, idx: number): Uint8Array | undefined {
    return this.levels[level]?.get(idx);
  }

  set(level: number, idx: number, h: Uint8Array): void {
    if (level < NodeCache.PINNED) {
      if (this.low >= this.maxLow) {
        for (let l = 0; l < NodeCache.PINNED; l++) this.levels[l]?.clear();
        this.low = 0;
      }
      this.low++;
    }
    this.levels[level] ??= new Map();
    this.levels[level].set(idx, h);
  }
}

export function storeSubtree(store: LedgerStore, cache?: NodeCache): SubtreeHash {
  const lookup = (level: number, idx: number): Uint8Array | null => {
    const hit = cache?.get(level, idx);
    if (hit) return hit;
    const h = level === 0 ? store.leafHash(idx) : store.node(level, idx);
    if (h && cache) cache.set(level, idx, h);
    return h;
  };
  const sub = (lo: number, size: number): Uint8Array => {
    if (isPowerOfTwo(size) && lo % size === 0) {
      const level = Math.round(Math.log2(size));
      const h = lookup(level, lo / size);
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
