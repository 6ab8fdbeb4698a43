// Full audit of a stored log (ledger.md §12): streams the entries, recomputes every hash, node
// and root, verifies every checkpoint and anchor, and checks held checkpoints for consistency.
import { parseCanonical } from "../canonical/json.ts";
import type { NoteVerifierKey } from "../checkpoint/keys.ts";
import { verifierKey } from "../checkpoint/keys.ts";
import { verifyCheckpointNote } from "../checkpoint/note.ts";
import { ZERO_HASH_HEX } from "../entry/entry.ts";
import type { GenesisBody, KeyEpochBody } from "../entry/schema.ts";
import { validateEntry } from "../entry/validate.ts";
import { LedgerError, type LedgerErrorCode } from "../errors.ts";
import { storeSubtree } from "../log/subtree.ts";
import { Frontier } from "../merkle/frontier.ts";
import { equalBytes, leafHash, toHex } from "../merkle/hash.ts";
import { consistencyProof } from "../merkle/tree.ts";
import { verifyConsistency } from "../merkle/verify.ts";
import type { LedgerStore } from "../store/types.ts";

export interface HeldCheckpoint {
  size: number;
  root: Uint8Array;
  /** Where it was kept. */
  source?: "edge" | "anchor" | "bundle" | "held";
}

export interface VerifyOptions {
  /** Checkpoint keys to trust. Default: the keys announced in the log (genesis, key.epoch). */
  trustedKeys?: readonly NoteVerifierKey[];
  /** Checkpoints held outside the database (edge nodes, anchors, earlier evidence bundles). */
  external?: readonly HeldCheckpoint[];
  chunk?: number;
  /** Stop collecting after this many findings. */
  maxFindings?: number;
}

export interface Finding {
  code: LedgerErrorCode;
  index?: number;
  size?: number;
  message: string;
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

export function verifyLog(store: LedgerStore, opts: VerifyOptions = {}): VerifyReport {
  const chunk = opts.chunk ?? 10_000;
  const maxFindings = opts.maxFindings ?? 100;
  const findings: Finding[] = [];
  const add = (code: LedgerErrorCode, message: string, at: { index?: number; size?: number }) => {
    if (findings.length < maxFindings) findings.push({ code, message, ...at });
  };

  const checkpoints = store.checkpoints();
  const anchors = store.anchors();
  const external = opts.external ?? [];
  const wanted = new Set<number>([
    ...checkpoints.map((c) => c.treeSize),
    ...anchors.map((a) => a.treeSize),
    ...external.map((e) => e.size),
  ]);
  const rootsAt = new Map<number, Uint8Array>();
  const logKeys: NoteVerifierKey[] = [];

  const frontier = new Frontier();
  let prevHash: Uint8Array | null = null;
  let prevTime = "";
  let i = 0;
  let gap = false;
  if (wanted.has(0)) rootsAt.set(0, frontier.root());
  scan: for (;;) {
    const rows = store.entries(i, chunk);
    if (rows.length === 0) break;
    for (const row of rows) {
      if (row.index !== i) {
        add("LEDGER_GAP", `expected index ${i}, found ${row.index}`, { index: i });
        gap = true;
        break scan;
      }
      const h = leafHash(row.body);
      let value: Record<string, unknown> | null = null;
      try {
        value = parseCanonical(row.body) as Record<string, unknown>;
      } catch (err) {
        add("LEDGER_NONCANONICAL", (err as Error).message, { index: i });
      }
      if (value) {
        const wantPrev = prevHash ? toHex(prevHash) : ZERO_HASH_HEX;
        if (value.index !== i || value.prevHash !== wantPrev) {
          add("LEDGER_CHAIN_BROKEN", "index or prevHash does not follow the previous entry", {
            index: i,
          });
        } else if (toHex(row.prevHash) !== wantPrev) {
          add("LEDGER_CHAIN_BROKEN", "prev_hash column differs from the entry", { index: i });
        }
      }
      if (!equalBytes(h, row.leafHash))
        add("LEDGER_LEAF_MISMATCH", "leaf_hash differs from SHA-256(0x00 ‖ body)", { index: i });
      if (value) {
        try {
          validateEntry(value);
          const t = value.time as string;
          if (t < prevTime) throw new LedgerError("LEDGER_SCHEMA", "time decreases");
          if (row.time !== t || row.type !== value.type)
            throw new LedgerError("LEDGER_SCHEMA", "time or type column differs from the entry");
          prevTime = t;
        } catch (err) {
          const e = err as LedgerError;
          add(e.code ?? "LEDGER_SCHEMA", e.message, { index: i });
        }
        collectLogKey(value, logKeys);
      }
      for (const n of frontier.push(h)) {
        const stored = store.node(n.level, n.idx);
        if (!stored || !equalBytes(stored, n.hash))
          add("LEDGER_NODE_MISMATCH", `node (${n.level}, ${n.idx}) differs`, { index: i });
      }
      prevHash = h;
      i++;
      if (wanted.has(i)) rootsAt.set(i, frontier.root());
    }
  }
  const size = i;
  const root = frontier.root();
  const keys = opts.trustedKeys ?? logKeys;

  for (const cp of checkpoints) {
    try {
      const v = verifyCheckpointNote(cp.note, keys);
      if (v.size !== cp.treeSize || !equalBytes(v.root, cp.rootHash))
        throw new LedgerError("LEDGER_ROOT_MISMATCH", "checkpoint columns differ from its note");
      if (cp.treeSize > size && !gap)
        throw new LedgerError("LEDGER_TRUNCATED", `checkpoint of size ${cp.treeSize} > ${size}`);
      const r = rootsAt.get(cp.treeSize);
      if (r && !equalBytes(r, v.root))
        throw new LedgerError("LEDGER_ROOT_MISMATCH", "recomputed root differs from the signed");
    } catch (err) {
      const e = err as LedgerError;
      add(e.code ?? "LEDGER_CHECKPOINT_SIGNATURE", e.message, { size: cp.treeSize });
    }
  }

  for (const a of anchors) {
    const r = rootsAt.get(a.treeSize);
    if (!r || !equalBytes(r, a.rootHash))
      add("ANCHOR_MISMATCH", `anchored root at size ${a.treeSize} differs from the log`, {
        size: a.treeSize,
      });
  }

  if (!gap) {
    const sub = storeSubtree(store);
    for (const e of external) {
      try {
        if (e.size > size) throw new Error(`held size ${e.size} exceeds the log size ${size}`);
        const proof = e.size === 0 ? [] : consistencyProof(sub, e.size, size);
        verifyConsistency(e.size, size, e.root, root, proof);
      } catch (err) {
        add(
          "LEDGER_INCONSISTENT",
          `${e.source ?? "held"} checkpoint ${e.size}: ${(err as Error).message}`,
          {
            size: e.size,
          },
        );
      }
    }
  }

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
    checkpointsChecked: checkpoints.length,
    anchorsChecked: anchors.length,
    externalChecked: external.length,
    ...(firstError ? { firstError } : {}),
    findings,
  };
}

function collectLogKey(value: Record<string, unknown>, keys: NoteVerifierKey[]): void {
  if (value.type !== "log.genesis" && value.type !== "key.epoch") return;
  const lk = (value.body as GenesisBody | KeyEpochBody).logKey;
  if (!lk) return;
  const k = verifierKey(lk.name, new Uint8Array(Buffer.from(lk.publicKey, "base64")));
  if (!keys.some((x) => equalBytes(x.keyId, k.keyId) && x.name === k.name)) keys.push(k);
}
