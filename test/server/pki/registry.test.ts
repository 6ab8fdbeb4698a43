import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type Database, openDatabase } from "../../../src/server/db/index.ts";
import { type ConsortiumCa, createCa, createNodeKeyAndCsr, NodeRegistry } from "../../../src/server/pki/index.ts";
import { startPostgres, type TestPostgres } from "../../support/postgres.ts";

for (const backend of ["sqlite", "postgres"] as const) {
  describe(`node registry (${backend})`, () => {
    let database: Database;
    let pg: TestPostgres | undefined;
    let registry: NodeRegistry;
    let ca: ConsortiumCa;

    before(async () => {
      pg = backend === "postgres" ? await startPostgres() : undefined;
      database = await openDatabase(pg ? pg.url : `sqlite:${join(mkdtempSync(join(tmpdir(), "mt-reg-")), "db.sqlite")}`);
      registry = new NodeRegistry(database.db);
      ca = await createCa("c1.test");
    });
    after(async () => {
      await database.close();
      await pg?.stop();
    });

    test("enrolment spends the token once, admission follows status and serial, seq persists", async () => {
      const { token, node } = await registry.createNode({ nodeId: "h1", createdBy: "admin" });
      assert.equal(node.status, "pending");
      assert.equal((await registry.admit("h1", "01")).ok, false);
      await assert.rejects(registry.createNode({ nodeId: "h1", createdBy: "admin" }), { code: "node-exists" });
      const { csrPem } = await createNodeKeyAndCsr("h1");
      await assert.rejects(registry.enrol(ca, { nodeId: "h2", token, csrPem }), { code: "bad-token" });
      const r = await registry.enrol(ca, { nodeId: "h1", token, csrPem });
      await assert.rejects(registry.enrol(ca, { nodeId: "h1", token, csrPem }), { code: "bad-token" });
      assert.deepEqual(await registry.admit("h1", r.serial.toUpperCase()), { ok: true });
      assert.match((await registry.get("h1"))!.keyFingerprint!, /^sha256:[0-9a-f]{64}$/);

      // Seqs are microsecond timestamps near 2^53: stored and compared exactly (bigint in PostgreSQL).
      const seq = Date.now() * 1000;
      await registry.saveSeq("h1", seq);
      await registry.saveSeq("h1", seq - 5);
      assert.equal(await registry.lastSeq("h1"), seq);

      await registry.setStatus("h1", "disabled");
      assert.match((await registry.admit("h1", r.serial) as { reason: string }).reason, /disabled/);
      await registry.setStatus("h1", "active");
      await registry.revoke("h1", "admin", "lost laptop");
      const refused = await registry.admit("h1", r.serial);
      assert.equal(refused.ok, false);
      assert.match((refused as { reason: string }).reason, /revoked/);
      assert.equal((await registry.list()).find((n) => n.nodeId === "h1")!.status, "revoked");
    });

    test("an expired token is refused", async () => {
      await registry.createNode({ nodeId: "h3", createdBy: "admin" });
      const { token } = await registry.issueToken("h3", "admin", -1000);
      const { csrPem } = await createNodeKeyAndCsr("h3");
      await assert.rejects(registry.enrol(ca, { nodeId: "h3", token, csrPem }), /expired/);
    });
  });
}
