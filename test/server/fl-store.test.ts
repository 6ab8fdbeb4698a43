// The training-session store (migration 004 + content-addressed blobs) on SQLite and PostgreSQL:
// records come back in commit order, blobs by hash, and a coordinator restores from them.
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { initBackend } from "../../src/fl/backend.ts";
import { blobOf, Coordinator } from "../../src/fl/protocol/index.ts";
import { openDatabase } from "../../src/server/db/index.ts";
import { DbSessionStore } from "../../src/server/fl/store.ts";
import { startPostgres } from "../support/postgres.ts";
import { BACKENDS } from "./api-helpers.ts";

for (const backend of BACKENDS) {
  describe(`training-session store (${backend})`, () => {
    const dir = mkdtempSync(join(tmpdir(), "medtrace-flstore-"));
    const stops: (() => Promise<void>)[] = [];
    after(async () => {
      for (const s of stops) await s();
      rmSync(dir, { recursive: true, force: true });
    });

    test("records in commit order, blobs by hash, and a coordinator restored from them", async () => {
      await initBackend("cpu");
      const pg = backend === "postgres" ? await startPostgres() : null;
      const database = await openDatabase(pg ? pg.url : `sqlite:${join(dir, "db.sqlite")}`);
      stops.push(async () => {
        await database.close();
        await pg?.stop();
      });
      const store = new DbSessionStore(database.db, dir);
      const deps = { serverKey: generateKeyPairSync("ed25519").privateKey, nodeKey: () => undefined };
      const { coordinator, step } = Coordinator.create({ dataset: { tag: "t" }, seed: "5" }, deps, { sessionId: "s1", candidates: ["a", "b", "c"], now: 1 });
      await store.commit("s1", step.records, step.blobs);
      const extra = blobOf(Uint8Array.of(1, 2, 3));
      await store.commit("s1", [{ kind: "node.answer", nodeId: "a", seq: 7, accept: true, n: 10, backend: "wasm", at: 2 }], [extra]);
      await store.commit("s2", [{ kind: "session.started", at: 3 }], []);
      const recs = await store.records("s1");
      assert.deepEqual(recs.map((r) => r.kind), ["session.created", "node.answer"]);
      assert.deepEqual(recs[0], JSON.parse(JSON.stringify(step.records[0])));
      assert.deepEqual(await store.blob(extra.sha256), Uint8Array.of(1, 2, 3));
      assert.equal(await store.blob("0".repeat(64)), undefined);
      assert.equal(await store.blob("../../etc/passwd"), undefined);
      assert.ok(!readdirSync(join(dir, "blobs")).some((f) => f.endsWith(".tmp")), "no temporary file left behind");
      assert.ok(existsSync(join(dir, "blobs", step.blobs[0].sha256)));
      const restored = await Coordinator.restore(store, "s1", deps, 10);
      const v = restored.coordinator.view();
      assert.equal(v.state, "pending");
      assert.equal(v.planHash, coordinator.planHash);
      assert.deepEqual(v.nodes, [{ nodeId: "a", accepted: true, n: 10 }]);
      assert.equal(restored.coordinator.model().modelHash, coordinator.model().modelHash);
    });
  });
}
