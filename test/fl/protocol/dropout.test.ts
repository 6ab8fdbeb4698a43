// Dropout mid-round (federated-learning.md §9): a node that vanishes after ShareKeys is recovered
// by secure aggregation (its pairwise masks are rebuilt from the survivors' s-shares), and the
// late node is selected again in the next round.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { initBackend } from "../../../src/fl/backend.ts";
import type { Trainer } from "../../../src/fl/trainer-pool.ts";
import { hospitals, Net, type NodeSetup, sharedPool } from "./harness.ts";

const CONFIG = {
  dataset: { tag: "pneumonia", minExamples: 10 },
  optimizer: { learningRate: 2e-3 },
  nodes: { min: 3 },
};

let nodes: NodeSetup[];
let pool: Trainer;
let makeTrainer: (id: string) => () => Promise<Trainer>;

before(async () => {
  await initBackend("wasm");
  nodes = hospitals(4, 120);
  ({ pool, makeTrainer } = await sharedPool({}, nodes));
});

after(async () => {
  await pool.close();
});

test("a hospital dropped after ShareKeys: the round completes with the others and it rejoins the next round", async () => {
  let dropped = false;
  const net = new Net({
    nodes,
    config: { ...CONFIG, rounds: 2, seed: "8" },
    makeTrainer,
    dropTask: (t) => {
      const hit = t.type === "secagg.u2" && t.nodeId === "hospital-d" && !dropped;
      if (hit) dropped = true;
      return hit;
    },
  });
  await net.create();
  await net.run();
  await net.close();
  const v = net.coordinator!.view();
  assert.equal(v.state, "completed", JSON.stringify({ reason: v.reason, errors: net.nodeErrors }));
  assert.ok(dropped);
  const [r1, r2] = v.history;
  assert.deepEqual(r1.metrics.participants, ["hospital-a", "hospital-b", "hospital-c"]);
  assert.deepEqual(r1.metrics.dropouts, ["hospital-d"]);
  assert.equal(r1.attempt, 1, "no retry: the masks of the dropped node were recovered");
  assert.deepEqual(r2.metrics.participants, nodes.map((n) => n.nodeId));
  assert.ok(net.events.some((e) => e.type === "dropout" && e.round === 1 && e.nodes.includes("hospital-d")));
  // the recovered sum is a weighted mean: the model moved and stayed finite
  assert.notEqual(r1.modelHash, r2.modelHash);
});
