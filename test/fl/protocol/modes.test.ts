// Plain mode (secure aggregation off) and quorum failure (federated-learning.md §1.6, §1.8, §9):
// a restart re-runs the open plain attempt and still reaches the same model hash, no plaintext
// update is kept at rest; a round short of quorum fails its attempt and succeeds on the retry.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { initBackend } from "../../../src/fl/backend.ts";
import type { Trainer } from "../../../src/fl/trainer-pool.ts";
import { hospitals, Net, type NodeSetup, sharedPool } from "./harness.ts";

let nodes: NodeSetup[];
let pool: Trainer;
let makeTrainer: (id: string) => () => Promise<Trainer>;

before(async () => {
  await initBackend("wasm");
  nodes = hospitals(3, 80);
  ({ pool, makeTrainer } = await sharedPool({}, nodes));
});

after(async () => {
  await pool.close();
});

const PLAIN = {
  dataset: { tag: "pneumonia", minExamples: 10 },
  rounds: 2,
  secureAggregation: { enabled: false },
  strategy: { name: "fedadam", eta: 0.01 },
  seed: "12",
};

test("plain mode: a restart mid-round re-runs the attempt and ends with the uninterrupted hash; only receipts at rest", async () => {
  const base = new Net({ nodes, config: PLAIN, makeTrainer });
  await base.create();
  await base.run();
  await base.close();
  const want = base.coordinator!.view();
  assert.equal(want.state, "completed", JSON.stringify({ reason: want.reason, errors: base.nodeErrors }));
  const net = new Net({
    nodes,
    config: PLAIN,
    makeTrainer,
    killAfter: (r) => r.kind === "msg.accepted" && r.type === "plain.update" && r.round === 2,
  });
  await net.create();
  await net.run();
  assert.ok(net.killed);
  await net.restart();
  await net.run();
  await net.close();
  const got = net.coordinator!.view();
  assert.equal(got.state, "completed");
  assert.deepEqual(got.history.map((h) => h.attempt), [1, 2]);
  // FedAdam's m and v came back from the round-1 checkpoint
  assert.equal(got.modelHash, want.modelHash);
  const recs = await net.store.records(net.sessionId);
  const updates = recs.filter((r) => r.kind === "msg.accepted" && r.type === "plain.update");
  assert.ok(updates.length >= 6);
  for (const u of updates) {
    assert.ok(u.kind === "msg.accepted" && u.receipt && u.blob === undefined && u.frame === undefined && u.body === undefined);
  }
});

test("fewer than q inputs: the attempt fails, the retry with every node completes the round", async () => {
  let dropped = false;
  const net = new Net({
    nodes,
    config: { dataset: { tag: "pneumonia", minExamples: 10 }, rounds: 1, seed: "13", timeouts: { train: 120, retryDelay: 30 } },
    makeTrainer,
    dropTask: (t) => {
      const hit = !dropped && t.type === "secagg.u2" && t.nodeId === nodes[2].nodeId;
      dropped ||= hit;
      return hit;
    },
  });
  await net.create();
  await net.run();
  await net.close();
  const v = net.coordinator!.view();
  assert.equal(v.state, "completed", JSON.stringify({ reason: v.reason, errors: net.nodeErrors }));
  assert.equal(v.history[0].attempt, 2);
  assert.equal(v.history[0].metrics.participants.length, 3);
  const recs = await net.store.records(net.sessionId);
  const ended = recs.filter((r) => r.kind === "attempt.ended");
  assert.equal(ended.length, 1);
  assert.ok(ended[0].kind === "attempt.ended" && ended[0].outcome === "failed" && /quorum/.test(ended[0].reason));
  assert.ok(net.delivered.some((t) => t.type === "round.abort"));
});
