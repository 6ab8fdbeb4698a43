// SQLite schema of ledger.md §11.1 and the trace index of §9. The four ledger tables refuse
// UPDATE and DELETE by trigger; the index tables are derived data and may be rebuilt.
// Two indexes of §11.1 are left out: nothing looks entries up by leaf hash or by type, and each
// was one more B-tree written at random on every append (the audit recomputes every leaf hash,
// so a UNIQUE constraint on it verifies nothing more). Shares are indexed by an 8-byte prefix,
// not by all 128 bytes: the lookup compares the whole share on the few rows the prefix selects.
const APPEND_ONLY = ["ledger_entries", "ledger_nodes", "ledger_checkpoints", "ledger_anchors"];

export const APPEND_ONLY_MESSAGE = "ledger is append-only";
export const CONTIGUOUS_MESSAGE = "ledger index must be contiguous";

export const LEDGER_TABLES_SQL = `
CREATE TABLE IF NOT EXISTS ledger_entries (
  idx        INTEGER PRIMARY KEY,
  time       TEXT    NOT NULL,
  type       TEXT    NOT NULL,
  body       BLOB    NOT NULL,
  prev_hash  BLOB    NOT NULL,
  leaf_hash  BLOB    NOT NULL
);
CREATE TABLE IF NOT EXISTS ledger_nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL,
  hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ledger_checkpoints (tree_size INTEGER PRIMARY KEY,
  root_hash BLOB NOT NULL, note TEXT NOT NULL, key_id TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ledger_anchors (id INTEGER PRIMARY KEY, tree_size INTEGER NOT NULL,
  root_hash BLOB NOT NULL, chain_id INTEGER NOT NULL, contract TEXT NOT NULL,
  tx_hash TEXT NOT NULL, block_number INTEGER NOT NULL, anchor_index INTEGER NOT NULL,
  created_at TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS ledger_entries_contiguous BEFORE INSERT ON ledger_entries
  WHEN NEW.idx <> (SELECT COALESCE(MAX(idx), -1) + 1 FROM ledger_entries)
  BEGIN SELECT RAISE(ABORT, '${CONTIGUOUS_MESSAGE}'); END;
${APPEND_ONLY.map(
  (t) => `CREATE TRIGGER IF NOT EXISTS ${t}_no_update BEFORE UPDATE ON ${t}
  BEGIN SELECT RAISE(ABORT, '${APPEND_ONLY_MESSAGE}'); END;
CREATE TRIGGER IF NOT EXISTS ${t}_no_delete BEFORE DELETE ON ${t}
  BEGIN SELECT RAISE(ABORT, '${APPEND_ONLY_MESSAGE}'); END;`,
).join("\n")}
`;

/** Index tables; `prefix` gives the scratch copies used to check a rebuild. */
export function indexTablesSql(schema: "main" | "temp", prefix: string): string {
  const s = `${schema}.${prefix}`;
  return `
CREATE TABLE IF NOT EXISTS ${s}idx_marked_pixels (pixel_sha256 BLOB PRIMARY KEY,
  entry_index INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ${s}idx_tokens (token BLOB PRIMARY KEY,
  entry_index INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ${s}idx_source_pixels (pixel_sha256 BLOB NOT NULL,
  entry_index INTEGER NOT NULL, PRIMARY KEY (pixel_sha256, entry_index)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ${s}idx_zw (entry_index INTEGER PRIMARY KEY, params_id TEXT NOT NULL,
  mask BLOB NOT NULL, share BLOB NOT NULL, fullbits BLOB);
CREATE INDEX IF NOT EXISTS ${s}idx_zw_share8 ON ${prefix}idx_zw(substr(share, 1, 8));
CREATE TABLE IF NOT EXISTS ${s}idx_state (name TEXT PRIMARY KEY, value TEXT NOT NULL);
`;
}

export const INDEX_TABLES = ["idx_marked_pixels", "idx_tokens", "idx_source_pixels", "idx_zw"];
export const INDEX_SCHEMA_VERSION = "1";
