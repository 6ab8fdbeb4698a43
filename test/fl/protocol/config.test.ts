// Session configuration (federated-learning.md §1.2–1.3): defaults, unknown fields refused at every
// level, the cross-field rules, and a plan hash that covers what the nodes will run.
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { test } from "node:test";
import { initBackend } from "../../../src/fl/backend.ts";
import type { FlError } from "../../../src/fl/errors.ts";
import { Coordinator, parseSessionConfig, planHash } from "../../../src/fl/protocol/index.ts";

const base = { dataset: { tag: "pneumonia" } };
const M = "a".repeat(64);

test("defaults follow the spec table and the seed is kept as given", () => {
  const c = parseSessionConfig({ ...base, seed: "1" });
  assert.equal(c.rounds, 20);
  assert.equal(c.batchSize, 32);
  assert.deepEqual(c.nodes, { min: 3, max: 50, fraction: 1 });
  assert.equal(c.secureAggregation.enabled, true);
  assert.equal(c.secureAggregation.quantBits, 22);
  assert.equal(c.timeouts.waitAfterQuorum, 30);
  assert.equal(c.optimizer.learningRate, 1e-3);
  assert.deepEqual(c.model.classes, ["normal", "pneumonia"]);
  assert.equal(c.seed, "1");
});

test("unknown fields are refused at the top and inside nested objects", () => {
  for (const bad of [
    { ...base, epochs: 3 },
    { ...base, timeouts: { train: 10, trian: 10 } },
    { ...base, dataset: { tag: "x", path: "/etc" } },
    { ...base, strategy: { name: "fedavg", momentum: 0.9 } },
  ]) {
    assert.throws(() => parseSessionConfig(bad), (e: FlError) => e.code === "CONFIG_INVALID" && /unrecognized/i.test(e.message), JSON.stringify(bad));
  }
});

test("cross-field rules: robust strategies and DP modes need the right secure-aggregation setting", () => {
  const cases: [unknown, RegExp][] = [
    [{ ...base, strategy: { name: "median" } }, /secureAggregation.enabled=false/],
    [{ ...base, nodes: { min: 2 } }, /nodes.min must be ≥ 3/],
    [{ ...base, nodes: { min: 5, max: 4 } }, /nodes.max/],
    [{ ...base, secureAggregation: { enabled: false }, dp: { mode: "distributed", clipNorm: 1, noiseMultiplier: 1 } }, /requires secure aggregation/],
    [{ ...base, dp: { mode: "central" } }, /clipNorm and noiseMultiplier/],
    [{ ...base, secureAggregation: { consistencyCheck: true } }, /consistencyCheck/],
    [{ ...base, rounds: 0 }, /rounds/],
    [{ ...base, rounds: 2.5 }, /rounds/],
    [{}, /dataset/],
    [null, /root|expected object/i],
  ];
  for (const [input, re] of cases) assert.throws(() => parseSessionConfig(input), re, JSON.stringify(input));
  assert.equal(parseSessionConfig({ ...base, secureAggregation: { enabled: false }, nodes: { min: 2 }, strategy: { name: "krum" } }).strategy.name, "krum");
});

test("the plan hash covers the plan, not its name, and changes with any training setting", () => {
  const c = parseSessionConfig({ ...base, seed: "1" });
  const h = planHash(c, M);
  assert.match(h, /^[0-9a-f]{64}$/);
  assert.equal(planHash(parseSessionConfig({ ...base, seed: "1", name: "n", description: "d" }), M), h);
  assert.notEqual(planHash(parseSessionConfig({ ...base, seed: "1", rounds: 21 }), M), h);
  assert.notEqual(planHash(parseSessionConfig({ ...base, seed: "2" }), M), h);
  assert.notEqual(planHash(c, "b".repeat(64)), h);
});

test("Coordinator.create refuses invalid input and central DP without the deployment's noise key", async () => {
  await initBackend("cpu"); // the coordinator builds the model once to read its manifest
  const deps = { serverKey: generateKeyPairSync("ed25519").privateKey, nodeKey: () => undefined };
  const o = { sessionId: "s", candidates: ["a", "b", "c"], now: 0 };
  assert.throws(() => Coordinator.create({ ...base, bogus: 1 }, deps, o), (e: FlError) => e.code === "CONFIG_INVALID");
  assert.throws(
    () => Coordinator.create({ ...base, dp: { mode: "central", clipNorm: 1, noiseMultiplier: 1 } }, deps, o),
    /dp-noise key/,
  );
  const { coordinator, step } = Coordinator.create({ ...base, nodes: { exclude: ["b"] } }, deps, o);
  assert.equal(coordinator.view().state, "pending");
  assert.deepEqual(step.tasks.map((t) => [t.nodeId, t.type]), [["a", "session.offer"], ["c", "session.offer"]]);
  assert.equal(step.records[0].kind, "session.created");
  assert.match(coordinator.seed, /^[0-9a-f]{64}$/, "a random seed is drawn and recorded when none is given");
});
