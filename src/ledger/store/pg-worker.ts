// Worker of PostgresLedgerStore: owns the one pg connection, runs each request and wakes the
// calling thread (see postgres.ts for why the store is synchronous).
import { createHash } from "node:crypto";
import { type MessagePort, workerData } from "node:worker_threads";
import pg from "pg";
import type { IndexRows } from "../trace/rows.ts";
import { INDEX_SCHEMA_VERSION, INDEX_TABLES } from "./schema.ts";
import { PG_LEDGER_SQL, pgIndexTablesSql } from "./pg-schema.ts";
import type { AnchorRow, AppendRow, CheckpointRow } from "./types.ts";

// BIGINT columns hold indexes and sizes below 2^53: numbers, not strings.
pg.types.setTypeParser(20, (v) => Number(v));

const { url, flag, port } = workerData as { url: string; flag: Int32Array; port: MessagePort };
const client = new pg.Client({ connectionString: url });
const b = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

const INDEX_ORDER: Record<string, string> = {
  idx_marked_pixels: "pixel_sha256",
  idx_tokens: "token",
  idx_source_pixels: "pixel_sha256, entry_index",
  idx_zw: "entry_index",
};

async function rows(text: string, values: unknown[] = []): Promise<Record<string, unknown>[]> {
  return (await client.query(text, values)).rows;
}

async function insertIndexRows(prefix: string, list: { index: number; rows: IndexRows }[]) {
  const col = (f: (r: IndexRows) => Uint8Array[]) => {
    const keys: Buffer[] = [];
    const at: number[] = [];
    for (const { index, rows: r } of list)
      for (const k of f(r)) {
        keys.push(b(k));
        at.push(index);
      }
    return [keys, at];
  };
  await client.query(
    `INSERT INTO ${prefix}idx_marked_pixels SELECT * FROM unnest($1::bytea[], $2::bigint[])`,
    col((r) => r.markedPixels),
  );
  await client.query(
    `INSERT INTO ${prefix}idx_tokens SELECT * FROM unnest($1::bytea[], $2::bigint[])`,
    col((r) => r.tokens),
  );
  await client.query(
    `INSERT INTO ${prefix}idx_source_pixels SELECT * FROM unnest($1::bytea[], $2::bigint[]) ON CONFLICT DO NOTHING`,
    col((r) => r.sourcePixels),
  );
  const zw = list.filter((x) => x.rows.zw);
  if (zw.length > 0)
    await client.query(
      `INSERT INTO ${prefix}idx_zw SELECT * FROM unnest($1::bigint[], $2::text[], $3::bytea[], $4::bytea[], $5::bytea[])`,
      [
        zw.map((x) => x.index),
        zw.map((x) => x.rows.zw!.paramsId),
        zw.map((x) => b(x.rows.zw!.mask)),
        zw.map((x) => b(x.rows.zw!.share)),
        zw.map((x) => (x.rows.zw!.fullbits ? b(x.rows.zw!.fullbits) : null)),
      ],
    );
}

async function inTransaction<T>(fn: () => Promise<T>): Promise<T> {
  await client.query("BEGIN");
  try {
    const r = await fn();
    await client.query("COMMIT");
    return r;
  } catch (err) {
    await client.query("ROLLBACK");
    throw err;
  }
}

const ops: Record<string, (...args: never[]) => Promise<unknown>> = {
  async init() {
    await client.connect();
    // Durability of ledger.md §11.2 step 4, whatever the server's default.
    await client.query("SET synchronous_commit = on");
    // Two processes opening one database must not run the migration at the same time.
    await client.query("SELECT pg_advisory_lock(7355608)");
    try {
      await client.query(PG_LEDGER_SQL);
      await client.query(pgIndexTablesSql(false));
      await client.query(
        "INSERT INTO idx_state(name, value) VALUES ('schema', $1) ON CONFLICT DO NOTHING",
        [INDEX_SCHEMA_VERSION],
      );
    } finally {
      await client.query("SELECT pg_advisory_unlock(7355608)");
    }
  },
  async size() {
    return (await rows("SELECT MAX(idx) + 1 AS n FROM ledger_entries"))[0].n ?? 0;
  },
  async entries(from: number, limit: number) {
    return rows("SELECT * FROM ledger_entries WHERE idx >= $1 ORDER BY idx LIMIT $2", [from, limit]);
  },
  async node(level: number, idx: number) {
    return (await rows("SELECT hash FROM ledger_nodes WHERE level = $1 AND idx = $2", [level, idx]))[0]?.hash ?? null;
  },
  async nodeRange(level: number, lo: number, hi: number) {
    return rows(
      "SELECT idx, hash FROM ledger_nodes WHERE level = $1 AND idx >= $2 AND idx < $3 ORDER BY idx",
      [level, lo, hi],
    );
  },
  async append(list: AppendRow[]) {
    await inTransaction(async () => {
      const r = list.map((x) => x.row);
      await client.query(
        `INSERT INTO ledger_entries(idx, time, type, body, prev_hash, leaf_hash)
         SELECT i, t, ty, bo, p, l FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bytea[], $5::bytea[], $6::bytea[])
           WITH ORDINALITY AS u(i, t, ty, bo, p, l, o) ORDER BY o`,
        [
          r.map((x) => x.index),
          r.map((x) => x.time),
          r.map((x) => x.type),
          r.map((x) => b(x.body)),
          r.map((x) => b(x.prevHash)),
          r.map((x) => b(x.leafHash)),
        ],
      );
      const nodes = list.flatMap((x) => x.nodes);
      if (nodes.length > 0)
        await client.query("INSERT INTO ledger_nodes SELECT * FROM unnest($1::int[], $2::bigint[], $3::bytea[])", [
          nodes.map((n) => n.level),
          nodes.map((n) => n.idx),
          nodes.map((n) => b(n.hash)),
        ]);
      await insertIndexRows("", list.map((x) => ({ index: x.row.index, rows: x.index })));
      if (list.length > 0)
        await client.query(
          "INSERT INTO idx_state(name, value) VALUES ('lastIndexed', $1) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
          [String(list[list.length - 1].row.index)],
        );
    });
  },
  async addCheckpoint(cp: CheckpointRow) {
    await client.query(
      "INSERT INTO ledger_checkpoints(tree_size, root_hash, note, key_id, created_at) VALUES ($1, $2, $3, $4, $5)",
      [cp.treeSize, b(cp.rootHash), cp.note, cp.keyId, cp.createdAt],
    );
  },
  async checkpoints(latestOnly: boolean) {
    return rows(`SELECT * FROM ledger_checkpoints ORDER BY tree_size ${latestOnly ? "DESC LIMIT 1" : ""}`);
  },
  async addAnchor(a: AnchorRow) {
    await client.query(
      "INSERT INTO ledger_anchors(tree_size, root_hash, chain_id, contract, tx_hash, block_number, anchor_index, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
      [a.treeSize, b(a.rootHash), a.chainId, a.contract, a.txHash, a.blockNumber, a.anchorIndex, a.createdAt],
    );
  },
  async anchors() {
    return rows("SELECT * FROM ledger_anchors ORDER BY id");
  },
  async find(table: "idx_marked_pixels" | "idx_tokens" | "idx_source_pixels", key: Uint8Array) {
    const col = table === "idx_tokens" ? "token" : "pixel_sha256";
    return (await rows(`SELECT entry_index FROM ${table} WHERE ${col} = $1 ORDER BY entry_index`, [b(key)])).map(
      (r) => r.entry_index,
    );
  },
  async findShare(share: Uint8Array) {
    return (
      await rows(
        "SELECT entry_index FROM idx_zw WHERE substr(share, 1, 8) = substr($1::bytea, 1, 8) AND share = $1 ORDER BY entry_index",
        [b(share)],
      )
    ).map((r) => r.entry_index);
  },
  async zwCandidates(paramsId: string | null) {
    return paramsId === null
      ? rows("SELECT * FROM idx_zw ORDER BY entry_index")
      : rows("SELECT * FROM idx_zw WHERE params_id = $1 ORDER BY entry_index", [paramsId]);
  },
  // A rebuild spans several requests (the rows come from the calling thread): one transaction.
  async rebuildBegin(scratch: boolean) {
    await client.query("BEGIN");
    await client.query(pgIndexTablesSql(scratch));
    for (const t of INDEX_TABLES) await client.query(`DELETE FROM ${scratch ? "scratch_" : ""}${t}`);
  },
  async rebuildRows(scratch: boolean, list: { index: number; rows: IndexRows }[]) {
    await insertIndexRows(scratch ? "scratch_" : "", list);
  },
  async rebuildEnd(commit: boolean) {
    await client.query(commit ? "COMMIT" : "ROLLBACK");
  },
  async indexDigest(scratch: boolean) {
    const out: Record<string, string> = {};
    for (const t of INDEX_TABLES) {
      const h = createHash("sha256");
      const all = (await client.query({ text: `SELECT * FROM ${scratch ? "scratch_" : ""}${t} ORDER BY ${INDEX_ORDER[t]}`, rowMode: "array" })).rows as unknown[][];
      for (const r of all)
        for (const v of r) {
          const x = v === null ? Buffer.from("null") : Buffer.isBuffer(v) ? v : Buffer.from(String(v));
          h.update(`${x.length}:`).update(x);
        }
      out[t] = `${all.length}:${h.digest("hex")}`;
    }
    return out;
  },
  async sql(text: string, values: unknown[]) {
    return rows(text, values);
  },
  async close() {
    await client.end();
  },
};

port.on("message", async (m: { op: string; args: never[] }) => {
  let reply: { result?: unknown; error?: { message: string; constraint?: string; code?: string } };
  try {
    reply = { result: await ops[m.op](...m.args) };
  } catch (err) {
    const e = err as { message?: string; constraint?: string; code?: string };
    reply = { error: { message: e.message ?? String(err), constraint: e.constraint, code: e.code } };
  }
  port.postMessage(reply);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  if (m.op === "close") port.close();
});
