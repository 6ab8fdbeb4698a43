// A short federated training on a PneumoniaMNIST subset, through the whole path: local training on
// wasm, signed and encrypted updates, secure aggregation, FedAvg, evaluation on the official test split.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { initBackend } from "../../src/fl/backend.ts";
import { type Dataset, head, npzDatasets } from "../../src/fl/dataset.ts";
import { epsilon } from "../../src/fl/dp.ts";
import { simulate } from "../../src/fl/simulate.ts";
import { dataPath } from "../../src/util/data-path.ts";

let cache: { train: Dataset; test: Dataset } | null = null;
function data() {
  cache ??= npzDatasets(readFileSync(dataPath("pneumoniamnist", "pneumoniamnist.npz")));
  return cache;
}

test("3 hospitals, secure aggregation, 3 rounds on 1,200 images reach ACC ≥ 0.70 and AUC ≥ 0.85", async () => {
  await initBackend("wasm");
  const d = data();
  const res = await simulate(
    { nodes: 3, rounds: 3, split: { kind: "iid" }, seed: "1", learningRate: 3e-3, secagg: true },
    { train: head(d.train, 1200), test: d.test },
  );
  assert.equal(res.rounds.length, 3);
  assert.deepEqual(
    res.partitionCounts.map((c) => c[0] + c[1]),
    [400, 400, 400],
  );
  for (const r of res.rounds) {
    assert.equal(r.participants, 3);
    assert.deepEqual(r.rejected, []);
    // one u32 per weight plus the weight word: the upload is about 4·(d+1) bytes plus framing
    assert.ok(
      r.bytesUpPerNode / (4 * res.params) < 1.01,
      `expansion ${r.bytesUpPerNode / (4 * res.params)}`,
    );
  }
  assert.equal(new Set(res.rounds.map((r) => r.modelHash)).size, 3);
  const last = res.rounds[2];
  assert.ok(last.acc >= 0.7, `ACC ${last.acc}`);
  assert.ok(last.auc >= 0.85, `AUC ${last.auc}`);
});

test("plain mode: a sign-flipping hospital raises fl.update.outlier; the median resists it, FedAvg does not", async () => {
  await initBackend("wasm");
  const d = data();
  const run = (strategy: string) =>
    simulate(
      {
        nodes: 4,
        rounds: 2,
        split: { kind: "iid" },
        seed: "2",
        learningRate: 3e-3,
        secagg: false,
        strategy,
        attack: { node: 1, kind: "signflip" },
      },
      { train: head(d.train, 800), test: d.test },
    );
  const res = await run("median");
  const avg = await run("fedavg");
  for (const r of res.rounds) {
    const flagged = r.alerts.filter((a) => a.type === "fl.update.outlier").map((a) => a.nodeId);
    assert.deepEqual(flagged, ["hospital-02"], `round ${r.round}`);
  }
  const [m, a] = [res.rounds[1], avg.rounds[1]];
  assert.ok(
    m.testLoss < a.testLoss && m.auc > a.auc,
    `median ${m.testLoss}/${m.auc} vs fedavg ${a.testLoss}/${a.auc}`,
  );
  await assert.rejects(
    simulate(
      { nodes: 3, rounds: 1, split: { kind: "iid" }, seed: "2", secagg: true, strategy: "krum" },
      { train: head(d.train, 60), test: head(d.test, 20) },
    ),
    /cannot run with secure aggregation/,
  );
});

test("central DP: clipped uniform updates, noisy mean, ε reported by the accountant per round", async () => {
  await initBackend("wasm");
  const d = data();
  const res = await simulate(
    {
      nodes: 3,
      rounds: 2,
      split: { kind: "iid" },
      seed: "3",
      secagg: true,
      dp: { clipNorm: 0.5, noiseMultiplier: 4 },
    },
    { train: head(d.train, 150), test: head(d.test, 60) },
  );
  assert.ok(Math.abs((res.rounds[0].epsilon as number) - epsilon(4, 1).epsilon) < 1e-9);
  assert.ok(Math.abs((res.rounds[1].epsilon as number) - epsilon(4, 2).epsilon) < 1e-9);
  assert.equal(res.rounds[1].participants, 3);
});

test("worker-thread training gives the same model hash as in-thread training", async () => {
  await initBackend("wasm");
  const d = data();
  const cfg = { nodes: 3, rounds: 1, split: { kind: "iid" as const }, seed: "4", secagg: false };
  const small = { train: head(d.train, 150), test: head(d.test, 30) };
  const here = await simulate({ ...cfg, workers: 0 }, small);
  const pooled = await simulate({ ...cfg, workers: 2 }, small);
  assert.equal(pooled.finalHash, here.finalHash);
});

test("a node whose updates are refused 3 times is quarantined and no longer selected", async () => {
  await initBackend("wasm");
  const d = data();
  const res = await simulate(
    {
      nodes: 3,
      rounds: 4,
      split: { kind: "iid" },
      seed: "5",
      secagg: false,
      maxUpdateNorm: 50,
      attack: { node: 2, kind: "noise" }, // N(0, 1) per weight: norm ≈ √56,194 ≈ 237
    },
    { train: head(d.train, 90), test: head(d.test, 30) },
  );
  for (const r of res.rounds.slice(0, 3)) {
    assert.deepEqual(r.rejected.map((x) => [x.nodeId, x.error]), [["hospital-03", "invalid-update"]]);
    assert.equal(r.participants, 2);
  }
  assert.ok(res.rounds[2].alerts.some((a) => a.type === "fl.node.quarantined" && a.nodeId === "hospital-03"));
  assert.deepEqual(res.rounds[3].rejected, []);
  assert.equal(res.rounds[3].participants, 2);
});

test("distributed DP: nodes add their noise before masking; ε uses z_eff = z·√(|U3|/t)", async () => {
  await initBackend("wasm");
  const d = data();
  const small = { train: head(d.train, 150), test: head(d.test, 30) };
  const res = await simulate(
    {
      nodes: 3,
      rounds: 1,
      split: { kind: "iid" },
      seed: "6",
      secagg: true,
      dp: { clipNorm: 0.5, noiseMultiplier: 2, mode: "distributed" },
    },
    small,
  );
  // |U3| = 3, t = 2: z_eff = 2·√1.5
  assert.ok(Math.abs((res.rounds[0].epsilon as number) - epsilon(2 * Math.sqrt(1.5), 1).epsilon) < 1e-9);
  await assert.rejects(
    simulate(
      { nodes: 3, rounds: 1, split: { kind: "iid" }, seed: "6", secagg: false, dp: { clipNorm: 1, noiseMultiplier: 1, mode: "distributed" } },
      small,
    ),
    /requires secure aggregation/,
  );
});
