import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import * as ort from "onnxruntime-node";
import { initBackend, tf } from "../../src/fl/backend.ts";
import { head, npzDatasets } from "../../src/fl/dataset.ts";
import { buildCnn, type CnnOptions, initialWeights, manifestOf, setFlat } from "../../src/fl/model.ts";
import { exportOnnx } from "../../src/fl/onnx.ts";
import { predict } from "../../src/fl/train.ts";
import { dataPath } from "../../src/util/data-path.ts";

async function parity(opts: CnnOptions, x: Float32Array, n: number): Promise<number> {
  const model = buildCnn(opts);
  const w = initialWeights(manifestOf(model), "onnx");
  // non-zero biases so that bias handling is exercised
  for (let i = 0; i < w.length; i += 97) w[i] += 0.01;
  setFlat(model, w);
  const size = opts.inputSize ?? 28;
  const ds = { x, y: new Int32Array(n), n, h: size, w: size, c: 1, classes: opts.classes ?? 2 };
  const ours = predict(model, ds);
  const bytes = exportOnnx(model, { "medtrace.modelHash": "test" });
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ input: new ort.Tensor("float32", x, [n, size, size, 1]) });
  const theirs = out.probabilities.data as Float32Array;
  assert.equal(theirs.length, ours.length);
  let max = 0;
  for (let i = 0; i < ours.length; i++) max = Math.max(max, Math.abs(ours[i] - theirs[i]));
  model.dispose();
  return max;
}

test("ONNX export: onnxruntime-node predictions equal tfjs wasm within 1e-5 (random inputs and PneumoniaMNIST)", async (t) => {
  await initBackend("wasm");
  const rnd = tf.randomUniform([64, 28, 28, 1], 0, 1, "float32", 5).dataSync() as Float32Array;
  for (const opts of [{}, { padding: "same" as const }, { classes: 4 }]) {
    const e = await parity(opts, rnd, 64);
    assert.ok(e <= 1e-5, `${JSON.stringify(opts)}: max abs diff ${e}`);
    t.diagnostic(`${JSON.stringify(opts)} random: max abs diff ${e}`);
  }
  const test64 = head(npzDatasets(readFileSync(dataPath("pneumoniamnist", "pneumoniamnist.npz"))).test, 64);
  const e = await parity({}, test64.x, 64);
  t.diagnostic(`PneumoniaMNIST test[0..64): max abs diff ${e}`);
  assert.ok(e <= 1e-5);
});

test("ONNX export refuses layers outside §3.2", async () => {
  await initBackend("wasm");
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ name: "dw", inputShape: [8, 8, 1], filters: 2, kernelSize: 3 }));
  m.add(tf.layers.globalAveragePooling2d({ name: "gap" }));
  assert.throws(() => exportOnnx(m), /UnsupportedLayer/);
});
