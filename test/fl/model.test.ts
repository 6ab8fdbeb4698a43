import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { flSeedBytes } from "../../src/crypto/prg.ts";
import { initBackend, tf } from "../../src/fl/backend.ts";
import type { Dataset } from "../../src/fl/dataset.ts";
import {
  buildCnn,
  getFlat,
  initialWeights,
  loadModel,
  manifestOf,
  modelHash,
  saveModel,
  setFlat,
} from "../../src/fl/model.ts";
import { evaluate, localTrain } from "../../src/fl/train.ts";

test("mt-cnn-s has the parameter counts of §3.1 and stable names", async () => {
  await initBackend("wasm");
  const m = manifestOf(buildCnn());
  assert.equal(m.length, 56194);
  assert.deepEqual(
    m.tensors.map((t) => t.name),
    [
      "c1/kernel",
      "c1/bias",
      "c2/kernel",
      "c2/bias",
      "d1/kernel",
      "d1/bias",
      "out/kernel",
      "out/bias",
    ],
  );
  // a second model in the same process keeps the same manifest names
  assert.deepEqual(manifestOf(buildCnn()).tensors, m.tensors);
  assert.equal(manifestOf(buildCnn({ padding: "same" })).length, 105346);
  assert.equal(manifestOf(buildCnn({ inputSize: 64 })).length, 406402);
  assert.equal(manifestOf(buildCnn({ classes: 5 })).tensors.at(-1)?.shape[0], 5);
});

test("initial weights are deterministic per seed, Glorot-bounded, biases zero", async () => {
  await initBackend("wasm");
  const man = manifestOf(buildCnn());
  const a = initialWeights(man, "1");
  assert.equal(modelHash(a), modelHash(initialWeights(man, "1")));
  assert.notEqual(modelHash(a), modelHash(initialWeights(man, "2")));
  const c1 = man.tensors[0];
  const limit = Math.sqrt(6 / (9 + 9 * 16));
  for (let i = 0; i < c1.length; i++) assert.ok(Math.abs(a[c1.offset + i]) <= limit);
  const b = man.tensors[1];
  assert.ok(a.subarray(b.offset, b.offset + b.length).every((v) => v === 0));
});

test("flat weights round-trip, save/load keeps the hash and SHA-256(weights.bin) = modelHash", async () => {
  await initBackend("wasm");
  const m = buildCnn();
  const w = initialWeights(manifestOf(m), "7");
  w[3] = -0;
  setFlat(m, w);
  const back = getFlat(m);
  assert.equal(Object.is(back[3], -0), false);
  assert.deepEqual(
    back,
    w.map((v) => (v === 0 ? 0 : v)),
  );
  const art = await saveModel(m, { classes: ["normal", "pneumonia"] });
  const h = createHash("sha256").update(art.weightsBin).digest("hex");
  assert.equal(h, modelHash(back));
  const meta = (art.modelJson.userDefinedMetadata as { medtrace: { modelHash: string } }).medtrace;
  assert.equal(meta.modelHash, h);
  const loaded = await loadModel({
    modelJson: JSON.parse(JSON.stringify(art.modelJson)),
    weightsBin: art.weightsBin,
  });
  assert.equal(modelHash(getFlat(loaded)), h);
  const x = tf.randomUniform([4, 28, 28, 1], 0, 1, "float32", 3);
  const d = tf.max(tf.abs(tf.sub(m.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor)));
  assert.equal(d.dataSync()[0], 0);
  const bad = Uint8Array.from(art.weightsBin);
  bad[0] ^= 1;
  await assert.rejects(
    loadModel({ modelJson: art.modelJson, weightsBin: bad }),
    /MODEL_HASH_MISMATCH/,
  );
});

async function modelGrads(
  backend: "wasm" | "cpu",
  padding: "valid" | "same",
): Promise<Float32Array[]> {
  await initBackend(backend);
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      name: "g1",
      inputShape: [12, 12, 1],
      filters: 4,
      kernelSize: 3,
      padding,
      activation: "relu",
    }),
  );
  m.add(
    tf.layers.conv2d({
      name: "g2",
      filters: 6,
      kernelSize: 3,
      strides: 2,
      padding,
      activation: "relu",
    }),
  );
  m.add(tf.layers.maxPooling2d({ name: "gp", poolSize: 2 }));
  m.add(tf.layers.flatten({ name: "gf" }));
  m.add(tf.layers.dense({ name: "gd", units: 2, activation: "softmax" }));
  const man = manifestOf(m);
  setFlat(m, initialWeights(man, "grad"));
  const x = tf.tensor4d(
    Float32Array.from({ length: 8 * 144 }, (_, i) => ((i * 7919) % 256) / 255),
    [8, 12, 12, 1],
  );
  const y = tf.oneHot(tf.tensor1d([0, 1, 1, 0, 1, 0, 0, 1], "int32"), 2);
  const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
  const { grads } = tf.variableGrads(
    () => tf.losses.softmaxCrossEntropy(y, tf.log(m.predict(x) as tf.Tensor)) as tf.Scalar,
    vars,
  );
  const out = vars.map((v) => grads[v.name].dataSync() as Float32Array);
  return out;
}

test("full-model gradients on wasm equal cpu within 1e-5 relative per tensor", async () => {
  for (const padding of ["valid", "same"] as const) {
    const gw = await modelGrads("wasm", padding);
    const gc = await modelGrads("cpu", padding);
    for (let t = 0; t < gw.length; t++) {
      let num = 0;
      let den = 0;
      for (let i = 0; i < gw[t].length; i++) {
        num = Math.max(num, Math.abs(gw[t][i] - gc[t][i]));
        den = Math.max(den, Math.abs(gc[t][i]));
      }
      assert.ok(den > 0, "non-trivial gradient");
      assert.ok(num / den <= 1e-5, `${padding} tensor ${t}: ${num / den}`);
    }
  }
  await initBackend("wasm");
});

test("learnability: bright blob left or right reaches train ACC ≥ 0.95 within 3 epochs on wasm", async () => {
  await initBackend("wasm");
  const n = 256;
  const x = new Float32Array(n * 28 * 28);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    const cx = y[i] ? 20 : 7;
    const cy = 8 + (i % 13);
    for (let r = -2; r <= 2; r++)
      for (let c = -2; c <= 2; c++) x[i * 784 + (cy + r) * 28 + cx + c] = 1;
  }
  const data: Dataset = { x, y, n, h: 28, w: 28, c: 1, classes: 2 };
  const m = buildCnn();
  let g = initialWeights(manifestOf(m), "blob");
  let acc = 0;
  for (let e = 1; e <= 3 && acc < 0.95; e++) {
    const r = localTrain(m, g, data, { round: e, nodeId: "a", seedBytes: flSeedBytes("blob") });
    g = g.map((v, i) => v + r.delta[i]);
    setFlat(m, g);
    acc = evaluate(m, data).acc;
  }
  assert.ok(acc >= 0.95, `acc ${acc}`);
});

test("training is bit-reproducible on wasm from the same seed", async () => {
  await initBackend("wasm");
  const n = 64;
  const x = Float32Array.from({ length: n * 784 }, (_, i) => ((i * 2654435761) % 1000) / 1000);
  const y = Int32Array.from({ length: n }, (_, i) => (i * 7) % 2);
  const data: Dataset = { x, y, n, h: 28, w: 28, c: 1, classes: 2 };
  const m = buildCnn();
  const g = initialWeights(manifestOf(m), "det");
  const opts = { round: 1, nodeId: "a", seedBytes: flSeedBytes("det"), epochs: 2, shiftPx: 2 };
  const a = localTrain(m, g, data, opts);
  const b = localTrain(m, g, data, opts);
  assert.equal(modelHash(a.delta), modelHash(b.delta));
});

test("FedProx's proximal term keeps the local model closer to the global one", async () => {
  await initBackend("wasm");
  const n = 96;
  const x = Float32Array.from({ length: n * 784 }, (_, i) => ((i * 2654435761) % 997) / 997);
  const y = Int32Array.from({ length: n }, (_, i) => (i * 5) % 2);
  const data: Dataset = { x, y, n, h: 28, w: 28, c: 1, classes: 2 };
  const m = buildCnn();
  const g = initialWeights(manifestOf(m), "prox");
  const base = {
    round: 1,
    nodeId: "a",
    seedBytes: flSeedBytes("prox"),
    epochs: 2,
    learningRate: 1e-2,
    optimizer: "sgd" as const,
  };
  const norm = (d: Float32Array) => Math.sqrt(d.reduce((s, v) => s + v * v, 0));
  const free = localTrain(m, g, data, base);
  const prox = localTrain(m, g, data, { ...base, proxMu: 5 });
  assert.ok(norm(prox.delta) < norm(free.delta), `${norm(prox.delta)} vs ${norm(free.delta)}`);
  assert.equal(free.n, n);
  assert.equal(free.steps, 2 * Math.ceil(n / 32));
  assert.equal(localTrain(m, g, data, { ...base, maxSteps: 2 }).steps, 2);
});

test("multi-class: a 3-class blob position task is learnt (softmax K = 3)", async () => {
  await initBackend("wasm");
  const n = 192;
  const x = new Float32Array(n * 784);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    const cx = [5, 14, 22][y[i]];
    const cy = 6 + (i % 15);
    for (let r = -2; r <= 2; r++) for (let c = -2; c <= 2; c++) x[i * 784 + (cy + r) * 28 + cx + c] = 1;
  }
  const data: Dataset = { x, y, n, h: 28, w: 28, c: 1, classes: 3 };
  const m = buildCnn({ classes: 3 });
  let g = initialWeights(manifestOf(m), "k3");
  let ev = evaluate(m, data);
  for (let e = 1; e <= 4 && ev.acc < 0.95; e++) {
    const r = localTrain(m, g, data, { round: e, nodeId: "a", seedBytes: flSeedBytes("k3"), learningRate: 3e-3 });
    g = g.map((v, i) => v + r.delta[i]);
    setFlat(m, g);
    ev = evaluate(m, data);
  }
  assert.ok(ev.acc >= 0.95, `acc ${ev.acc}`);
  assert.ok(ev.auc > 0.95, `macro AUC ${ev.auc}`);
});
