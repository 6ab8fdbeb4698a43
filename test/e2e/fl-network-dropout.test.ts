// Issue 7 over real sockets: one of four edge processes is killed (SIGKILL) mid-round, after the
// secure-aggregation key shares went out; the round completes with the other three (their shares
// recover the dead node's masks) and so does the session.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Net, startNet, until } from "./fl-network-support.ts";

let net: Net;

before(async () => {
  net = await startNet(4, 150);
});

after(async () => {
  await net?.close();
});

test("a node killed mid-round: the round and the session complete with the other three", async () => {
  const created = await net.call("POST", "/api/sessions", {
    dataset: { tag: "pneumonia", minExamples: 50 },
    rounds: 3,
    nodes: { min: 3 },
    timeouts: { advertise: 30, share: 30, train: 60, unmask: 30, waitAfterQuorum: 1 },
    seed: "dropout",
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const id = created.json.id as string;
  const view = async () => (await net.call("GET", `/api/sessions/${id}`)).json;
  const masked = await until(view, (s) => (s.round === 2 && s.phase === "masked") || ["completed", "failed", "cancelled"].includes(s.state), "round 2 past the key shares");
  assert.equal(masked.state, "running", JSON.stringify(masked));
  assert.ok(masked.selected.includes("hospital-d"));
  net.procs.get("hospital-d")!.kill("SIGKILL");
  const v = await until(view, (s) => ["completed", "failed", "cancelled"].includes(s.state), "the session to finish", 150_000);
  assert.equal(v.state, "completed", JSON.stringify(v).slice(0, 2000));
  assert.equal(v.history.length, 3);
  assert.deepEqual(v.history[0].metrics.participants, ["hospital-a", "hospital-b", "hospital-c", "hospital-d"]);
  assert.deepEqual(v.history[1].metrics.participants, ["hospital-a", "hospital-b", "hospital-c"]);
  assert.deepEqual(v.history[1].metrics.dropouts, ["hospital-d"]);
  assert.deepEqual(v.history[2].metrics.participants, ["hospital-a", "hospital-b", "hospital-c"]);
});
