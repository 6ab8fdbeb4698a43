// Full audit of a stored log (ledger.md §12): streams the entries, recomputes every hash, node
// and root, verifies every checkpoint and anchor, and checks held checkpoints for consistency.
// `checkEntryRow` is the per-entry part; `Auditor` is the sequential part, fed in index order.
import type { NoteVerifierKey } from "../checkpoint/keys.ts";
import { verifierKey } from "../checkpoint/keys.ts";
import { verifyCheckpointNote } from "../checkpoint/note.ts";
import { ZERO_HASH_HEX } from "../entry/entry.ts";
import { LedgerError, type LedgerErrorCode } from "../errors.ts";
import { storeSubtree } from "../log/subtree.ts";
import { type CompletedNode, Frontier } from "../merkle/frontier.ts";
import { equalBytes, toHex } from "../merkle/hash.ts";
import { consistencyProof } from "../merkle/tree.ts";
import { verifyConsistency } from "../merkle/verify.ts";
import type { AnchorRow, CheckpointRow, LedgerStore } from "../store/types.ts";
import { type ChunkCheck, type ChunkOptions, checkChunk, type Finding } from "./entry-check.ts";

export type { ChunkCheck, Finding };
export { checkChunk };

export interface HeldCheckpoint {
  size: number;
  root: Uint8Array;
  /** Where it was kept. */
  source?: "edge" | "anchor" | "bundle" | "held";
}

export interface VerifyOptions extends ChunkOptions {
  /**
   * Root checkpoint keys (default: the genesis entry's key). A key announced later by a
   * key.epoch entry joins them once a checkpoint signed by an already trusted key covers the
   * announcement (ledger.md §7.3): the chain of keys across epochs.
   */
  trustedKeys?: readonly NoteVerifierKey[];
  /** Checkpoints held outside the database (edge nodes, anchors, earlier evidence bundles). */
  external?: readonly HeldCheckpoint[];
  chunk?: number;
  /** Stop collecting after this many findings. */
  maxFindings?: number;
}

export interface VerifyReport {
  ok: boolean;
  size: number;
  root: string;
  entriesChecked: number;
  checkpointsChecked: number;
  anchorsChecked: number;
  externalChecked: number;
  firstError?: Finding;
  findings: Finding[];
}

// Entry findings name the cause; node, root and consistency findings are consequences.
const RANK: Partial<Record<LedgerErrorCode, number>> = {
  LEDGER_GAP: 0,
  LEDGER_NONCANONICAL: 0,
  LEDGER_CHAIN_BROKEN: 0,
  LEDGER_LEAF_MISMATCH: 0,
  LEDGER_SCHEMA: 0,
  LEDGER_FORBIDDEN_FIELD: 0,
  LEDGER_NODE_MISMATCH: 1,
  LEDGER_CHECKPOINT_SIGNATURE: 2,
  LEDGER_TRUNCATED: 2,
  LEDGER_ROOT_MISMATCH: 2,
  ANCHOR_MISMATCH: 3,
  LEDGER_INCONSISTENT: 4,
};

export const DEFAULT_CHUNK = 10_000;

export class Auditor {
  private readonly findings: Finding[] = [];
  private readonly checkpoints: CheckpointRow[];
  private readonly anchors: AnchorRow[];
  private readonly external: readonly HeldCheckpoint[];
  private readonly wanted: Set<number>;
  private readonly rootsAt = new Map<number, Uint8Array>();
  private readonly logKeys: { key: NoteVerifierKey; index: number }[] = [];
  private readonly frontier = new Frontier();
  private prevHash: Uint8Array | null = null;
  private prevTime = "";
  private i = 0;
  private gap = false;

  constructor(
    private readonly store: LedgerStore,
    private readonly opts: VerifyOptions = {},
  ) {
    this.checkpoints = store.checkpoints();
    this.anchors = store.anchors();
    this.external = opts.external ?? [];
    this.wanted = new Set([
      ...this.checkpoints.map((c) => c.treeSize),
      ...this.anchors.map((a) => a.treeSize),
      ...this.external.map((e) => e.size),
    ]);
    if (this.wanted.has(0)) this.rootsAt.set(0, this.frontier.root());
  }

  get stopped(): boolean {
    return this.gap;
  }

  get next(): number {
    return this.i;
  }

  private add(code: LedgerErrorCode, message: string, at: { index?: number; size?: number }) {
    if (this.findings.length < (this.opts.maxFindings ?? 100)) {
      const f: Finding = { code, message };
      if (at.index !== undefined) f.index = at.index;
      if (at.size !== undefined) f.size = at.size;
      this.findings.push(f);
    }
  }

  /** Feeds the check of the next chunk of rows, in idx order. Returns false after a gap. */
  feed(cc: ChunkCheck): boolean {
    const i0 = this.i;
    let n = cc.rows.length;
    for (let j = 0; j < cc.rows.length; j++)
      if (cc.rows[j] !== i0 + j) {
        n = j;
        this.gap = true;
        break;
      }
    // The chunk's first link, against the previous chunk.
    if (n > 0 && cc.first) {
      const want = this.prevHash ? toHex(this.prevHash) : ZERO_HASH_HEX;
      if (cc.first.index !== i0 || cc.first.prevHash !== want)
        this.add("LEDGER_CHAIN_BROKEN", "index or prevHash does not follow the previous entry", { index: i0 });
      else if (cc.first.prevColumn !== want)
        this.add("LEDGER_CHAIN_BROKEN", "prev_hash column differs from the entry", { index: i0 });
    }
    for (const f of cc.findings) if ((f.index ?? 0) < i0 + n) this.add(f.code, f.message, f);
    if (n > 0 && cc.first && cc.first.time !== null && cc.first.time < this.prevTime)
      this.add("LEDGER_SCHEMA", "time decreases", { index: i0 });
    if (cc.lastTime !== null && !this.gap) this.prevTime = cc.lastTime;
    for (const lk of cc.logKeys) this.addLogKey(lk);
    const completed: { node: CompletedNode; at: number }[] = [];
    for (let j = 0; j < n; j++) {
      const h = cc.leaves.subarray(j * 32, j * 32 + 32);
      for (const node of this.frontier.push(h)) completed.push({ node, at: this.i });
      this.prevHash = h;
      this.i++;
      if (this.wanted.has(this.i)) this.rootsAt.set(this.i, this.frontier.root());
    }
    if (this.gap) this.add("LEDGER_GAP", `expected index ${this.i}, found ${cc.rows[n]}`, { index: this.i });
    this.checkNodes(completed);
    return !this.gap;
  }

  // One range read per level per chunk instead of one lookup per node.
  private checkNodes(completed: { node: CompletedNode; at: number }[]): void {
    const byLevel = new Map<number, { node: CompletedNode; at: number }[]>();
    for (const c of completed) {
      const l = byLevel.get(c.node.level);
      if (l) l.push(c);
      else byLevel.set(c.node.level, [c]);
    }
    for (const [level, list] of byLevel) {
      const stored = this.store.nodeRange(level, list[0].node.idx, list[list.length - 1].node.idx + 1);
      for (const { node, at } of list) {
        const h = stored.get(node.idx);
        if (!h || !equalBytes(h, node.hash))
          this.add("LEDGER_NODE_MISMATCH", `node (${level}, ${node.idx}) differs`, { index: at });
      }
    }
  }

  private addLogKey(lk: { name: string; publicKey: string; index: number }): void {
    const key = verifierKey(lk.name, new Uint8Array(Buffer.from(lk.publicKey, "base64")));
    if (!this.logKeys.some((x) => sameKey(x.key, key))) this.logKeys.push({ key, index: lk.index });
  }

  /** Verifies the checkpoints in size order, extending the trusted keys along the chain. */
  private checkpointKeys(): Map<number, NoteVerifierKey[]> {
    const trusted = [...(this.opts.trustedKeys ?? this.logKeys.slice(0, 1).map((k) => k.key))];
    const pending = [...this.logKeys];
    const keysAt = new Map<number, NoteVerifierKey[]>();
    for (const cp of [...this.checkpoints].sort((a, b) => a.treeSize - b.treeSize)) {
      keysAt.set(cp.treeSize, [...trusted]);
      // Only a checkpoint that verifies and whose root is the recomputed one vouches for keys
      // announced below its size; the others are reported by finish().
      try {
        const v = verifyCheckpointNote(cp.note, trusted);
        const r = this.rootsAt.get(cp.treeSize);
        if (!r || !equalBytes(r, v.root)) continue;
      } catch {
        continue;
      }
      for (let j = pending.length - 1; j >= 0; j--)
        if (pending[j].index < cp.treeSize) {
          if (!trusted.some((t) => sameKey(t, pending[j].key))) trusted.push(pending[j].key);
          pending.splice(j, 1);
        }
    }
    return keysAt;
  }

  finish(): VerifyReport {
    const size = this.i;
    const root = this.frontier.root();
    const keysAt = this.checkpointKeys();
    for (const cp of this.checkpoints) {
      try {
        const v = verifyCheckpointNote(cp.note, keysAt.get(cp.treeSize) ?? []);
        if (v.size !== cp.treeSize || !equalBytes(v.root, cp.rootHash))
          throw new LedgerError("LEDGER_ROOT_MISMATCH", "checkpoint columns differ from its note");
        if (cp.treeSize > size && !this.gap)
          throw new LedgerError("LEDGER_TRUNCATED", `checkpoint of size ${cp.treeSize} > ${size}`);
        const r = this.rootsAt.get(cp.treeSize);
        if (r && !equalBytes(r, v.root))
          throw new LedgerError("LEDGER_ROOT_MISMATCH", "recomputed root differs from the signed");
      } catch (err) {
        const e = err as LedgerError;
        this.add(e.code ?? "LEDGER_CHECKPOINT_SIGNATURE", e.message, { size: cp.treeSize });
      }
    }
    for (const a of this.anchors) {
      const r = this.rootsAt.get(a.treeSize);
      if (!r || !equalBytes(r, a.rootHash))
        this.add("ANCHOR_MISMATCH", `anchored root at size ${a.treeSize} differs from the log`, {
          size: a.treeSize,
        });
    }
    if (!this.gap) {
      const sub = storeSubtree(this.store);
      for (const e of this.external) {
        try {
          if (e.size > size) throw new Error(`held size ${e.size} exceeds the log size ${size}`);
          const proof = e.size === 0 ? [] : consistencyProof(sub, e.size, size);
          verifyConsistency(e.size, size, e.root, root, proof);
        } catch (err) {
          this.add(
            "LEDGER_INCONSISTENT",
            `${e.source ?? "held"} checkpoint ${e.size}: ${(err as Error).message}`,
            { size: e.size },
          );
        }
      }
    }
    const findings = this.findings;
    const firstError = [...findings].sort(
      (a, b) =>
        (RANK[a.code] ?? 5) - (RANK[b.code] ?? 5) ||
        (a.index ?? a.size ?? 0) - (b.index ?? b.size ?? 0),
    )[0];
    return {
      ok: findings.length === 0,
      size,
      root: toHex(root),
      entriesChecked: size,
      checkpointsChecked: this.checkpoints.length,
      anchorsChecked: this.anchors.length,
      externalChecked: this.external.length,
      ...(firstError ? { firstError } : {}),
      findings,
    };
  }
}

function sameKey(a: NoteVerifierKey, b: NoteVerifierKey): boolean {
  return a.name === b.name && equalBytes(a.publicKey, b.publicKey);
}

/** Single-threaded audit over any LedgerStore. */
export function verifyLog(store: LedgerStore, opts: VerifyOptions = {}): VerifyReport {
  const auditor = new Auditor(store, opts);
  const chunk = opts.chunk ?? DEFAULT_CHUNK;
  for (;;) {
    const rows = store.entries(auditor.next, chunk);
    if (rows.length === 0 || !auditor.feed(checkChunk(rows, opts))) break;
  }
  return auditor.finish();
}
