// One error class for the ledger, with the machine-readable codes of ledger.md §15.
export type LedgerErrorCode =
  | "LEDGER_SCHEMA"
  | "LEDGER_FORBIDDEN_FIELD"
  | "LEDGER_APPEND_ONLY"
  | "LEDGER_GAP"
  | "LEDGER_CHAIN_BROKEN"
  | "LEDGER_LEAF_MISMATCH"
  | "LEDGER_NODE_MISMATCH"
  | "LEDGER_NONCANONICAL"
  | "LEDGER_ROOT_MISMATCH"
  | "LEDGER_TRUNCATED"
  | "LEDGER_CHECKPOINT_SIGNATURE"
  | "LEDGER_INCONSISTENT"
  | "LEDGER_NOT_FOUND"
  | "LEDGER_DUPLICATE"
  | "LEDGER_CLOSED"
  | "PROOF_INVALID"
  | "ParseError"
  | "ANCHOR_MISMATCH"
  | "INDEX_MISMATCH";

export interface LedgerErrorDetail {
  index?: number;
  size?: number;
}

export class LedgerError extends Error {
  readonly code: LedgerErrorCode;
  readonly index?: number;
  readonly size?: number;
  constructor(code: LedgerErrorCode, message: string, detail: LedgerErrorDetail = {}) {
    super(`${code}: ${message}`);
    this.name = "LedgerError";
    this.code = code;
    if (detail.index !== undefined) this.index = detail.index;
    if (detail.size !== undefined) this.size = detail.size;
  }
}

/** Malformed checkpoint, tlog-proof or evidence bundle (ledger.md §15: `ParseError`). */
export function parseError(what: string, why: string): LedgerError {
  return new LedgerError("ParseError", `malformed ${what}: ${why}`);
}
