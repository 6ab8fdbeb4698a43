// Networked federated training without the network: the real coordinator and participants
// exchange signed, encrypted, masked frames in process (harness.ts), with secure aggregation on.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { initBackend } from "../../../src/fl/backend.ts";
import { buildCnn, setFlat } from "../../../src/fl/model.ts";
import type { Trainer } from "../../../src/fl/trainer-pool.ts";
import { evaluate } from "../../../src/fl/train.ts";
import { hospitals, Net, type NodeSetup, pneumonia, sharedPool } from "./harness.ts";

const CONFIG = {
  dataset: { tag: "pneumonia", minExamples: 10 },
  rounds: 3,
  optimizer: { learningRate: 2e-3 },
  nodes: { min: 3 },
  seed: "7",
};

let nodes: NodeSetup[];
let pool: Trainer;
let makeTrainer: (id: string) => () => Promise<Trainer>;
let baselineHash = "";
let baselineRound2 = "";

before(async () => {
  await initBackend("wasm");
  nodes = hospitals(3, 400);
  ({ pool, makeTrainer } = await sharedPool({}, nodes));
});

after(async () => {
  await pool.close();
});

test("three hospitals train to completion with secure aggregation and beat the accuracy floor", async () => {
  const three = nodes;
  const net = new Net({ nodes: three, config: CONFIG, makeTrainer });
  await net.create();
  await net.run();
  await net.close();
  const c = net.coordinator!;
  const v = c.view();
  assert.equal(v.state, "completed", JSON.stringify({ reason: v.reason, errors: net.nodeErrors }));
  assert.deepEqual(net.nodeErrors, []);
  assert.equal(v.history.length, 3);
  for (const h of v.history) {
    assert.deepEqual(h.metrics.participants, three.map((n) => n.nodeId));
    assert.equal(h.attempt, 1);
    assert.ok(h.metrics.fedEval && h.metrics.fedEval.n === 120, "federated evaluation pooled from 3 × 40 images");
  }
  assert.ok(v.finalEval && v.finalEval.n === 120, "each node evaluated the released model");
  assert.ok(net.replies.every((r) => r.status === 200), JSON.stringify(net.replies.filter((r) => r.status !== 200)));
  // the server saw only masked vectors: every persisted upload is a secagg.masked blob, no plain update
  const recs = await net.store.records(net.sessionId);
  assert.equal(recs.filter((r) => r.kind === "msg.accepted" && r.type === "secagg.masked").length, 9);
  assert.equal(recs.filter((r) => r.kind === "msg.accepted" && r.type === "plain.update").length, 0);
  const model = buildCnn({});
  setFlat(model, c.model().weights);
  const ev = evaluate(model, pneumonia().test);
  model.dispose();
  assert.ok(ev.acc >= 0.72 && ev.auc >= 0.85, `test ACC ${ev.acc} AUC ${ev.auc}`);
  baselineHash = c.model().modelHash;
  baselineRound2 = v.history[1].modelHash;
  assert.equal(baselineHash, v.modelHash);
});

test("a coordinator killed after U3 froze, then again mid-round, ends with the same model hash", async () => {
  assert.ok(baselineHash, "needs the uninterrupted run above");
  const three = nodes;
  // two rounds suffice: the number of rounds does not enter training, so the uninterrupted run's
  // round-2 checkpoint is the reference
  const net = new Net({
    nodes: three,
    config: { ...CONFIG, rounds: 2 },
    makeTrainer,
    killAfter: (r) => r.kind === "set.frozen" && r.set === "u3" && r.round === 1,
  });
  await net.create();
  await net.run();
  assert.ok(net.killed, "the first kill point was reached");
  assert.equal((await net.store.records(net.sessionId)).at(-1)?.kind, "set.frozen");
  await net.restart();
  // aggregating: the same attempt resumes from the persisted masked vectors
  net.o.killAfter = (r) => r.kind === "set.frozen" && r.set === "u2" && r.round === 2;
  await net.run();
  assert.ok(net.killed, "the second kill point was reached");
  await net.restart();
  await net.run();
  await net.close();
  const v = net.coordinator!.view();
  assert.equal(v.state, "completed", JSON.stringify({ reason: v.reason, errors: net.nodeErrors }));
  assert.deepEqual(
    v.history.map((h) => [h.round, h.attempt]),
    [[1, 1], [2, 2]],
    "round 1 resumed its frozen attempt; round 2 re-ran as attempt 2",
  );
  const recs = await net.store.records(net.sessionId);
  const ended = recs.filter((r) => r.kind === "attempt.ended");
  assert.deepEqual(ended.map((r) => r.kind === "attempt.ended" && [r.round, r.attempt, r.outcome, r.reason]), [[2, 1, "abandoned", "server-restart"]]);
  assert.equal(v.modelHash, baselineRound2);
  assert.notEqual(baselineRound2, baselineHash);
});
