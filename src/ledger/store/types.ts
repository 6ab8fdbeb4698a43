// The storage contract the ledger runs on (ledger.md §2, §11). The ledger core holds no database
// handle: it is given a LedgerStore. Calls are synchronous (better-sqlite3 is synchronous).
import type { CompletedNode } from "../merkle/frontier.ts";
import type { IndexRows } from "../trace/rows.ts";

export interface StoredRow {
  index: number;
  time: string;
  type: string;
  /** Canonical JSON of the whole entry: the leaf data. */
  body: Uint8Array;
  prevHash: Uint8Array;
  leafHash: Uint8Array;
}

export interface AppendRow {
  row: StoredRow;
  nodes: CompletedNode[];
  index: IndexRows;
}

export interface CheckpointRow {
  treeSize: number;
  rootHash: Uint8Array;
  note: string;
  keyId: string;
  createdAt: string;
}

export interface AnchorRow {
  treeSize: number;
  rootHash: Uint8Array;
  chainId: number;
  contract: string;
  txHash: string;
  blockNumber: number;
  anchorIndex: number;
  createdAt: string;
}

export interface ZwIndexRow {
  entryIndex: number;
  paramsId: string;
  mask: Uint8Array;
  share: Uint8Array;
  fullbits: Uint8Array | null;
}

export interface LedgerStore {
  size(): number;
  entry(index: number): StoredRow | null;
  /** Up to `limit` rows with idx ≥ from, in idx order (the audit streams with this). */
  entries(from: number, limit: number): StoredRow[];
  leafHash(index: number): Uint8Array | null;
  node(level: number, idx: number): Uint8Array | null;
  /** Stored nodes of one level with lo ≤ idx < hi (the audit reads them a chunk at a time). */
  nodeRange(level: number, lo: number, hi: number): Map<number, Uint8Array>;
  /** One durable transaction: all rows or none. */
  append(rows: readonly AppendRow[]): void;

  addCheckpoint(cp: CheckpointRow): void;
  checkpoints(): CheckpointRow[];
  latestCheckpoint(): CheckpointRow | null;
  addAnchor(a: AnchorRow): void;
  anchors(): AnchorRow[];

  findMarkedPixels(pixelSha256: Uint8Array): number | null;
  findToken(token: Uint8Array): number | null;
  findSourcePixels(pixelSha256: Uint8Array): number[];
  findShare(share: Uint8Array): number[];
  zwCandidates(paramsId?: string): ZwIndexRow[];
  /** Truncates the trace index and refills it (in `scratch` tables when asked). */
  rebuildIndex(rows: Iterable<{ index: number; rows: IndexRows }>, scratch?: boolean): void;
  /** SHA-256 over the sorted rows of each index table (live or scratch). */
  indexDigest(scratch?: boolean): Record<string, string>;
  close(): void;
}
