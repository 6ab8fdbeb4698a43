// `medtrace demo` as a user runs it: a child process that starts the server, enrols three
// hospitals, runs the data request, leaks a copy and traces it, then prints one JSON summary.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, test } from "node:test";
import { dataRoot } from "../../src/util/data-path.ts";

const BIN = new URL("../../bin/medtrace.mjs", import.meta.url).pathname;

function medtrace(args: string[], timeoutMs = 400_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, MEDTRACE_DATA: dataRoot(), MEDTRACE_MASTER_SECRET: "" }, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

describe("medtrace demo", () => {
  test("--once --json: a model trained over the network, and the leaked copy traced to the demo data scientist with evidence that verifies", { timeout: 420_000 }, async () => {
    const r = await medtrace(["demo", "--once", "--json", "--port", "0"]);
    assert.equal(r.code, 0, r.stderr || r.stdout);
    const s = JSON.parse(r.stdout);
    try {
      assert.equal(s.ok, true);
      assert.equal(s.data.origin, "env");
      assert.match(s.requester, /^[0-9a-f-]{36}$/);
      const scientist = s.users.find((u: { role: string }) => u.role === "data-scientist");
      assert.equal(scientist.userId, s.requester);
      assert.ok(s.users.every((u: { password?: string }) => u.password === undefined), "no password in a --once summary");
      assert.ok(s.grant.instances > 0);
      assert.match(s.grant.id, /^[0-9a-f-]{36}$/);
      assert.equal(s.trace.recipient, s.requester);
      assert.equal(s.trace.username, "demo-scientist");
      assert.equal(s.trace.grantId, s.grant.id);
      assert.equal(s.trace.method, "rw");
      assert.equal(s.trace.evidence.valid, true);
      assert.equal(s.nodes.length, 3);
      for (const n of s.nodes) {
        assert.ok(n.ctSlices > 0);
        assert.equal(n.chestImages, 200);
      }
      // Issue 7: a short secure-aggregation session on the three hospitals, scored on the official test split.
      assert.equal(s.training.ok, true);
      assert.equal(s.training.rounds, 5);
      assert.equal(s.training.secureAggregation, true);
      assert.deepEqual(s.training.hospitals, s.nodes.map((n: { nodeId: string }) => n.nodeId).sort());
      assert.match(s.training.modelHash, /^[0-9a-f]{64}$/);
      assert.equal(s.training.evaluatedOn, "PneumoniaMNIST official test split");
      assert.ok(s.training.accuracy >= 0.7 && s.training.auc >= 0.85, `ACC ${s.training.accuracy} AUC ${s.training.auc}`);
      assert.equal(s.urls.dicomweb, `${s.urls.api}/dicomweb/grants/${s.grant.id}`);
      assert.equal(statSync(s.keyFile).mode & 0o777, 0o600);
      // The evidence bundle verifies with the command-line tool too, with no server running.
      const verified = await medtrace(["evidence", "verify", s.trace.evidence.file, "--key-file", s.keyFile, "--json"], 60_000);
      assert.equal(verified.code, 0, verified.stdout);
      assert.equal(JSON.parse(verified.stdout).valid, true);
    } finally {
      if (s.workDir && existsSync(join(s.workDir, "master.json"))) rmSync(s.workDir, { recursive: true, force: true });
    }
  });

  test("refuses a non-loopback --host without TLS, before touching any data", async () => {
    const r = await medtrace(["demo", "--once", "--json", "--host", "0.0.0.0", "--port", "0"], 60_000);
    assert.equal(r.code, 2);
    const j = JSON.parse(r.stdout);
    assert.equal(j.ok, false);
    assert.equal(j.error, "USAGE");
    assert.match(j.message, /refusing plain HTTP on 0\.0\.0\.0/);
  });

  test("a bad --port is a usage error", async () => {
    const r = await medtrace(["demo", "--once", "--json", "--port", "http"], 60_000);
    assert.equal(r.code, 2);
    assert.match(JSON.parse(r.stdout).message, /--port/);
  });

  test("a port in use is a usage error that names the port", async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
    const address = busy.address();
    const port = typeof address === "object" && address ? address.port : 0;
    try {
      const r = await medtrace(["demo", "--once", "--json", "--port", String(port)], 90_000);
      assert.equal(r.code, 2, r.stdout);
      assert.match(JSON.parse(r.stdout).message, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use`));
    } finally {
      busy.close();
    }
  });
});
