// The agent over real sockets: C's node port (HTTP/2, mTLS, consortium CA) on 127.0.0.1, a node
// enrolled through the registry, `startNode` reading its credentials from NODE_DIR. Checks what
// the server receives: the catalogue on connect, de-identified files, the admin's decisions.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type RunningNode, startNode } from "../../src/edge/agent.ts";
import type { CatalogueEntry } from "../../src/edge/catalogue.ts";
import { DEFAULT_CREDENTIALS, loadNodeConfig } from "../../src/edge/config.ts";
import { ApprovalStore } from "../../src/edge/policy.ts";
import type { DataReply } from "../../src/edge/handler.ts";
import { readDicom } from "../../src/imaging/index.ts";
import { dataPath } from "../../src/util/data-path.ts";
import { identifierStrings, maskKeyedValues } from "../imaging/identifiers.ts";
import { type Harness, startHarness } from "../server/nodes/helpers.ts";
import { FIXTURE, writeFixtureFolder } from "./source-suite.ts";

const root = mkdtempSync(join(tmpdir(), "medtrace-agent-"));
const received: { type: string; nodeId: string; json: unknown }[] = [];
let h: Harness;

function waitFor<T>(pick: () => T | undefined, what: string, ms = 20_000): Promise<T> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      const v = pick();
      if (v !== undefined) resolve(v);
      else if (Date.now() - start > ms) reject(new Error(`no ${what} within ${ms} ms`));
      else setTimeout(tick, 50);
    };
    tick();
  });
}

async function startAgent(nodeId: string, policy: object): Promise<{ node: RunningNode; dir: string }> {
  const creds = await h.enrol(nodeId);
  const dir = join(root, nodeId);
  mkdirSync(join(dir, "identity"), { recursive: true });
  writeFileSync(join(dir, DEFAULT_CREDENTIALS.key), creds.keyPem, { mode: 0o600 });
  writeFileSync(join(dir, DEFAULT_CREDENTIALS.cert), creds.certPem);
  writeFileSync(join(dir, DEFAULT_CREDENTIALS.ca), creds.caPem);
  writeFileSync(join(dir, DEFAULT_CREDENTIALS.serverKey), h.serverKeyPem);
  writeFileSync(join(dir, "node.json"), JSON.stringify({ source: `folder:${join(root, "images")}`, policy }));
  const started = startNode(loadNodeConfig(dir), { serverUrl: h.port.url, approvalPollMs: 100 });
  nodes.push(started);
  await started.channel.waitConnected(20_000);
  return { node: started, dir };
}

const nodes: RunningNode[] = [];

before(async () => {
  h = await startHarness();
  for (const type of ["catalogue.publish", "data.approval"]) {
    h.port.onMessage(type, (nodeId, json) => void received.push({ type, nodeId, json }));
  }
  writeFixtureFolder(join(root, "images"));
  await startAgent("hospital-a", { allowedPurposes: ["research"] });
});

after(async () => {
  for (const n of nodes) await n.close();
  await h?.close();
  rmSync(root, { recursive: true, force: true });
});

describe("edge agent over the node port", () => {
  test("publishes its catalogue on connect", async () => {
    const msg = await waitFor(() => received.find((m) => m.type === "catalogue.publish" && m.nodeId === "hospital-a"), "catalogue");
    assert.equal(msg.nodeId, "hospital-a");
    const entries = msg.json as CatalogueEntry[];
    assert.deepEqual(entries.map((e) => e.modality).sort(), ["CT", "CT", "MR"]);
  });

  test("answers data.request with de-identified files; nothing identifying reaches the server", async () => {
    const r = await h.port.call("hospital-a", "data.request", {
      requestId: "req-1",
      query: {},
      purpose: "research",
      maxInstances: 100,
      requester: "u:ds",
    });
    const reply = r.json as DataReply;
    assert.equal(reply.status, "ok");
    assert.equal(r.blobs.length, FIXTURE.length);
    assert.deepEqual(r.blobs.map((b) => readDicom(b).sopInstanceUid), reply.instances.map((i) => i.sopInstanceUid));
    const catalogue = JSON.stringify(received.filter((m) => m.type === "catalogue.publish").map((m) => m.json));
    const sources = FIXTURE.map((f) => readDicom(new Uint8Array(readFileSync(dataPath(f)))));
    const everyId = new Set(sources.flatMap((s) => [...identifierStrings(s)]));
    const bytes = Buffer.concat([Buffer.from(catalogue), Buffer.from(JSON.stringify(reply)), ...r.blobs.map((b) => Buffer.from(b))]);
    const all = maskKeyedValues(bytes.toString("latin1"), everyId);
    const pixels = sources.map((s) => Buffer.from(s.dict["7FE00010"]?.Value?.[0] as ArrayBuffer).toString("latin1")).join("|");
    for (const s of sources) {
      for (const id of identifierStrings(s)) assert.ok(!all.includes(id) || pixels.includes(id), `${JSON.stringify(id)} reached the server`);
    }
  });

  test("a malformed task is answered with an error, not a crash", async () => {
    await assert.rejects(h.port.call("hospital-a", "data.request", { requestId: "x" }), /EDGE_BAD_TASK|requestId|query/);
    const r = await h.port.call("hospital-a", "catalogue.get", {});
    assert.equal((r.json as unknown[]).length, 3);
  });

  test("a request pending approval is served once the admin approves, and the server is told", async () => {
    const { dir } = await startAgent("hospital-b", { allowedPurposes: ["research"], requireApproval: true });
    const body = { requestId: "req-2", query: { modality: ["MR"] }, purpose: "research", maxInstances: 5, requester: "u:ds" };
    const first = await h.port.call("hospital-b", "data.request", body);
    assert.equal((first.json as DataReply).status, "pending-approval");
    assert.equal(first.blobs.length, 0);
    new ApprovalStore(dir).decide("req-2", "approved", "dr-admin");
    const told = await waitFor(() => received.find((m) => m.type === "data.approval" && m.nodeId === "hospital-b"), "data.approval");
    assert.deepEqual(told.json, { requestId: "req-2", status: "approved" });
    const second = await h.port.call("hospital-b", "data.request", body);
    assert.equal((second.json as DataReply).status, "ok");
    assert.equal(second.blobs.length, 1);
  });
});
