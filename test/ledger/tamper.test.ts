// Tamper cases T1–T11 of ledger.md §12.1 on SQLite: each must be caught with its code.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  canonicalize,
  indexRowsOf,
  leafHash,
  type NewEntry,
  type SqliteLedgerStore,
  sealEntry,
  signCheckpoint,
} from "../../src/ledger/index.ts";
import { loadFrontier } from "../../src/ledger/log/subtree.ts";
import { withSqliteErrors } from "../../src/ledger/store/sqlite.ts";
import { type Fixture, fixture, populate, SIGNER } from "./helpers.ts";
import { mixEntry } from "./mix.ts";

const TABLES = ["ledger_entries", "ledger_nodes", "ledger_checkpoints", "ledger_anchors"];

/** 12 entries, checkpoints at 1, 5, 10 and 12, one correct anchor at 10. */
async function sample(): Promise<Fixture> {
  const f = await fixture({ checkpointEvery: 0 });
  await populate(f.ledger, 4);
  await f.ledger.checkpoint();
  await populate(f.ledger, 5, 4);
  await f.ledger.checkpoint();
  await populate(f.ledger, 2, 9);
  await f.ledger.checkpoint();
  f.store.addAnchor({
    treeSize: 10,
    rootHash: f.ledger.rootAt(10),
    chainId: 31337,
    contract: `0x${"ab".repeat(20)}`,
    txHash: `0x${"cd".repeat(32)}`,
    blockNumber: 3,
    anchorIndex: 0,
    createdAt: new Date().toISOString(),
  });
  assert.deepEqual(
    f.store.checkpoints().map((c) => c.treeSize),
    [1, 5, 10, 12],
  );
  return f;
}

function dropTriggers(store: SqliteLedgerStore): void {
  for (const t of TABLES) {
    store.db.exec(`DROP TRIGGER IF EXISTS ${t}_no_update; DROP TRIGGER IF EXISTS ${t}_no_delete;`);
  }
  store.db.exec("DROP TRIGGER IF EXISTS ledger_entries_contiguous");
}

function editedBody(store: SqliteLedgerStore, idx: number, space = false): Buffer {
  const e = JSON.parse(Buffer.from(store.entry(idx)!.body).toString()) as {
    actor: string;
    body: Record<string, unknown>;
  };
  e.body = { ...e.body };
  // A schema-valid edit: the epoch of a mark, or the grant id.
  if (!space && typeof e.body.keyEpoch === "number") e.body.keyEpoch += 1;
  else if (!space) e.body.grantId = `${e.body.grantId}x`;
  const text = canonicalize(e);
  return Buffer.from(space ? text.replace(`"actor":`, `"actor": `) : text);
}

async function expectFirst(
  f: Fixture,
  code: string,
  at: { index?: number; size?: number },
  external = [],
) {
  const r = await f.ledger.verify({ external });
  assert.equal(r.ok, false);
  assert.equal(r.firstError?.code, code, JSON.stringify(r.findings.slice(0, 4)));
  if (at.index !== undefined) assert.equal(r.firstError?.index, at.index);
  if (at.size !== undefined) assert.equal(r.firstError?.size, at.size);
}

/** Deletes entries ≥ from (and their nodes and index rows) and appends other entries in their place. */
function rewriteTail(store: SqliteLedgerStore, from: number, entries: NewEntry[]): void {
  store.db.prepare("DELETE FROM ledger_entries WHERE idx >= ?").run(from);
  store.db.prepare("DELETE FROM ledger_nodes WHERE (idx + 1) * (1 << level) > ?").run(from);
  for (const t of ["idx_marked_pixels", "idx_tokens", "idx_source_pixels", "idx_zw"])
    store.db.prepare(`DELETE FROM ${t} WHERE entry_index >= ?`).run(from);
  const frontier = loadFrontier(store, from);
  const last = store.entry(from - 1)!;
  let tail = { size: from, lastHash: last.leafHash, lastTime: last.time };
  const rows = entries.map((e) => {
    const s = sealEntry(e, tail, new Date());
    const row = {
      index: tail.size,
      time: s.entry.time,
      type: s.entry.type,
      body: s.bytes,
      prevHash: tail.lastHash,
      leafHash: s.leafHash,
    };
    tail = { size: tail.size + 1, lastHash: s.leafHash, lastTime: s.entry.time };
    return { row, nodes: frontier.push(s.leafHash), index: indexRowsOf(s.entry) };
  });
  store.append(rows);
}

test("untampered sample log verifies", async () => {
  const f = await sample();
  try {
    const r = await f.ledger.verify();
    assert.equal(r.ok, true, JSON.stringify(r.firstError));
    assert.deepEqual([r.size, r.checkpointsChecked, r.anchorsChecked], [12, 4, 1]);
  } finally {
    await f.cleanup();
  }
});

test("T1: UPDATE and DELETE on every ledger table are refused; index gaps are refused", async () => {
  const f = await sample();
  try {
    const keyCol: Record<string, string> = {
      ledger_entries: "idx",
      ledger_nodes: "idx",
      ledger_checkpoints: "tree_size",
      ledger_anchors: "id",
    };
    for (const t of TABLES) {
      assert.throws(
        () =>
          withSqliteErrors(() =>
            f.store.db.prepare(`UPDATE ${t} SET ${keyCol[t]} = ${keyCol[t]}`).run(),
          ),
        { code: "LEDGER_APPEND_ONLY" },
        t,
      );
      assert.throws(
        () => withSqliteErrors(() => f.store.db.prepare(`DELETE FROM ${t}`).run()),
        { code: "LEDGER_APPEND_ONLY" },
        t,
      );
    }
    const row = f.store.entry(11)!;
    assert.throws(
      () =>
        f.store.append([
          {
            row: { ...row, index: 13, leafHash: new Uint8Array(32) },
            nodes: [],
            index: indexRowsOf({ type: "grant.revoked" } as never),
          },
        ]),
      { code: "LEDGER_GAP" },
    );
    assert.equal((await f.ledger.verify()).ok, true);
  } finally {
    await f.cleanup();
  }
});

test("T2: body of entry 3 edited -> LEDGER_LEAF_MISMATCH at 3", async () => {
  const f = await sample();
  try {
    dropTriggers(f.store);
    f.store.db
      .prepare("UPDATE ledger_entries SET body = ? WHERE idx = 3")
      .run(editedBody(f.store, 3));
    await expectFirst(f, "LEDGER_LEAF_MISMATCH", { index: 3 });
  } finally {
    await f.cleanup();
  }
});

test("T3: as T2 with leaf_hash recomputed -> LEDGER_CHAIN_BROKEN at 4", async () => {
  const f = await sample();
  try {
    dropTriggers(f.store);
    const body = editedBody(f.store, 3);
    f.store.db
      .prepare("UPDATE ledger_entries SET body = ?, leaf_hash = ? WHERE idx = 3")
      .run(body, leafHash(body));
    await expectFirst(f, "LEDGER_CHAIN_BROKEN", { index: 4 });
  } finally {
    await f.cleanup();
  }
});

test("T4: tail from 3 rewritten with recomputed chain and nodes -> LEDGER_ROOT_MISMATCH at 5", async () => {
  const f = await sample();
  try {
    dropTriggers(f.store);
    rewriteTail(
      f.store,
      3,
      Array.from({ length: 9 }, (_, j) => mixEntry(500 + j)),
    );
    const r = await f.ledger.verify();
    assert.deepEqual(
      r.findings.filter((x) => x.index !== undefined),
      [],
    );
    await expectFirst(f, "LEDGER_ROOT_MISMATCH", { size: 5 });
  } finally {
    await f.cleanup();
  }
});

test("T5: insider rewrites and re-signs -> local audit passes, a held checkpoint fails: LEDGER_INCONSISTENT", async () => {
  const f = await sample();
  try {
    const held = { size: 5, root: f.ledger.rootAt(5), source: "edge" };
    const heldTip = { size: 12, root: f.ledger.rootAt(12), source: "bundle" };
    const anchorRoot = f.ledger.rootAt(10);
    dropTriggers(f.store);
    rewriteTail(
      f.store,
      3,
      Array.from({ length: 9 }, (_, j) => mixEntry(700 + j)),
    );
    f.store.db.prepare("DELETE FROM ledger_checkpoints WHERE tree_size > 3").run();
    f.store.db.prepare("DELETE FROM ledger_anchors").run();
    const sub = (await import("../../src/ledger/log/subtree.ts")).storeSubtree(f.store);
    for (const size of [5, 10, 12]) {
      const cp = signCheckpoint(SIGNER, { origin: f.ledger.origin, size, root: sub(0, size) });
      f.store.addCheckpoint({
        treeSize: size,
        rootHash: cp.root,
        note: cp.note,
        keyId: cp.keyId,
        createdAt: new Date().toISOString(),
      });
    }
    const local = await f.ledger.verify();
    assert.equal(local.ok, true, JSON.stringify(local.firstError));
    await expectFirst(f, "LEDGER_INCONSISTENT", { size: 5 }, [held] as never);
    await expectFirst(f, "LEDGER_INCONSISTENT", { size: 12 }, [heldTip] as never);
    await expectFirst(f, "LEDGER_INCONSISTENT", { size: 10 }, [
      { size: 10, root: anchorRoot, source: "anchor" },
    ] as never);
  } finally {
    await f.cleanup();
  }
});

test("T6: last 5 entries deleted, checkpoints kept -> LEDGER_TRUNCATED", async () => {
  const f = await sample();
  try {
    dropTriggers(f.store);
    f.store.db.prepare("DELETE FROM ledger_entries WHERE idx >= 7").run();
    await expectFirst(f, "LEDGER_TRUNCATED", { size: 10 });
  } finally {
    await f.cleanup();
  }
});

test("T7: two entries' bodies swapped -> LEDGER_CHAIN_BROKEN", async () => {
  const f = await sample();
  try {
    dropTriggers(f.store);
    const b3 = Buffer.from(f.store.entry(3)!.body);
    const b4 = Buffer.from(f.store.entry(4)!.body);
    f.store.db.prepare("UPDATE ledger_entries SET body = ? WHERE idx = 3").run(b4);
    f.store.db.prepare("UPDATE ledger_entries SET body = ? WHERE idx = 4").run(b3);
    await expectFirst(f, "LEDGER_CHAIN_BROKEN", { index: 3 });
  } finally {
    await f.cleanup();
  }
});

test("T8: an index gap inserted -> LEDGER_GAP", async () => {
  const f = await sample();
  try {
    dropTriggers(f.store);
    const r = f.store.entry(11)!;
    f.store.db
      .prepare(
        "INSERT INTO ledger_entries(idx, time, type, body, prev_hash, leaf_hash) VALUES (?, ?, ?, ?, ?, ?)",
      )
      .run(14, r.time, r.type, Buffer.from("{}"), r.leafHash, Buffer.alloc(32, 1));
    await expectFirst(f, "LEDGER_GAP", { index: 12 });
  } finally {
    await f.cleanup();
  }
});

test("T9: one bit flipped in a checkpoint signature -> LEDGER_CHECKPOINT_SIGNATURE", async () => {
  const f = await sample();
  try {
    dropTriggers(f.store);
    const cp = f.store.checkpoints().find((c) => c.treeSize === 5)!;
    const at = cp.note.lastIndexOf(" ") + 1;
    const sig = Buffer.from(cp.note.slice(at, -1), "base64");
    sig[20] ^= 0x08;
    f.store.db
      .prepare("UPDATE ledger_checkpoints SET note = ? WHERE tree_size = 5")
      .run(`${cp.note.slice(0, at)}${sig.toString("base64")}\n`);
    await expectFirst(f, "LEDGER_CHECKPOINT_SIGNATURE", { size: 5 });
  } finally {
    await f.cleanup();
  }
});

test("T10: whitespace added to a body, leaf hash recomputed -> LEDGER_NONCANONICAL", async () => {
  const f = await sample();
  try {
    dropTriggers(f.store);
    const body = editedBody(f.store, 3, true);
    assert.equal(
      JSON.stringify(JSON.parse(body.toString())),
      Buffer.from(f.store.entry(3)!.body).toString(),
    );
    f.store.db
      .prepare("UPDATE ledger_entries SET body = ?, leaf_hash = ? WHERE idx = 3")
      .run(body, leafHash(body));
    await expectFirst(f, "LEDGER_NONCANONICAL", { index: 3 });
  } finally {
    await f.cleanup();
  }
});

test("T11: a writer anchors a wrong root -> ANCHOR_MISMATCH", async () => {
  const f = await sample();
  try {
    f.store.addAnchor({
      treeSize: 12,
      rootHash: f.ledger.rootAt(11),
      chainId: 31337,
      contract: `0x${"ab".repeat(20)}`,
      txHash: `0x${"ef".repeat(32)}`,
      blockNumber: 4,
      anchorIndex: 1,
      createdAt: new Date().toISOString(),
    });
    await expectFirst(f, "ANCHOR_MISMATCH", { size: 12 });
  } finally {
    await f.cleanup();
  }
});

test("reopening a tampered tail is refused at start-up", async () => {
  const f = await sample();
  try {
    dropTriggers(f.store);
    rewriteTail(
      f.store,
      3,
      Array.from({ length: 9 }, (_, j) => mixEntry(900 + j)),
    );
    const { Ledger } = await import("../../src/ledger/index.ts");
    const { DEPLOYMENT } = await import("./helpers.ts");
    await assert.rejects(Ledger.open(f.store, SIGNER, { deploymentId: DEPLOYMENT }), {
      code: "LEDGER_ROOT_MISMATCH",
    });
  } finally {
    await f.cleanup();
  }
});

test("the parallel audit (worker threads) reports exactly what the sequential one does", async () => {
  const { verifyLog, verifyLogParallel } = await import("../../src/ledger/index.ts");
  const f = await fixture({ checkpointEvery: 100 });
  try {
    await populate(f.ledger, 1_500);
    await f.ledger.checkpoint();
    const keys = { trustedKeys: [SIGNER], chunk: 128, minEntries: 0 };
    const clean = await verifyLogParallel(f.path, { ...keys, workers: 2 });
    assert.deepEqual(clean, verifyLog(f.store, keys));
    assert.equal(clean.ok, true);
    dropTriggers(f.store);
    const body = editedBody(f.store, 700);
    f.store.db.prepare("UPDATE ledger_entries SET body = ?, leaf_hash = ? WHERE idx = 700").run(body, leafHash(body));
    // 768 = 6 × 128 starts a chunk: the broken link is checked across the chunk boundary.
    const body2 = editedBody(f.store, 767);
    f.store.db.prepare("UPDATE ledger_entries SET body = ?, leaf_hash = ? WHERE idx = 767").run(body2, leafHash(body2));
    f.store.db.prepare("DELETE FROM ledger_entries WHERE idx IN (1300, 1301)").run();
    const seq = verifyLog(f.store, keys);
    const par = await verifyLogParallel(f.path, { ...keys, workers: 2 });
    assert.deepEqual(par, seq);
    assert.deepEqual([par.firstError?.code, par.firstError?.index], ["LEDGER_CHAIN_BROKEN", 701]);
    assert.ok(par.findings.some((x) => x.code === "LEDGER_GAP" && x.index === 1300));
    assert.ok(par.findings.some((x) => x.code === "LEDGER_CHAIN_BROKEN" && x.index === 768));
    // The integrity-only audit (no per-entry schema validation) finds the same tampering.
    const fast = await verifyLogParallel(f.path, { ...keys, workers: 2, schema: false });
    assert.deepEqual(fast.findings, par.findings);
  } finally {
    await f.cleanup();
  }
});
