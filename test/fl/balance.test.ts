// Class-balanced loss and the validation-chosen decision threshold (options for the skewed
// PneumoniaMNIST split, ~74 % pneumonia in train, 62.5 % in test).
import assert from "node:assert/strict";
import { test } from "node:test";
import { flSeedBytes } from "../../src/crypto/prg.ts";
import { initBackend } from "../../src/fl/backend.ts";
import type { Dataset } from "../../src/fl/dataset.ts";
import { accuracyAt, bestThreshold } from "../../src/fl/metrics.ts";
import { buildCnn, initialWeights, manifestOf, setFlat } from "../../src/fl/model.ts";
import { balancedClassWeights, localTrain, predict } from "../../src/fl/train.ts";

const labels = (counts: number[]) =>
  Int32Array.from(counts.flatMap((c, k) => new Array<number>(c).fill(k)));
const dataset = (y: Int32Array): Dataset => ({
  // pixels that say nothing about the label: the model can only learn the class prior
  x: Float32Array.from({ length: y.length * 784 }, (_, i) => ((i * 2654435761) % 1009) / 1009),
  y,
  n: y.length,
  h: 28,
  w: 28,
  c: 1,
  classes: 2,
});

test("balanced weights are n / (K·n_c), capped at 5, and 1 for an absent class", () => {
  const w = balancedClassWeights(dataset(labels([25, 75])));
  assert.ok(Math.abs(w[0] - 2) < 1e-12 && Math.abs(w[1] - 2 / 3) < 1e-12, String(w));
  assert.deepEqual(balancedClassWeights(dataset(labels([3, 997]))).map((v) => v > 4.99), [true, false]);
  assert.deepEqual(balancedClassWeights(dataset(labels([0, 40])))[0], 1);
});

test("class-balanced loss moves the learnt prior of an 80/20 split towards 0.5", async () => {
  await initBackend("wasm");
  const data = dataset(labels([32, 128]));
  const m = buildCnn();
  const g = initialWeights(manifestOf(m), "balance");
  const meanP1 = (classWeights?: number[]) => {
    const r = localTrain(m, g, data, {
      round: 1,
      nodeId: "a",
      seedBytes: flSeedBytes("balance"),
      epochs: 4,
      learningRate: 3e-3,
      classWeights,
    });
    setFlat(
      m,
      g.map((v, i) => v + r.delta[i]),
    );
    const p = predict(m, data);
    let s = 0;
    for (let i = 0; i < data.n; i++) s += p[2 * i + 1];
    return s / data.n;
  };
  const plain = meanP1();
  const balanced = meanP1(balancedClassWeights(data));
  assert.ok(plain > 0.7, `plain prior ${plain}`);
  assert.ok(balanced < plain - 0.15, `balanced ${balanced} vs plain ${plain}`);
});

test("bestThreshold picks the cut that is best on the given scores, 0.5 on ties", () => {
  // positives score 0.6–0.9, negatives 0.1–0.65: argmax misclassifies the negatives at 0.55–0.65
  const scores = [0.1, 0.3, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9, 0.6, 0.62];
  const y = Int32Array.from([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
  const probs = Float32Array.from(scores.flatMap((p) => [1 - p, p]));
  const t = bestThreshold(probs, y);
  assert.equal(accuracyAt(probs, y, 0.5), 0.7);
  assert.equal(accuracyAt(probs, y, t), 0.8);
  assert.ok(t > 0.55 && t <= 0.6, `cut ${t}`);
  const separable = Float32Array.from([0.9, 0.1, 0.1, 0.9]);
  assert.equal(bestThreshold(separable, Int32Array.from([0, 1])), 0.5);
});
