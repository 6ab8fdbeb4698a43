// SQLite implementation of LedgerStore on better-sqlite3 (ledger.md §11): WAL, synchronous FULL
// by default, one IMMEDIATE transaction per batch, trigger errors mapped to ledger codes.
import { createHash } from "node:crypto";
import Database from "better-sqlite3";
import { LedgerError } from "../errors.ts";
import { bytesView as u8, type Row, toAnchor, toCheckpoint, toStored } from "./rows.ts";
import type { IndexRows } from "../trace/rows.ts";
import {
  APPEND_ONLY_MESSAGE,
  CONTIGUOUS_MESSAGE,
  INDEX_SCHEMA_VERSION,
  INDEX_TABLES,
  indexTablesSql,
  LEDGER_TABLES_SQL,
} from "./schema.ts";
import type {
  AnchorRow,
  AppendRow,
  CheckpointRow,
  LedgerStore,
  StoredRow,
  ZwIndexRow,
} from "./types.ts";

export interface SqliteStoreOptions {
  synchronous?: "FULL" | "NORMAL";
  /** Page cache in MiB (default 256): the hash-keyed indexes are written and read at random. */
  cacheMiB?: number;
  /** WAL size that triggers a checkpoint, in MiB (default 40; SQLite's own is 1,000 pages). */
  walCheckpointMiB?: number;
  readonly?: boolean;
}

type Db = Database.Database;

const PAGE_SIZE = 16_384;


/** Maps driver errors raised by the ledger's triggers and constraints to ledger codes. */
export function mapSqliteError(err: unknown): unknown {
  const msg = (err as Error)?.message ?? "";
  if (msg.includes(APPEND_ONLY_MESSAGE)) return new LedgerError("LEDGER_APPEND_ONLY", msg);
  if (msg.includes(CONTIGUOUS_MESSAGE)) return new LedgerError("LEDGER_GAP", msg);
  if (/UNIQUE constraint failed: (\w+\.)?idx_(tokens|marked_pixels)/.test(msg))
    return new LedgerError("LEDGER_DUPLICATE", msg);
  return err;
}

export function withSqliteErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw mapSqliteError(err);
  }
}

export class SqliteLedgerStore implements LedgerStore {
  /** The raw connection: for migrations, tests and tamper drills only. */
  readonly db: Db;
  private readonly q: ReturnType<typeof prepare>;
  private readonly appendTx: Database.Transaction<(rows: readonly AppendRow[]) => void>;

  private constructor(db: Db) {
    this.db = db;
    this.q = prepare(db);
    const q = this.q;
    this.appendTx = db.transaction((rows: readonly AppendRow[]) => {
      for (const { row, nodes, index } of rows) {
        q.insEntry.run(row.index, row.time, row.type, row.body, row.prevHash, row.leafHash);
        for (const n of nodes) q.insNode.run(n.level, n.idx, n.hash);
        q.index(row.index, index);
      }
      if (rows.length > 0) q.lastIndexed.run(String(rows[rows.length - 1].row.index));
    });
  }

  static open(path: string, opts: SqliteStoreOptions = {}): SqliteLedgerStore {
    const db = new Database(path, { readonly: opts.readonly ?? false });
    db.pragma(`cache_size = ${-1024 * (opts.cacheMiB ?? 256)}`);
    if (!opts.readonly) {
      // Only a new, empty file takes it. Entries average about 1 KB: 16 KiB pages hold ~14
      // rows where 4 KiB pages held 3 and wasted a quarter of each page.
      db.pragma(`page_size = ${PAGE_SIZE}`);
      db.pragma("journal_mode = WAL");
      // Every batch dirties index pages at random; checkpointing less often writes a page
      // dirtied by several batches to the database file once (about half the bytes written).
      const pageSize = db.pragma("page_size", { simple: true }) as number;
      db.pragma(`wal_autocheckpoint = ${Math.ceil(((opts.walCheckpointMiB ?? 40) * 2 ** 20) / pageSize)}`);
      db.pragma(`synchronous = ${opts.synchronous ?? "FULL"}`);
      db.exec(LEDGER_TABLES_SQL);
      db.exec(indexTablesSql("main", ""));
      db.prepare("INSERT OR IGNORE INTO idx_state(name, value) VALUES ('schema', ?)").run(
        INDEX_SCHEMA_VERSION,
      );
    }
    return new SqliteLedgerStore(db);
  }

  size(): number {
    return (this.q.size.get() as number | null) ?? 0;
  }

  entry(index: number): StoredRow | null {
    const r = this.q.entry.get(index) as Row | undefined;
    return r ? toStored(r) : null;
  }

  entries(from: number, limit: number): StoredRow[] {
    return (this.q.entries.all(from, limit) as Row[]).map(toStored);
  }

  leafHash(index: number): Uint8Array | null {
    const b = this.q.leaf.get(index) as Buffer | undefined;
    return b ? u8(b) : null;
  }

  node(level: number, idx: number): Uint8Array | null {
    const b = this.q.node.get(level, idx) as Buffer | undefined;
    return b ? u8(b) : null;
  }

  nodeRange(level: number, lo: number, hi: number): Map<number, Uint8Array> {
    const out = new Map<number, Uint8Array>();
    for (const [idx, hash] of this.q.nodeRange.raw().iterate(level, lo, hi) as Iterable<[number, Buffer]>)
      out.set(idx, u8(hash));
    return out;
  }

  append(rows: readonly AppendRow[]): void {
    withSqliteErrors(() => this.appendTx.immediate(rows));
  }

  addCheckpoint(cp: CheckpointRow): void {
    withSqliteErrors(() =>
      this.q.addCheckpoint.run(cp.treeSize, cp.rootHash, cp.note, cp.keyId, cp.createdAt),
    );
  }

  checkpoints(): CheckpointRow[] {
    return (this.q.checkpoints.all() as Row[]).map(toCheckpoint);
  }

  latestCheckpoint(): CheckpointRow | null {
    const r = this.q.latestCheckpoint.get() as Row | undefined;
    return r ? toCheckpoint(r) : null;
  }

  addAnchor(a: AnchorRow): void {
    withSqliteErrors(() =>
      this.q.addAnchor.run(
        a.treeSize,
        a.rootHash,
        a.chainId,
        a.contract,
        a.txHash,
        a.blockNumber,
        a.anchorIndex,
        a.createdAt,
      ),
    );
  }

  anchors(): AnchorRow[] {
    return (this.q.anchors.all() as Row[]).map(toAnchor);
  }

  findMarkedPixels(pixelSha256: Uint8Array): number | null {
    return (this.q.findMarked.get(pixelSha256) as number | undefined) ?? null;
  }

  findToken(token: Uint8Array): number | null {
    return (this.q.findToken.get(token) as number | undefined) ?? null;
  }

  findSourcePixels(pixelSha256: Uint8Array): number[] {
    return this.q.findSource.all(pixelSha256) as number[];
  }

  findShare(share: Uint8Array): number[] {
    return this.q.findShare.all({ share }) as number[];
  }

  zwCandidates(paramsId?: string): ZwIndexRow[] {
    const rows = (
      paramsId === undefined ? this.q.zwAll.all() : this.q.zwByParams.all(paramsId)
    ) as Row[];
    return rows.map((r) => ({
      entryIndex: r.entry_index as number,
      paramsId: r.params_id as string,
      mask: u8(r.mask),
      share: u8(r.share),
      fullbits: r.fullbits ? u8(r.fullbits) : null,
    }));
  }

  rebuildIndex(rows: Iterable<{ index: number; rows: IndexRows }>, scratch = false): void {
    const schema = scratch ? "temp" : "main";
    const prefix = scratch ? "scratch_" : "";
    this.db.exec(indexTablesSql(schema, prefix));
    // Fill unindexed staging tables, then copy them in key order: B-tree appends instead of
    // random inserts (ledger.md §9: 10⁶ entries < 60 s).
    this.db.exec(indexTablesSql("temp", "stage_").replace(/ PRIMARY KEY| WITHOUT ROWID|, PRIMARY KEY \([^)]*\)|CREATE INDEX[^;]*;/g, ""));
    const ins = insertIndexStatements(this.db, "temp.stage_");
    const order: Record<string, string> = {
      idx_marked_pixels: "pixel_sha256",
      idx_tokens: "token",
      idx_source_pixels: "pixel_sha256, entry_index",
      idx_zw: "entry_index",
    };
    const run = this.db.transaction(() => {
      for (const t of INDEX_TABLES) {
        this.db.prepare(`DELETE FROM ${schema}.${prefix}${t}`).run();
        this.db.prepare(`DELETE FROM temp.stage_${t}`).run();
      }
      for (const r of rows) ins(r.index, r.rows);
      for (const t of INDEX_TABLES)
        this.db
          .prepare(
            `INSERT ${t === "idx_source_pixels" ? "OR IGNORE " : ""}INTO ${schema}.${prefix}${t} SELECT * FROM temp.stage_${t} ORDER BY ${order[t]}`,
          )
          .run();
      for (const t of INDEX_TABLES) this.db.prepare(`DELETE FROM temp.stage_${t}`).run();
    });
    withSqliteErrors(() => run.immediate());
  }

  indexDigest(scratch = false): Record<string, string> {
    const p = scratch ? "temp.scratch_" : "main.";
    const order: Record<string, string> = {
      idx_marked_pixels: "pixel_sha256",
      idx_tokens: "token",
      idx_source_pixels: "pixel_sha256, entry_index",
      idx_zw: "entry_index",
    };
    const out: Record<string, string> = {};
    for (const t of INDEX_TABLES) {
      const h = createHash("sha256");
      let n = 0;
      for (const r of this.db
        .prepare(`SELECT * FROM ${p}${t} ORDER BY ${order[t]}`)
        .raw()
        .iterate()) {
        for (const v of r as unknown[]) {
          const b =
            v === null ? Buffer.from("null") : Buffer.isBuffer(v) ? v : Buffer.from(String(v));
          h.update(`${b.length}:`).update(b);
        }
        n++;
      }
      out[t] = `${n}:${h.digest("hex")}`;
    }
    return out;
  }

  close(): void {
    this.db.close();
  }
}

function prepare(db: Db) {
  return {
    size: db.prepare("SELECT MAX(idx) + 1 FROM ledger_entries").pluck(),
    entry: db.prepare("SELECT * FROM ledger_entries WHERE idx = ?"),
    entries: db.prepare("SELECT * FROM ledger_entries WHERE idx >= ? ORDER BY idx LIMIT ?"),
    leaf: db.prepare("SELECT leaf_hash FROM ledger_entries WHERE idx = ?").pluck(),
    node: db.prepare("SELECT hash FROM ledger_nodes WHERE level = ? AND idx = ?").pluck(),
    nodeRange: db.prepare(
      "SELECT idx, hash FROM ledger_nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx",
    ),
    insEntry: db.prepare(
      "INSERT INTO ledger_entries(idx, time, type, body, prev_hash, leaf_hash) VALUES (?, ?, ?, ?, ?, ?)",
    ),
    insNode: db.prepare("INSERT INTO ledger_nodes(level, idx, hash) VALUES (?, ?, ?)"),
    addCheckpoint: db.prepare(
      "INSERT INTO ledger_checkpoints(tree_size, root_hash, note, key_id, created_at) VALUES (?, ?, ?, ?, ?)",
    ),
    checkpoints: db.prepare("SELECT * FROM ledger_checkpoints ORDER BY tree_size"),
    latestCheckpoint: db.prepare(
      "SELECT * FROM ledger_checkpoints ORDER BY tree_size DESC LIMIT 1",
    ),
    addAnchor: db.prepare(
      "INSERT INTO ledger_anchors(tree_size, root_hash, chain_id, contract, tx_hash, block_number, anchor_index, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    anchors: db.prepare("SELECT * FROM ledger_anchors ORDER BY id"),
    findMarked: db
      .prepare("SELECT entry_index FROM idx_marked_pixels WHERE pixel_sha256 = ?")
      .pluck(),
    findToken: db.prepare("SELECT entry_index FROM idx_tokens WHERE token = ?").pluck(),
    findSource: db
      .prepare(
        "SELECT entry_index FROM idx_source_pixels WHERE pixel_sha256 = ? ORDER BY entry_index",
      )
      .pluck(),
    findShare: db
      .prepare(
        "SELECT entry_index FROM idx_zw WHERE substr(share, 1, 8) = substr(@share, 1, 8) AND share = @share ORDER BY entry_index",
      )
      .pluck(),
    zwAll: db.prepare("SELECT * FROM idx_zw ORDER BY entry_index"),
    zwByParams: db.prepare("SELECT * FROM idx_zw WHERE params_id = ? ORDER BY entry_index"),
    index: insertIndexStatements(db, "main."),
    lastIndexed: db.prepare(
      "INSERT INTO idx_state(name, value) VALUES ('lastIndexed', ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
    ),
  };
}

function insertIndexStatements(db: Db, p: string) {
  const marked = db.prepare(
    `INSERT INTO ${p}idx_marked_pixels(pixel_sha256, entry_index) VALUES (?, ?)`,
  );
  const token = db.prepare(`INSERT INTO ${p}idx_tokens(token, entry_index) VALUES (?, ?)`);
  const source = db.prepare(
    `INSERT OR IGNORE INTO ${p}idx_source_pixels(pixel_sha256, entry_index) VALUES (?, ?)`,
  );
  const zw = db.prepare(
    `INSERT INTO ${p}idx_zw(entry_index, params_id, mask, share, fullbits) VALUES (?, ?, ?, ?, ?)`,
  );
  return (index: number, rows: IndexRows): void => {
    for (const h of rows.markedPixels) marked.run(h, index);
    for (const t of rows.tokens) token.run(t, index);
    for (const h of rows.sourcePixels) source.run(h, index);
    if (rows.zw) zw.run(index, rows.zw.paramsId, rows.zw.mask, rows.zw.share, rows.zw.fullbits);
  };
}
