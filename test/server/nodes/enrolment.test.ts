import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { openChannel } from "../../../src/edge/channel.ts";
import { createNodeKeyAndCsr } from "../../../src/server/pki/index.ts";
import { type Api, startApi, type TestUser } from "../api-helpers.ts";
import { until } from "./helpers.ts";

const BIN = fileURLToPath(new URL("../../../bin/medtrace.mjs", import.meta.url));
const run = promisify(execFile);

async function cli(args: string[], env: Record<string, string> = {}) {
  try {
    const r = await run(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe("enrolment over the API and the CLI", () => {
  let api: Api;
  let admin: TestUser;
  let scientist: TestUser;

  before(async () => {
    api = await startApi("sqlite", { nodePort: 0, consortiumId: "c1.test" });
    admin = await api.user("ca-admin", ["consortium-admin"]);
    scientist = await api.user("ds", ["data-scientist"]);
  });
  after(() => api.close());

  test("admin creates a node, the node enrols with the CLI, connects, answers, and is revoked", async () => {
    assert.equal((await api.call("POST", "/api/nodes", { token: scientist.token, json: { nodeId: "hosp-e" } })).status, 403);
    const added = await cli(["node", "add", "--server", api.base, "--node-id", "hosp-e", "--json"], { MEDTRACE_TOKEN: admin.token });
    assert.equal(added.code, 0, added.stderr);
    const { token } = JSON.parse(added.stdout) as { token: string };

    const dir = mkdtempSync(join(tmpdir(), "mt-node-"));
    const enrolled = await cli(["node", "enrol", "--server", api.base, "--token", token, "--node-id", "hosp-e", "--dir", dir, "--json"]);
    assert.equal(enrolled.code, 0, enrolled.stdout + enrolled.stderr);
    const summary = JSON.parse(enrolled.stdout) as { keyFingerprint: string; nodeUrl: string };
    assert.equal(statSync(join(dir, "identity/node.key.pem")).mode & 0o777, 0o600);
    assert.equal(JSON.parse(readFileSync(join(dir, "node.json"), "utf8")).nodeId, "hosp-e");
    const hub = api.server.ctx.hub!;
    assert.equal(summary.nodeUrl, (hub as unknown as { url: string }).url);

    const again = await cli(["node", "enrol", "--server", api.base, "--token", token, "--node-id", "hosp-e", "--dir", dir, "--force", "--json"]);
    assert.equal(again.code, 4, "a spent token is refused");
    assert.equal(JSON.parse(again.stdout).error, "bad-token");

    const read = (p: string) => readFileSync(join(dir, "identity", p), "utf8");
    const ch = openChannel({
      url: summary.nodeUrl,
      nodeId: "hosp-e",
      keyPem: read("node.key.pem"),
      certPem: read("node.crt.pem"),
      caPem: read("ca.crt.pem"),
      serverKey: read("server-fl.pub.pem"),
      backoff: { minMs: 50, maxMs: 300 },
      handler: async (t) => ({ json: { got: t.type } }),
    });
    try {
      await ch.waitConnected(20_000);
      assert.deepEqual((await hub.call("hosp-e", "catalogue.get", {})).json, { got: "catalogue.get" });
      const listed = await api.call("GET", "/api/nodes", { token: admin.token });
      const node = (listed.json.nodes as { nodeId: string; keyFingerprint: string; connection: unknown }[]).find((n) => n.nodeId === "hosp-e")!;
      assert.equal(node.keyFingerprint, summary.keyFingerprint);
      assert.ok(node.connection);

      const revoked = await cli(["node", "revoke", "--server", api.base, "--node-id", "hosp-e", "--bearer", admin.token, "--reason", "test"]);
      assert.equal(revoked.code, 0, revoked.stderr);
      await until(() => !hub.connectedNodes().some((n) => n.nodeId === "hosp-e"), "the revoked node to be cut off");
      await assert.rejects(hub.call("hosp-e", "catalogue.get", {}), { code: "node-refused" });
    } finally {
      await ch.close();
    }
  });

  test("enrolment refuses bad tokens, bad CSRs and malformed bodies with a clear 4xx", async () => {
    const created = await api.call("POST", "/api/nodes", { token: admin.token, json: { nodeId: "hosp-f" } });
    assert.equal(created.status, 201);
    assert.equal((await api.call("POST", "/api/nodes", { token: admin.token, json: { nodeId: "hosp-f" } })).status, 409);
    assert.equal((await api.call("POST", "/api/nodes", { token: admin.token, json: { nodeId: "Bad Id" } })).status, 400);
    const { csrPem } = await createNodeKeyAndCsr("hosp-f");
    const wrong = await api.call("POST", "/api/nodes/hosp-f/enrol", { json: { token: "x".repeat(43), csr: csrPem } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.json.error, "bad-token");
    const otherNode = await api.call("POST", "/api/nodes/hosp-e/enrol", { json: { token: created.json.token, csr: csrPem } });
    assert.equal(otherNode.status, 401);
    const badCsr = await api.call("POST", "/api/nodes/hosp-f/enrol", {
      json: { token: created.json.token, csr: `-----BEGIN CERTIFICATE REQUEST-----\n${"A".repeat(200)}\n-----END CERTIFICATE REQUEST-----` },
    });
    assert.equal(badCsr.status, 400);
    assert.equal(badCsr.json.error, "bad-csr");
    for (const json of [{}, { token: 1, csr: 2 }, { token: created.json.token, csr: csrPem, extra: 1 }, []]) {
      const r = await api.call("POST", "/api/nodes/hosp-f/enrol", { json });
      assert.equal(r.status, 400, JSON.stringify(json));
      assert.equal(typeof r.json.message, "string");
    }
    // The token survived the failed attempts and still enrols once.
    const ok = await api.call("POST", "/api/nodes/hosp-f/enrol", { json: { token: created.json.token, csr: csrPem } });
    assert.equal(ok.status, 201);
    assert.match(ok.json.certPem, /BEGIN CERTIFICATE/);
    assert.match(ok.json.serverKeyPem, /BEGIN PUBLIC KEY/);
    const ca = await api.call("GET", "/api/pki/ca");
    assert.equal(ca.json.caPem, ok.json.caPem);
  });

  test("ca init creates the sealed CA once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mt-ca-cli-"));
    const first = await cli(["ca", "init", "--data-dir", dir, "--consortium", "c9", "--json"]);
    assert.equal(first.code, 0, first.stderr);
    const a = JSON.parse(first.stdout);
    assert.equal(a.created, true);
    assert.equal(statSync(a.path).mode & 0o777, 0o600);
    const second = JSON.parse((await cli(["ca", "init", "--data-dir", dir, "--consortium", "c9", "--json"])).stdout);
    assert.equal(second.created, false);
    assert.equal(second.caKeyFingerprint, a.caKeyFingerprint);
    const other = await cli(["ca", "init", "--data-dir", dir, "--consortium", "c8", "--json"]);
    assert.equal(other.code, 1);
    assert.equal(JSON.parse(other.stdout).error, "ca-consortium");
  });
});
