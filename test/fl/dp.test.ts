import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { clipUpdate, epsilon, noisyMean, RdpAccountant } from "../../src/fl/dp.ts";
import { l2 } from "../../src/fl/validate.ts";

test("RDP accountant reproduces the golden (ε, α) table of §8.4 at δ = 1e-5", () => {
  const golden: [number, number, number, number][] = [
    [1, 1, 4.7527, 5],
    [1, 20, 30.127, 2],
    [2, 20, 12.302, 3],
    [4, 20, 5.378, 5],
    [4, 50, 9.2363, 3.5],
    [8, 20, 2.464, 8],
    [16, 20, 1.143, 16],
  ];
  for (const [z, T, eps, order] of golden) {
    const r = epsilon(z, T);
    assert.ok(Math.abs(r.epsilon - eps) < 6e-4, `z=${z} T=${T}: ${r.epsilon}`);
    assert.equal(r.order, order);
  }
  const acc = new RdpAccountant();
  for (let i = 0; i < 20; i++) acc.step(4);
  assert.ok(Math.abs(acc.peek().epsilon - 5.378) < 6e-4);
  assert.ok(acc.peek(4).epsilon > acc.peek().epsilon);
});

test("clipping bounds the norm and central noise has the configured scale", () => {
  const d = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i));
  const n0 = clipUpdate(d, 2);
  assert.ok(n0 > 2);
  assert.ok(Math.abs(l2(d) - 2) < 1e-5);
  const small = Float32Array.of(0.1, 0.1);
  clipUpdate(small, 2);
  assert.deepEqual(small, Float32Array.of(0.1, 0.1));
  const zeros = new Float64Array(20000);
  const out = noisyMean(zeros, 4, 2, 0.5, randomBytes(32));
  const sd = Math.sqrt(out.reduce((a, v) => a + v * v, 0) / out.length);
  assert.ok(Math.abs(sd - (2 * 0.5) / 4) < 0.01, `sd ${sd}`);
});
