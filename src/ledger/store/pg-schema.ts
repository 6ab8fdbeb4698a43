// PostgreSQL schema of ledger.md §11.1 and the trace index of §9: the SQLite tables with BIGINT
// and BYTEA, one trigger function refusing UPDATE, DELETE and TRUNCATE on the four ledger tables,
// and the contiguity check as a BEFORE INSERT row trigger. Triggers are the dialect-specific part.
import { APPEND_ONLY_MESSAGE, CONTIGUOUS_MESSAGE } from "./schema.ts";

const APPEND_ONLY = ["ledger_entries", "ledger_nodes", "ledger_checkpoints", "ledger_anchors"];

export const PG_LEDGER_SQL = `
CREATE TABLE IF NOT EXISTS ledger_entries (
  idx        BIGINT PRIMARY KEY,
  time       TEXT   NOT NULL,
  type       TEXT   NOT NULL,
  body       BYTEA  NOT NULL,
  prev_hash  BYTEA  NOT NULL,
  leaf_hash  BYTEA  NOT NULL
);
CREATE TABLE IF NOT EXISTS ledger_nodes (level INTEGER NOT NULL, idx BIGINT NOT NULL,
  hash BYTEA NOT NULL, PRIMARY KEY (level, idx));
CREATE TABLE IF NOT EXISTS ledger_checkpoints (tree_size BIGINT PRIMARY KEY,
  root_hash BYTEA NOT NULL, note TEXT NOT NULL, key_id TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ledger_anchors (id BIGSERIAL PRIMARY KEY, tree_size BIGINT NOT NULL,
  root_hash BYTEA NOT NULL, chain_id BIGINT NOT NULL, contract TEXT NOT NULL,
  tx_hash TEXT NOT NULL, block_number BIGINT NOT NULL, anchor_index BIGINT NOT NULL,
  created_at TEXT NOT NULL);
CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '${APPEND_ONLY_MESSAGE}'; END $$;
CREATE OR REPLACE FUNCTION ledger_contiguous() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.idx <> (SELECT COALESCE(MAX(idx), -1) + 1 FROM ledger_entries) THEN
    RAISE EXCEPTION '${CONTIGUOUS_MESSAGE}';
  END IF;
  RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER ledger_entries_contiguous BEFORE INSERT ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_contiguous();
${APPEND_ONLY.map(
  (t) => `CREATE OR REPLACE TRIGGER ${t}_no_update_delete BEFORE UPDATE OR DELETE ON ${t}
  FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE OR REPLACE TRIGGER ${t}_no_truncate BEFORE TRUNCATE ON ${t}
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();`,
).join("\n")}
`;

/** ledger.md §11.1: the application role may not even try. Run by the database owner. */
export function pgRevokeSql(appRole: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(appRole)) throw new Error(`invalid role name '${appRole}'`);
  return `REVOKE UPDATE, DELETE, TRUNCATE ON ${APPEND_ONLY.join(", ")} FROM ${appRole};`;
}

/** Index tables; `scratch` gives the session-local copies used to check a rebuild. */
export function pgIndexTablesSql(scratch: boolean): string {
  const c = scratch ? "CREATE TEMP TABLE IF NOT EXISTS scratch_" : "CREATE TABLE IF NOT EXISTS ";
  const p = scratch ? "scratch_" : "";
  return `
${c}idx_marked_pixels (pixel_sha256 BYTEA PRIMARY KEY, entry_index BIGINT NOT NULL);
${c}idx_tokens (token BYTEA PRIMARY KEY, entry_index BIGINT NOT NULL);
${c}idx_source_pixels (pixel_sha256 BYTEA NOT NULL, entry_index BIGINT NOT NULL,
  PRIMARY KEY (pixel_sha256, entry_index));
${c}idx_zw (entry_index BIGINT PRIMARY KEY, params_id TEXT NOT NULL, mask BYTEA NOT NULL,
  share BYTEA NOT NULL, fullbits BYTEA);
CREATE INDEX IF NOT EXISTS ${p}idx_zw_share8 ON ${p}idx_zw (substr(share, 1, 8));
${scratch ? "" : "CREATE TABLE IF NOT EXISTS idx_state (name TEXT PRIMARY KEY, value TEXT NOT NULL);"}
`;
}
