// The per-entry part of the audit (ledger.md §12 step 1): everything that needs only the row
// itself, so that it can run in parallel. Chain linkage, nodes and roots are sequential.
import { parseCanonical } from "../canonical/json.ts";
import { validateEntry } from "../entry/validate.ts";
import type { LedgerErrorCode } from "../errors.ts";
import { equalBytes, leafHash, toHex } from "../merkle/hash.ts";
import type { StoredRow } from "../store/types.ts";

export interface Finding {
  code: LedgerErrorCode;
  index?: number;
  size?: number;
  message: string;
}

export interface EntryCheck {
  /** The row's idx column. */
  row: number;
  /** SHA-256(0x00 ‖ body), recomputed. */
  leafHash: Uint8Array;
  leafMatches: boolean;
  /** index, prevHash, time and type as written inside the entry (null if unparsable). */
  index: unknown;
  prevHash: unknown;
  time: string | null;
  type: string | null;
  prevColumn: string;
  columnsMatch: boolean;
  noncanonical: Finding | null;
  schema: Finding | null;
  logKey: { name: string; publicKey: string } | null;
}

export function checkEntryRow(row: StoredRow): EntryCheck {
  const h = leafHash(row.body);
  const out: EntryCheck = {
    row: row.index,
    leafHash: h,
    leafMatches: equalBytes(h, row.leafHash),
    index: null,
    prevHash: null,
    time: null,
    type: null,
    prevColumn: toHex(row.prevHash),
    columnsMatch: true,
    noncanonical: null,
    schema: null,
    logKey: null,
  };
  let value: Record<string, unknown>;
  try {
    value = parseCanonical(row.body) as Record<string, unknown>;
  } catch (err) {
    out.noncanonical = { code: "LEDGER_NONCANONICAL", message: (err as Error).message, index: row.index };
    return out;
  }
  out.index = value.index;
  out.prevHash = value.prevHash;
  out.time = typeof value.time === "string" ? value.time : null;
  out.type = typeof value.type === "string" ? value.type : null;
  out.columnsMatch = row.time === value.time && row.type === value.type;
  try {
    validateEntry(value);
  } catch (err) {
    const e = err as { code?: LedgerErrorCode; message: string };
    out.schema = { code: e.code ?? "LEDGER_SCHEMA", message: e.message, index: row.index };
  }
  if (value.type === "log.genesis" || value.type === "key.epoch") {
    const lk = (value.body as { logKey?: { name: string; publicKey: string } }).logKey;
    if (lk && typeof lk.name === "string" && typeof lk.publicKey === "string")
      out.logKey = { name: lk.name, publicKey: lk.publicKey };
  }
  return out;
}
