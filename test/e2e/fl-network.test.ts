// Issue 7 end to end over real sockets: three `medtrace node run` processes, each training on its own
// DICOM folder (a share of PneumoniaMNIST with labels.csv), run a session with secure aggregation
// to completion; the released model beats an accuracy floor on the official test split, downloads
// as tfjs and ONNX, and the ledger holds its model.released entry.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Net, startNet, testAccuracy, until } from "./fl-network-support.ts";

let net: Net;

before(async () => {
  net = await startNet(3, 400);
});

after(async () => {
  await net?.close();
});

test("three edge processes train a secure-aggregation session to completion over HTTP/2 mTLS", async (t) => {
  const created = await net.call("POST", "/api/sessions", {
    dataset: { tag: "pneumonia", minExamples: 50 },
    rounds: 5,
    localEpochs: 2,
    optimizer: { learningRate: 3e-3 },
    nodes: { min: 3 },
    seed: "e2e",
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  assert.deepEqual(created.json.warnings, []);
  const id = created.json.id as string;
  const v = await until(
    async () => (await net.call("GET", `/api/sessions/${id}`)).json,
    (s) => ["failed", "cancelled"].includes(s.state) || (s.state === "completed" && s.finalEval !== null),
    "the session to finish",
    150_000,
  );
  assert.equal(v.state, "completed", `${JSON.stringify(v).slice(0, 1500)}\n${[...net.logs.values()].join("\n").slice(-3000)}`);
  assert.equal(v.secureAggregation, true);
  assert.equal(v.history.length, 5);
  for (const h of v.history) assert.deepEqual(h.metrics.participants, ["hospital-a", "hospital-b", "hospital-c"]);
  assert.deepEqual(v.nodes.map((n: { accepted: boolean }) => n.accepted), [true, true, true]);

  const tfjs = await net.call("GET", `/api/sessions/${id}/model?format=tfjs`);
  assert.equal(tfjs.status, 200);
  const ev = await testAccuracy(tfjs.bytes);
  assert.ok(ev.acc >= 0.72 && ev.auc >= 0.8, `test ACC ${ev.acc} AUC ${ev.auc}; federated ${JSON.stringify(v.history.map((h: { metrics: unknown }) => h.metrics))} ${JSON.stringify(v.finalEval)}`);
  t.diagnostic(`official test split: ACC ${ev.acc.toFixed(4)} AUC ${ev.auc.toFixed(4)}`);
  const onnx = await net.call("GET", `/api/sessions/${id}/model?format=onnx`);
  assert.equal(onnx.status, 200);
  assert.ok(onnx.bytes.length > 1000);

  const ledger = net.server.ctx.ledger;
  const released = await until(
    () => Array.from({ length: ledger.size }, (_, k) => ledger.entry(k).entry).filter((e) => e.type === "model.released"),
    (r) => r.length > 0,
    "the model.released entry",
    10_000,
  );
  const body = released[0].body as { sessionId: string; modelSha256: { tfjs: string }; hospitals: string[]; rounds: number };
  assert.equal(body.sessionId, id);
  assert.equal(body.modelSha256.tfjs, v.modelHash);
  assert.equal(body.rounds, 5);
  assert.deepEqual(body.hospitals, ["hospital-a", "hospital-b", "hospital-c"]);
});
