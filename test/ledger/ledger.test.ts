// The SQLite-backed ledger: genesis, append, proofs, checkpoints, reopen, index (ledger.md §11, §16.4).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Ledger,
  merkleRoot,
  parseCanonical,
  SqliteLedgerStore,
  verifyCheckpointNote,
  verifyConsistency,
  verifyInclusion,
} from "../../src/ledger/index.ts";
import { DEPLOYMENT, fixture, populate, SIGNER } from "./helpers.ts";
import { mixEntry } from "./mix.ts";

test("genesis, appends, checkpoints and proofs against the stored nodes", async () => {
  const f = await fixture({ checkpointEvery: 100 });
  try {
    const g = f.ledger.entry(0);
    assert.equal(g.entry.type, "log.genesis");
    assert.equal(f.ledger.latestCheckpoint()?.size, 1);
    await populate(f.ledger, 299, 0, 37);
    assert.equal(f.ledger.size, 300);
    const leaves = Array.from({ length: 300 }, (_, i) => f.ledger.entry(i).leafHash);
    for (const size of [1, 2, 3, 64, 100, 101, 255, 256, 257, 300]) {
      const root = merkleRoot(leaves.slice(0, size));
      assert.deepEqual(f.ledger.rootAt(size), root);
      for (const m of [0, Math.floor(size / 2), size - 1])
        verifyInclusion(m, size, leaves[m], f.ledger.inclusionProof(m, size), root);
      for (const m of [1, 7, 100, size])
        if (m <= size)
          verifyConsistency(
            m,
            size,
            merkleRoot(leaves.slice(0, m)),
            root,
            f.ledger.consistencyProof(m, size),
          );
    }
    // Auto-checkpoints every 100 entries, each consistent and verifiable.
    const sizes = f.store.checkpoints().map((c) => c.treeSize);
    assert.ok(sizes.includes(1) && sizes.length >= 3, `${sizes}`);
    for (const c of f.store.checkpoints())
      assert.equal(verifyCheckpointNote(c.note, [SIGNER]).size, c.treeSize);
    const cp = await f.ledger.checkpoint();
    assert.equal(cp.size, 300);
    // Chain: each prevHash is the previous leaf hash.
    for (let i = 1; i < 300; i++)
      assert.equal(f.ledger.entry(i).entry.prevHash, Buffer.from(leaves[i - 1]).toString("hex"));
    const report = await f.ledger.verify();
    assert.equal(report.ok, true, JSON.stringify(report.firstError));
    assert.equal(report.size, 300);
  } finally {
    await f.cleanup();
  }
});

test("concurrent callers share transactions; time never decreases; reopen restores the tail", async () => {
  const f = await fixture();
  try {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, k) => f.ledger.append([mixEntry(k), mixEntry(k + 1000)])),
    );
    const indices = results
      .flat()
      .map((r) => r.index)
      .sort((a, b) => a - b);
    assert.deepEqual(
      indices,
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    let prev = "";
    for (const e of f.ledger.scan()) {
      assert.ok(e.entry.time >= prev);
      prev = e.entry.time;
    }
    await f.ledger.checkpoint();
    const root = f.ledger.rootAt(101);
    await f.ledger.close();
    const again = await Ledger.open(f.store, SIGNER, {
      deploymentId: DEPLOYMENT,
      checkpointAfterMs: 0,
    });
    assert.equal(again.size, 101);
    assert.deepEqual(again.rootAt(101), root);
    const [r] = await again.append([mixEntry(5000)]);
    assert.equal(r.index, 101);
    assert.equal(
      again.entry(101).entry.prevHash,
      Buffer.from(f.store.leafHash(100)!).toString("hex"),
    );
    await again.close();
  } finally {
    await f.cleanup();
  }
});

test("schema errors reject only their caller; forbidden fields; duplicate tokens refused", async () => {
  const f = await fixture();
  try {
    const good = mixEntry(1);
    const extra = {
      ...mixEntry(1),
      body: { ...mixEntry(1).body, note: "x" },
    } as unknown as typeof good;
    await assert.rejects(f.ledger.append([extra]), { code: "LEDGER_SCHEMA" });
    const forbidden = {
      type: "grant.revoked",
      actor: "system",
      body: { grantId: "g", reason: "other", revokedBy: "system", wmKey: "00" },
    } as never;
    await assert.rejects(f.ledger.append([forbidden]), { code: "LEDGER_FORBIDDEN_FIELD" });
    const shared = Array.from({ length: 40 }, (_, k) => mixEntry(k)).find(
      (e) => e.type === "image.shared",
    )!;
    const [a, b] = await Promise.allSettled([
      f.ledger.append([shared]),
      f.ledger.append([shared]),
      f.ledger.append([good]),
    ]);
    assert.equal(a.status, "fulfilled");
    assert.equal(b.status, "rejected");
    assert.equal((b as PromiseRejectedResult).reason.code, "LEDGER_DUPLICATE");
    // The failed transaction left nothing behind and the tail is intact.
    const report = await f.ledger.verify();
    assert.equal(report.ok, true, JSON.stringify(report.firstError));
    assert.equal(report.size, f.ledger.size);
  } finally {
    await f.cleanup();
  }
});

test("a crash mid-batch leaves no partial entries and the tail reloads", async () => {
  const f = await fixture();
  try {
    await populate(f.ledger, 20);
    const before = f.ledger.size;
    // Entry 10 of this batch carries a token already on the log: the whole batch rolls back.
    const batch = Array.from({ length: 30 }, (_, j) => mixEntry(100 + j));
    const dupe = Array.from({ length: 20 }, (_, k) => mixEntry(k)).find(
      (e) => e.type === "image.shared",
    )!;
    batch.splice(10, 0, dupe);
    await assert.rejects(f.ledger.append(batch), { code: "LEDGER_DUPLICATE" });
    assert.equal(f.store.size(), before);
    assert.equal(f.ledger.size, before);
    await f.ledger.append([mixEntry(200)]);
    const reopened = SqliteLedgerStore.open(f.path);
    const l2 = await Ledger.open(reopened, SIGNER, {
      deploymentId: DEPLOYMENT,
      checkpointAfterMs: 0,
    });
    assert.equal(l2.size, before + 1);
    assert.equal((await l2.verify()).ok, true);
    await l2.close();
    reopened.close();
  } finally {
    await f.cleanup();
  }
});

test("trace index: lookups, rebuild equals incremental, tampered index detected", async () => {
  const f = await fixture();
  try {
    await populate(f.ledger, process.env.MEDTRACE_NIGHTLY ? 10_000 : 2_000);
    let checked = 0;
    for (const e of f.ledger.scan()) {
      if (e.entry.type === "image.shared") {
        const b = e.entry.body as {
          copy: { pixelSha256: string; token: string };
          source: { pixelSha256: string };
        };
        assert.equal(f.ledger.lookupMarkedPixels(Buffer.from(b.copy.pixelSha256, "hex")), e.index);
        assert.equal(f.ledger.lookupToken(Buffer.from(b.copy.token, "hex")), e.index);
        assert.ok(
          f.ledger.lookupSourcePixels(Buffer.from(b.source.pixelSha256, "hex")).includes(e.index),
        );
        checked++;
      } else if (e.entry.type === "zw.registered") {
        const b = e.entry.body as { share: string };
        assert.deepEqual(f.ledger.lookupShare(Buffer.from(b.share, "base64")), [e.index]);
      }
      if (checked > 300) break;
    }
    assert.equal(f.ledger.lookupToken(new Uint8Array(16)), null);
    assert.ok(f.ledger.zwCandidates("3f2a9c0d1e5b7a66").length > 100);
    assert.deepEqual(await f.ledger.checkIndex(), { ok: true, differs: [] });
    const before = f.store.indexDigest();
    await f.ledger.rebuildIndex();
    assert.deepEqual(f.store.indexDigest(), before);
    f.store.db
      .prepare(
        "DELETE FROM idx_tokens WHERE entry_index = (SELECT MIN(entry_index) FROM idx_tokens)",
      )
      .run();
    assert.deepEqual(await f.ledger.checkIndex(), { ok: false, differs: ["idx_tokens"] });
    await f.ledger.rebuildIndex();
    assert.equal((await f.ledger.checkIndex()).ok, true);
  } finally {
    await f.cleanup();
  }
});

test("stored entries parse as canonical JSON", async () => {
  const f = await fixture();
  try {
    await populate(f.ledger, 50);
    for (const r of f.store.entries(0, 100)) parseCanonical(r.body);
  } finally {
    await f.cleanup();
  }
});
