// Public surface of the ledger (ledger.md). Pure parts: canonical, entry, merkle, checkpoint,
// evidence. The store is a parameter; SqliteLedgerStore is the default implementation.
export {
  type Finding,
  type HeldCheckpoint,
  type VerifyOptions,
  type VerifyReport,
  verifyLog,
} from "./audit/verify-log.ts";
export {
  type Anchor,
  type AnchoredCheckpoint,
  type AnchorFinding,
  type AnchorReceipt,
  checkAnchored,
  NoopAnchor,
} from "./anchors/anchor.ts";
// EvmAnchor (ethers) is imported from "./anchors/evm.ts" where needed, to keep this surface light.
export { canonicalBytes, canonicalize, type JsonValue, parseCanonical } from "./canonical/json.ts";
export {
  type CheckpointSigner,
  ed25519NoteSigner,
  formatVkey,
  keyIdHex,
  ledgerSigner,
  type NoteVerifierKey,
  noteKeyId,
  parseVkey,
  signerFromSeed,
  verifierKey,
} from "./checkpoint/keys.ts";
export {
  type Checkpoint,
  checkpointText,
  parseCheckpointNote,
  type SignedCheckpoint,
  signCheckpoint,
  verifyCheckpointNote,
} from "./checkpoint/note.ts";
export { type Entry, type NewEntry, sealEntry, ZERO_HASH_HEX } from "./entry/entry.ts";
export { keyEpochBody } from "./entry/key-epoch.ts";
export * from "./entry/schema.ts";
export { checkForbiddenFields, validateBody, validateEntry } from "./entry/validate.ts";
export { LedgerError, type LedgerErrorCode } from "./errors.ts";
export {
  buildEvidence,
  checkEvidence,
  EVIDENCE_FORMAT,
  type EvidenceBundle,
  type EvidenceCheck,
  type EvidenceError,
  type EvidenceInput,
  parseEvidence,
  type VerifiedEvidence,
  verifyEvidence,
} from "./evidence/bundle.ts";
export { formatTlogProof, parseTlogProof, type TlogProof } from "./evidence/tlog-proof.ts";
export {
  type Appended,
  type EvidenceExtra,
  Ledger,
  type LedgerOptions,
  type StoredEntry,
} from "./log/ledger.ts";
export { Frontier } from "./merkle/frontier.ts";
export { EMPTY_ROOT, leafHash, nodeHash, toHex } from "./merkle/hash.ts";
export { arraySubtree, consistencyProof, inclusionPath, merkleRoot } from "./merkle/tree.ts";
export { rootFromInclusionProof, verifyConsistency, verifyInclusion } from "./merkle/verify.ts";
export { type ParallelVerifyOptions, verifyLogParallel } from "./store/parallel-audit.ts";
export { mapSqliteError, SqliteLedgerStore, type SqliteStoreOptions } from "./store/sqlite.ts";
export { isPostgresUrl, openLedgerStore } from "./store/open.ts";
export { mapPgError, PostgresLedgerStore, type PostgresStoreOptions } from "./store/postgres.ts";
export { PG_LEDGER_SQL, pgRevokeSql } from "./store/pg-schema.ts";
export type {
  AnchorRow,
  CheckpointRow,
  LedgerStore,
  StoredRow,
  ZwIndexRow,
} from "./store/types.ts";
export { type IndexRows, indexRowsOf, type ZwFullbits } from "./trace/rows.ts";
