// The anchoring adapter (ledger.md §13.4): a witness that custodies (tree size, root) pairs.
import { LedgerError } from "../errors.ts";
import { equalBytes } from "../merkle/hash.ts";

export interface AnchorReceipt {
  treeSize: number;
  root: Uint8Array;
  chainId: number;
  contract: string;
  txHash: string;
  blockNumber: number;
  anchorIndex: number;
}

export interface AnchoredCheckpoint {
  index: number;
  treeSize: number;
  root: Uint8Array;
  writer: string;
  txHash: string;
  blockNumber: number;
}

export interface Anchor {
  publish(cp: { size: number; root: Uint8Array; note: string }): Promise<AnchorReceipt>;
  list(fromIndex?: number): Promise<AnchoredCheckpoint[]>;
}

/** The default: anchoring off. */
export class NoopAnchor implements Anchor {
  async publish(): Promise<AnchorReceipt> {
    throw new LedgerError("ANCHOR_MISMATCH", "no anchor is configured");
  }
  async list(): Promise<AnchoredCheckpoint[]> {
    return [];
  }
}

export interface AnchorFinding {
  code: "ANCHOR_MISMATCH";
  index: number;
  size: number;
  message: string;
}

/**
 * Checks anchored checkpoints against the log (§13.4 verification, step 2): each anchored root
 * must equal the log's root at that size. `rootAt` returns null past the end of the log.
 */
export function checkAnchored(
  anchored: readonly AnchoredCheckpoint[],
  rootAt: (size: number) => Uint8Array | null,
): AnchorFinding[] {
  const out: AnchorFinding[] = [];
  for (const a of anchored) {
    const r = rootAt(a.treeSize);
    if (!r || !equalBytes(r, a.root))
      out.push({
        code: "ANCHOR_MISMATCH",
        index: a.index,
        size: a.treeSize,
        message: r ? "anchored root differs from the log" : "anchored size exceeds the log",
      });
  }
  return out;
}
