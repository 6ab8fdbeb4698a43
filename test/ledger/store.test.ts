// The LedgerStore contract, run against both stores: SQLite (better-sqlite3) and PostgreSQL (pg,
// a throwaway cluster from test/support/postgres.ts). Same ledger, same answers, same refusals
// (ledger.md §11, §12.1 T1, T2, T6, T8; §16 item 4).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Ledger, type LedgerStore, SqliteLedgerStore } from "../../src/ledger/index.ts";
import { PostgresLedgerStore } from "../../src/ledger/store/postgres.ts";
import { withSqliteErrors } from "../../src/ledger/store/sqlite.ts";
import { startPostgres, type TestPostgres } from "../support/postgres.ts";
import { DEPLOYMENT, populate, SIGNER } from "./helpers.ts";
import { mixEntry } from "./mix.ts";

const TABLES = ["ledger_entries", "ledger_nodes", "ledger_checkpoints", "ledger_anchors"];

/** One backend: how to open a store on the same database again, and raw SQL for tamper drills. */
interface Backend {
  open(): LedgerStore;
  /** Runs SQL with `?` placeholders, driver errors mapped to ledger codes. */
  exec(store: LedgerStore, sql: string, params?: unknown[]): void;
  disableTriggers(store: LedgerStore): void;
  dispose(): Promise<void>;
}

function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), "medtrace-store-"));
  const path = join(dir, "ledger.db");
  return {
    open: () => SqliteLedgerStore.open(path, { synchronous: "NORMAL" }),
    exec: (s, sql, params = []) =>
      withSqliteErrors(() => (s as SqliteLedgerStore).db.prepare(sql).run(...params)),
    disableTriggers: (s) => {
      const db = (s as SqliteLedgerStore).db;
      for (const t of TABLES)
        db.exec(`DROP TRIGGER IF EXISTS ${t}_no_update; DROP TRIGGER IF EXISTS ${t}_no_delete;`);
      db.exec("DROP TRIGGER IF EXISTS ledger_entries_contiguous");
    },
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function postgresBackend(): Promise<Backend> {
  const pg: TestPostgres = await startPostgres();
  const numbered = (sql: string) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  return {
    open: () => PostgresLedgerStore.open(pg.url),
    exec: (s, sql, params = []) => void (s as PostgresLedgerStore).sql(numbered(sql), params),
    disableTriggers: (s) => {
      for (const t of TABLES) (s as PostgresLedgerStore).sql(`ALTER TABLE ${t} DISABLE TRIGGER USER`);
    },
    dispose: () => pg.stop(),
  };
}

const BACKENDS: [string, () => Promise<Backend>][] = [
  ["sqlite", async () => sqliteBackend()],
  ["postgres", postgresBackend],
];

for (const [name, make] of BACKENDS) {
  describe(`LedgerStore contract: ${name}`, () => {
    let backend: Backend;
    let store: LedgerStore;
    let ledger: Ledger;
    const open = (s: LedgerStore) =>
      Ledger.open(s, SIGNER, { deploymentId: DEPLOYMENT, checkpointAfterMs: 0, checkpointEvery: 250 });

    before(async () => {
      backend = await make();
      store = backend.open();
      ledger = await open(store);
    });
    after(async () => {
      await ledger.close();
      store.close();
      await backend.dispose();
    });

    test("appends, checkpoints, proofs and a clean audit", async () => {
      await populate(ledger, 1200);
      assert.equal(store.size(), 1201);
      const sizes = store.checkpoints().map((c) => c.treeSize);
      assert.equal(sizes[0], 1);
      assert.ok(sizes.length >= 3, `checkpoints at ${sizes}`);
      const cp = await ledger.checkpoint();
      assert.equal(cp.size, 1201);
      const proof = ledger.inclusionProof(700, 1201);
      assert.equal(proof.length, 11);
      assert.equal(store.entry(700)!.index, 700);
      assert.deepEqual(store.entry(701)!.prevHash, store.leafHash(700));
      const report = await ledger.verify();
      assert.equal(report.ok, true, JSON.stringify(report.firstError));
      assert.equal(report.checkpointsChecked, store.checkpoints().length);
    });

    test("trace index: lookups, rebuild equals incremental, a deleted row is detected", async () => {
      let checked = 0;
      for (const e of ledger.scan()) {
        if (e.entry.type === "image.shared") {
          const b = e.entry.body as { copy: { pixelSha256: string; token: string } };
          assert.equal(ledger.lookupMarkedPixels(Buffer.from(b.copy.pixelSha256, "hex")), e.index);
          assert.equal(ledger.lookupToken(Buffer.from(b.copy.token, "hex")), e.index);
          checked++;
        } else if (e.entry.type === "zw.registered") {
          const b = e.entry.body as { share: string };
          assert.deepEqual(ledger.lookupShare(Buffer.from(b.share, "base64")), [e.index]);
        }
        if (checked > 100) break;
      }
      assert.equal(ledger.lookupToken(new Uint8Array(16)), null);
      assert.ok(ledger.zwCandidates("3f2a9c0d1e5b7a66").length > 100);
      assert.deepEqual(await ledger.checkIndex(), { ok: true, differs: [] });
      const digest = store.indexDigest();
      await ledger.rebuildIndex();
      assert.deepEqual(store.indexDigest(), digest);
      backend.exec(store, "DELETE FROM idx_tokens WHERE entry_index = (SELECT MIN(entry_index) FROM idx_tokens)");
      assert.deepEqual(await ledger.checkIndex(), { ok: false, differs: ["idx_tokens"] });
      await ledger.rebuildIndex();
      assert.equal((await ledger.checkIndex()).ok, true);
    });

    test("a duplicate token rolls the whole batch back; a reopened store has the same tail", async () => {
      const size = ledger.size;
      const batch = Array.from({ length: 30 }, (_, j) => mixEntry(5000 + j));
      batch.splice(10, 0, Array.from({ length: 20 }, (_, k) => mixEntry(k)).find((e) => e.type === "image.shared")!);
      await assert.rejects(ledger.append(batch), { code: "LEDGER_DUPLICATE" });
      assert.equal(store.size(), size);
      await ledger.append([mixEntry(6000)]);
      const again = backend.open();
      try {
        const l2 = await open(again);
        assert.equal(l2.size, size + 1);
        assert.equal(l2.rootAt(size + 1).length, 32);
        assert.deepEqual(l2.rootAt(size + 1), ledger.rootAt(size + 1));
        await l2.close();
      } finally {
        again.close();
      }
    });

    test("T1: UPDATE and DELETE on every ledger table are refused; a gap is refused", async () => {
      store.addAnchor({
        treeSize: 10,
        rootHash: ledger.rootAt(10),
        chainId: 31337,
        contract: `0x${"ab".repeat(20)}`,
        txHash: `0x${"cd".repeat(32)}`,
        blockNumber: 3,
        anchorIndex: 0,
        createdAt: new Date().toISOString(),
      });
      const keyCol: Record<string, string> = {
        ledger_entries: "idx",
        ledger_nodes: "idx",
        ledger_checkpoints: "tree_size",
        ledger_anchors: "id",
      };
      for (const t of TABLES) {
        const k = keyCol[t];
        assert.throws(() => backend.exec(store, `UPDATE ${t} SET ${k} = ${k}`), { code: "LEDGER_APPEND_ONLY" }, t);
        assert.throws(() => backend.exec(store, `DELETE FROM ${t}`), { code: "LEDGER_APPEND_ONLY" }, t);
      }
      if (name === "postgres")
        for (const t of TABLES)
          assert.throws(() => backend.exec(store, `TRUNCATE ${t} CASCADE`), { code: "LEDGER_APPEND_ONLY" }, t);
      const row = store.entry(store.size() - 1)!;
      assert.throws(
        () => store.append([{ row: { ...row, index: row.index + 2 }, nodes: [], index: { markedPixels: [], tokens: [], sourcePixels: [], zw: null } }]),
        { code: "LEDGER_GAP" },
      );
      assert.equal((await ledger.verify()).ok, true);
    });

    test("T2 and T6 with the triggers disabled: an edited body and a cut tail are found", async () => {
      backend.disableTriggers(store);
      const body = Buffer.from(store.entry(3)!.body);
      const edited = Buffer.from(body.toString("utf8").replace('"keyEpoch":1', '"keyEpoch":2'));
      assert.notDeepEqual(edited, body);
      backend.exec(store, "UPDATE ledger_entries SET body = ? WHERE idx = 3", [edited]);
      let report = await ledger.verify();
      assert.deepEqual([report.firstError?.code, report.firstError?.index], ["LEDGER_LEAF_MISMATCH", 3]);
      backend.exec(store, "UPDATE ledger_entries SET body = ? WHERE idx = 3", [body]);
      assert.equal((await ledger.verify()).ok, true);
      const size = store.size();
      backend.exec(store, "DELETE FROM ledger_entries WHERE idx >= ?", [size - 5]);
      report = await ledger.verify();
      const signed = store.latestCheckpoint()!.treeSize;
      assert.ok(signed > size - 5);
      assert.deepEqual([report.firstError?.code, report.firstError?.size], ["LEDGER_TRUNCATED", signed]);
    });
  });
}
