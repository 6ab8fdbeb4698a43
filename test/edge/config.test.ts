import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { loadNodeConfig, loadNodeKeys, SECRET_FILE } from "../../src/edge/config.ts";
import { EdgeError } from "../../src/edge/errors.ts";
import { ApprovalStore } from "../../src/edge/policy.ts";

const root = mkdtempSync(join(tmpdir(), "medtrace-node-"));
after(() => rmSync(root, { recursive: true, force: true }));
const configError = (e: unknown) => e instanceof EdgeError && e.code === "EDGE_CONFIG";

function nodeDir(name: string, file?: unknown): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  if (file !== undefined) writeFileSync(join(dir, "node.json"), typeof file === "string" ? file : JSON.stringify(file));
  return dir;
}

function cli(...args: string[]) {
  return spawnSync(process.execPath, ["bin/medtrace.mjs", ...args], { encoding: "utf8" });
}

describe("edge node configuration", () => {
  test("node.json, defaults and command-line overrides", () => {
    const dir = nodeDir("hospital-a", { source: "folder:/data", policy: { maxInstancesPerRequest: 7 } });
    const cfg = loadNodeConfig(dir);
    assert.equal(cfg.nodeId, "hospital-a");
    assert.equal(cfg.source, "folder:/data");
    assert.deepEqual(cfg.policy, { allowedPurposes: ["research"], maxInstancesPerRequest: 7, requireApproval: false });
    assert.equal(cfg.credentials.cert, join(dir, "identity/node.crt.pem"));
    assert.equal(loadNodeConfig(dir, { source: "orthanc:http://127.0.0.1:8042/dicom-web", nodeId: "b" }).nodeId, "b");
  });

  test("a bad node.json or a missing source is EDGE_CONFIG with the reason", () => {
    assert.throws(() => loadNodeConfig(nodeDir("bad-json", "{")), configError);
    assert.throws(() => loadNodeConfig(nodeDir("bad-policy", { source: "x", policy: { maxInstancesPerRequest: -1 } })), /policy\.maxInstancesPerRequest/);
    assert.throws(() => loadNodeConfig(nodeDir("unknown-key", { source: "x", sauce: 1 })), configError);
    assert.throws(() => loadNodeConfig(nodeDir("no-source")), /no data source/);
  });

  test("the node secret is created once, mode 0600, and gives stable, distinct keys", () => {
    const dir = nodeDir("keys");
    const a = loadNodeKeys(dir, "keys");
    assert.equal(statSync(join(dir, SECRET_FILE)).mode & 0o777, 0o600);
    assert.deepEqual(loadNodeKeys(dir, "keys"), a);
    assert.notDeepEqual(a.deid, a.catalogue);
    assert.notDeepEqual(loadNodeKeys(nodeDir("other"), "other").deid, a.deid);
  });

  test("CLI: the admin lists and decides pending requests; usage errors exit 2", () => {
    const dir = nodeDir("cli");
    new ApprovalStore(dir).ask({ requestId: "req-1", digest: "d", purpose: "research", requester: "u:1", query: {}, maxInstances: 3 });
    const list = cli("node", "approvals", "--dir", dir, "--json");
    assert.equal(list.status, 0, list.stderr);
    assert.equal(JSON.parse(list.stdout).approvals[0].status, "pending");
    const ok = cli("node", "approve", "req-1", "--dir", dir, "--by", "dr-admin", "--json");
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).approval.decidedBy, "dr-admin");
    const again = cli("node", "deny", "req-1", "--dir", dir, "--json");
    assert.equal(again.status, 1);
    assert.match(again.stdout, /already approved/);
    assert.equal(cli("node", "approve", "--dir", dir).status, 2);
    assert.equal(cli("node", "run", "--dir", dir).status, 2);
  });

  test("CLI: node run without enrolment says how to enrol", () => {
    const dir = nodeDir("not-enrolled", { source: `folder:${root}` });
    const r = cli("node", "run", "--server", "https://127.0.0.1:1", "--dir", dir, "--json");
    assert.equal(r.status, 1);
    assert.match(r.stdout, /EDGE_CONFIG.*node enrol/);
  });
});
