// Requests that wait for a hospital admin's approval (issue 6, edge policy): the node answers
// pending-approval, the admin decides on the node, the node publishes `data.approval`, and the
// server re-sends the same request (the node checks its digest) and adds the copies to the grant,
// or marks the node refused. Real edge nodes in-process, real server on 127.0.0.1 (SQLite).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { dataAccessOf } from "../../src/server/data-access/service.ts";
import { type Env, startEnv } from "./data-access-support.ts";

describe("data access: approval by the hospital admin", () => {
  let env: Env;
  let ds: { id: string; token: string };

  before(async () => {
    env = await startEnv("sqlite", { "hospital-a": [50, 51], "hospital-b": [60] }, { requireApproval: ["hospital-a"] });
    ds = await env.user("fay", ["data-scientist"]);
  });
  after(() => env?.close());

  const request = async (maxInstances: number) => {
    const r = await env.call("POST", "/api/data-requests", { token: ds.token, json: { query: { modality: ["CT"] }, purpose: "research", maxInstances } });
    assert.equal(r.status, 202);
    await dataAccessOf(env.server.ctx).settled(r.json.id);
    return r.json.id as string;
  };
  const status = async (id: string) => (await env.call("GET", `/api/data-requests/${id}`, { token: ds.token })).json;
  type Outcome = { nodeId: string; status: string; instances: number; reason?: string };
  const node = (s: { nodes: Outcome[] }, id: string) => s.nodes.find((n) => n.nodeId === id)!;

  test("approved: the waiting node's copies join the grant", async () => {
    const id = await request(3);
    const waiting = await status(id);
    assert.equal(waiting.status, "waiting-approval");
    assert.equal(node(waiting, "hospital-a").status, "pending-approval");
    assert.equal(waiting.grant.instances, 1, "hospital-b answered at once");

    env.nodes.get("hospital-a")!.approvals.decide(id, "approved", "hospital-a-admin");
    await env.publish("hospital-a", "data.approval", { requestId: id, status: "approved" });
    await dataAccessOf(env.server.ctx).settled(id);
    const done = await status(id);
    assert.equal(done.status, "done");
    assert.equal(node(done, "hospital-a").status, "ok");
    assert.equal(done.grant.id, waiting.grant.id, "the same grant");
    assert.equal(done.grant.instances, 3);
  });

  test("denied: the node is refused and nothing is added", async () => {
    const id = await request(3);
    env.nodes.get("hospital-a")!.approvals.decide(id, "denied", "hospital-a-admin");
    await env.publish("hospital-a", "data.approval", { requestId: id, status: "denied" });
    await dataAccessOf(env.server.ctx).settled(id);
    const done = await status(id);
    assert.equal(done.status, "done");
    assert.equal(node(done, "hospital-a").status, "refused");
    assert.match(node(done, "hospital-a").reason ?? "", /declined/);
    assert.equal(done.grant.instances, 1);
  });

  test("a decision for an unknown request or a malformed message changes nothing", async () => {
    await env.publish("hospital-a", "data.approval", { requestId: "00000000-0000-4000-8000-000000000000", status: "approved" });
    await env.publish("hospital-a", "data.approval", { requestId: 42 });
    await dataAccessOf(env.server.ctx).settled();
    const list = await env.call("GET", "/api/data-requests", { token: ds.token });
    assert.equal(list.json.requests.length, 2);
  });
});
