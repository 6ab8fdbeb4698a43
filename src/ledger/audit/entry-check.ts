// The per-entry part of the audit (ledger.md §12 step 1), one chunk of consecutive rows at a
// time: canonical form, leaf hash, chain links inside the chunk, time order, schema. Only the
// chunk's first link, the frontier, nodes and roots are left to the sequential Auditor, so chunks
// can be checked in parallel and returned in a compact, transferable form.
import { parseCanonical } from "../canonical/json.ts";
import { validateEntry } from "../entry/validate.ts";
import type { LedgerErrorCode } from "../errors.ts";
import { equalBytes, leafHash, toHex } from "../merkle/hash.ts";
import type { LedgerStore, StoredRow } from "../store/types.ts";

export interface Finding {
  code: LedgerErrorCode;
  index?: number;
  size?: number;
  message: string;
}

export interface ChunkCheck {
  /** idx column of each row, in order. */
  rows: number[];
  /** Recomputed leaf hashes, 32 bytes per row. */
  leaves: Uint8Array;
  /** Findings in row order (the first row's chain link is checked by the Auditor). */
  findings: Finding[];
  /** The first row's own link fields, or null if it did not parse. */
  first: { index: unknown; prevHash: unknown; prevColumn: string; time: string | null } | null;
  /** Time of the last row whose time was in order, or null. */
  lastTime: string | null;
  /** Checkpoint keys announced by genesis and key.epoch entries, with the announcing index. */
  logKeys: { name: string; publicKey: string; index: number }[];
}

export interface ChunkOptions {
  /** Validate every entry against its type's schema (ledger.md §12 step 1.5); default true. */
  schema?: boolean;
}

/** Checks the stored rows with idx in [from, from + limit); a missing row shows as a jump in idx. */
export function checkRange(
  store: Pick<LedgerStore, "entries">,
  from: number,
  limit: number,
  opts: ChunkOptions = {},
): ChunkCheck {
  return checkChunk(store.entries(from, limit).filter((r) => r.index < from + limit), opts);
}

const CHAIN_MSG = "index or prevHash does not follow the previous entry";

export function checkChunk(rows: readonly StoredRow[], opts: ChunkOptions = {}): ChunkCheck {
  const schema = opts.schema ?? true;
  const leaves = new Uint8Array(rows.length * 32);
  const findings: Finding[] = [];
  const logKeys: ChunkCheck["logKeys"] = [];
  let first: ChunkCheck["first"] = null;
  let prevTime = "";
  let lastTime: string | null = null;
  let prevHex: string | null = null;
  for (let j = 0; j < rows.length; j++) {
    const row = rows[j];
    const i = row.index;
    const h = leafHash(row.body);
    leaves.set(h, j * 32);
    let value: Record<string, unknown> | null = null;
    try {
      value = parseCanonical(row.body) as Record<string, unknown>;
    } catch (err) {
      findings.push({ code: "LEDGER_NONCANONICAL", message: (err as Error).message, index: i });
    }
    const time = value && typeof value.time === "string" ? value.time : null;
    const prevColumn = toHex(row.prevHash);
    if (value && j === 0)
      first = { index: value.index, prevHash: value.prevHash, prevColumn, time };
    if (value && j > 0) {
      if (value.index !== i || value.prevHash !== prevHex)
        findings.push({ code: "LEDGER_CHAIN_BROKEN", message: CHAIN_MSG, index: i });
      else if (prevColumn !== prevHex)
        findings.push({ code: "LEDGER_CHAIN_BROKEN", message: "prev_hash column differs from the entry", index: i });
    }
    if (!equalBytes(h, row.leafHash))
      findings.push({ code: "LEDGER_LEAF_MISMATCH", message: "leaf_hash differs from SHA-256(0x00 ‖ body)", index: i });
    if (value) {
      let bad: Finding | null = null;
      if (schema) {
        try {
          validateEntry(value);
        } catch (err) {
          const e = err as { code?: LedgerErrorCode; message: string };
          bad = { code: e.code ?? "LEDGER_SCHEMA", message: e.message, index: i };
        }
      } else if (time === null || typeof value.type !== "string") {
        bad = { code: "LEDGER_SCHEMA", message: "entry lacks time or type", index: i };
      }
      if (bad) findings.push(bad);
      else if (j > 0 && time! < prevTime)
        findings.push({ code: "LEDGER_SCHEMA", message: "time decreases", index: i });
      else if (row.time !== time || row.type !== value.type)
        findings.push({ code: "LEDGER_SCHEMA", message: "time or type column differs from the entry", index: i });
      else {
        prevTime = time!;
        lastTime = time;
      }
      if (value.type === "log.genesis" || value.type === "key.epoch") {
        const lk = (value.body as { logKey?: { name: string; publicKey: string } } | null)?.logKey;
        if (lk && typeof lk.name === "string" && typeof lk.publicKey === "string")
          logKeys.push({ name: lk.name, publicKey: lk.publicKey, index: i });
      }
    }
    prevHex = toHex(h);
  }
  return { rows: rows.map((r) => r.index), leaves, findings, first, lastTime, logKeys };
}
