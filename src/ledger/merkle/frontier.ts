// The writer's right frontier (ledger.md §5.2): the perfect subtrees that make up the current
// size, one per set bit, left to right. Appending a leaf returns the complete subtrees it closes,
// which the store persists as `ledger_nodes`.
import { EMPTY_ROOT, nodeHash } from "./hash.ts";

export interface CompletedNode {
  level: number;
  idx: number;
  hash: Uint8Array;
}

export class Frontier {
  size: number;
  private readonly stack: Uint8Array[];

  constructor(size = 0, stack: Uint8Array[] = []) {
    this.size = size;
    this.stack = [...stack];
  }

  clone(): Frontier {
    return new Frontier(this.size, this.stack);
  }

  /** Appends leaf `size` with hash `leaf`; returns the nodes (level ≥ 1) it completes. */
  push(leaf: Uint8Array): CompletedNode[] {
    const done: CompletedNode[] = [];
    let h = leaf;
    let level = 0;
    let j = this.size;
    while (j % 2 === 1) {
      h = nodeHash(this.stack.pop()!, h);
      level++;
      j = (j - 1) / 2;
      done.push({ level, idx: j, hash: h });
    }
    this.stack.push(h);
    this.size++;
    return done;
  }

  /** Fold from the right: r = last; r = H(t ‖ r) for each earlier subtree t. */
  root(): Uint8Array {
    if (this.stack.length === 0) return EMPTY_ROOT;
    let r = this.stack[this.stack.length - 1];
    for (let i = this.stack.length - 2; i >= 0; i--) r = nodeHash(this.stack[i], r);
    return r;
  }

  /** (level, idx) of each frontier subtree for size n, left to right. */
  static shape(n: number): { level: number; idx: number }[] {
    const out: { level: number; idx: number }[] = [];
    let offset = 0;
    for (let level = 52; level >= 0; level--) {
      const w = 2 ** level;
      if (n - offset >= w) {
        out.push({ level, idx: offset / w });
        offset += w;
      }
    }
    return out;
  }
}
