import assert from "node:assert/strict";
import { test } from "node:test";
import type { Dataset } from "../../src/fl/dataset.ts";
import { evalReport, poolReports } from "../../src/fl/fedeval.ts";
import { rocAuc } from "../../src/fl/metrics.ts";

function fake(n: number, seed: number): { probs: Float32Array; data: Dataset } {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  const y = Int32Array.from({ length: n }, () => (rnd() < 0.6 ? 1 : 0));
  const probs = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const p = Math.min(0.999, Math.max(0.001, 0.5 + (y[i] ? 0.2 : -0.2) + (rnd() - 0.5) * 0.8));
    probs[2 * i] = 1 - p;
    probs[2 * i + 1] = p;
  }
  return { probs, data: { x: new Float32Array(0), y, n, h: 1, w: 1, c: 1, classes: 2 } };
}

test("pooled federated evaluation equals central ACC/loss and approximates AUC from histograms", () => {
  const parts = [fake(300, 1), fake(150, 2), fake(500, 3)];
  const pooled = poolReports(parts.map((p) => evalReport(p.probs, p.data)));
  const scores = parts.flatMap((p) => Array.from({ length: p.data.n }, (_, i) => p.probs[2 * i + 1]));
  const labels = parts.flatMap((p) => Array.from(p.data.y, (v) => v === 1));
  const acc = scores.filter((s, i) => (s >= 0.5) === labels[i]).length / scores.length;
  assert.equal(pooled.n, 950);
  assert.ok(Math.abs(pooled.acc - acc) < 1e-12);
  const exact = rocAuc(scores, labels);
  assert.ok(Math.abs(pooled.auc - exact) < 0.01, `${pooled.auc} vs ${exact}`);
  const r = evalReport(parts[0].probs, parts[0].data);
  assert.equal(r.confusion.reduce((a, b) => a + b, 0), 300);
  assert.equal(r.confusion[0] + r.confusion[3], r.correct);
});
