import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { keystream, keystreamU32 } from "../../src/crypto/prg.ts";
import { shamirCombine } from "../../src/crypto/shamir.ts";
import {
  defaultSecAggParams,
  freezeU1,
  quantise,
  quantStep,
  selfMaskKey,
  unmask,
  unmaskResponse,
} from "../../src/fl/secagg.ts";
import { type SecAggInput, secureAggregateLocal } from "../../src/fl/secagg-local.ts";
import { weightedMean } from "../../src/fl/strategies/types.ts";

const D = 5000;

function inputs(n: number): SecAggInput[] {
  return Array.from({ length: n }, (_, k) => ({
    nodeId: `h${String(k).padStart(2, "0")}`,
    nodeSecret: randomBytes(32),
    delta: Float32Array.from(
      { length: D },
      (_, i) => Math.sin(i * (k + 1)) * 0.05 + (k % 3) * 0.01,
    ),
    n: 100 + 37 * k,
  }));
}

const params = (maxN: number) =>
  defaultSecAggParams({ sessionId: "s1", round: 2, attempt: 1, roundNonce: randomBytes(32) }, maxN);

test("secure aggregation equals plain FedAvg to the quantisation error at 0/10/20/30 % dropouts", () => {
  const n = 10;
  const ins = inputs(n);
  const p = params(Math.max(...ins.map((i) => i.n)));
  for (const frac of [0, 0.1, 0.2, 0.3]) {
    const drop = new Set(ins.slice(0, Math.round(frac * n)).map((i) => i.nodeId));
    const r = secureAggregateLocal(ins, p, drop);
    const survivors = ins.filter((i) => !drop.has(i.nodeId));
    assert.deepEqual(
      r.u3,
      survivors.map((i) => i.nodeId),
    );
    const plain = weightedMean(
      survivors.map((i) => ({ nodeId: i.nodeId, delta: i.delta, n: i.n })),
    );
    const sumW = survivors.reduce((a, i) => a + i.n / p.maxWeight, 0);
    assert.ok(Math.abs(r.sum[0] - sumW) <= r.u3.length * quantStep(p));
    // |X − exact| ≤ |U3|·δ per coordinate, so the mean is within ≈ 2·|U3|·δ / Σw
    const bound = (2 * r.u3.length * quantStep(p)) / sumW + 1e-6;
    let maxErr = 0;
    for (let i = 0; i < D; i++) maxErr = Math.max(maxErr, Math.abs(r.meanDelta[i] - plain[i]));
    assert.ok(maxErr <= bound, `dropout ${frac}: max err ${maxErr} > ${bound}`);
  }
});

test("the server cannot recover a single update from what it receives", () => {
  const ins = inputs(5);
  const p = params(300);
  const r = secureAggregateLocal(ins, p);
  const target = ins[2];
  const y = r.serverView.masked.get(target.nodeId) as Uint32Array;
  // At unmask the server legitimately reconstructs b_u of every U3 member and strips the self mask.
  const idx = (id: string) => r.u2.indexOf(id) + 1;
  const b = shamirCombine(
    r.serverView.responses.map((resp) => ({
      x: idx(resp.from),
      y: (resp.bShares.find((s) => s.of === target.nodeId) as { y: Uint8Array }).y,
    })),
  );
  const stripped = Uint32Array.from(y);
  const m = keystreamU32(selfMaskKey(b, target.nodeId, p), y.length);
  for (let i = 0; i < y.length; i++) stripped[i] -= m[i];
  // What remains still carries the pairwise masks, keyed by X25519 secrets it never sees:
  // dequantised, it is uncorrelated with the node's true update.
  const step = quantStep(p);
  const w = target.n / p.maxWeight;
  const guess = Array.from(stripped.subarray(1), (q) => (q * step - p.clip) / w);
  const truth = Array.from(target.delta);
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const mg = mean(guess);
  const mt = mean(truth);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < truth.length; i++) {
    sxy += (guess[i] - mg) * (truth[i] - mt);
    sxx += (guess[i] - mg) ** 2;
    syy += (truth[i] - mt) ** 2;
  }
  const corr = sxy / Math.sqrt(sxx * syy);
  assert.ok(Math.abs(corr) < 0.05, `masked input correlates with the update: ${corr}`);
  // control: without the pairwise masks (a lone node) the same procedure recovers the update
  const q = quantise(
    Float64Array.from([w, ...Array.from(target.delta, (d) => d * w)]),
    p,
    randomBytes(32),
  );
  const back = Array.from(q.subarray(1), (v) => (v * step - p.clip) / w);
  assert.ok(Math.abs(back[10] - truth[10]) < 1e-3);
  assert.ok(Math.abs(stripped[1] * step - p.clip - w * truth[0]) > 1e-3);
  // masked words are uniform-looking: mean near 2^31 rather than near the quantised values (~2^21)
  const avg = y.reduce((a, v) => a + v, 0) / y.length;
  assert.ok(Math.abs(avg / 2 ** 31 - 1) < 0.05);
  // the share ciphertexts relayed by the server decrypt only under pairwise channel keys
  assert.ok(r.serverView.shares.every((s) => !Buffer.from(s.ct).includes(Buffer.from("sShare"))));
  // and no node ever hands out both kinds of share for a surviving node: asking for s-shares of
  // U3 members only yields b-shares for them
  for (const resp of r.serverView.responses) {
    const bOf = new Set(resp.bShares.map((s) => s.of));
    assert.ok(resp.sShares.every((s) => !bOf.has(s.of)));
    assert.ok(resp.sShares.every((s) => !r.u3.includes(s.of)));
  }
  // sanity: the keystream is not zero
  assert.ok(keystream(randomBytes(32), 16).some((b) => b !== 0));
});

test("a node refuses a second, different U3 for the same round (unmask-conflict) and bad sets", () => {
  const ins = inputs(4);
  const p = params(300);
  const drop = new Set([ins[0].nodeId]);
  const r = secureAggregateLocal(ins, p, drop);
  assert.equal(r.u3.length, 3);
  const fakeNode = {
    nodeId: "x",
    nodeSecret: new Uint8Array(32),
    c: null,
    s: null,
    b: new Uint8Array(32),
    held: new Map(),
    answeredU3: "ff",
  } as never;
  const u1 = { members: [], index: new Map(), n: 4, t: 3 };
  assert.throws(
    () => unmaskResponse(fakeNode, u1, ["a", "b", "c"], ["a", "b", "c"]),
    /unmask-conflict/,
  );
  assert.throws(() => unmaskResponse(fakeNode, u1, ["a", "b", "c"], ["a", "b"]), /bad-set/);
  assert.throws(() => unmaskResponse(fakeNode, u1, ["a", "b"], ["a", "b", "z"]), /bad-set/);
});

test("too many dropouts fail the round with a quorum error", () => {
  const ins = inputs(5);
  const p = params(300);
  const drop = new Set(ins.slice(0, 3).map((i) => i.nodeId));
  assert.throws(() => secureAggregateLocal(ins, p, drop), /fl\.secagg/);
});

test("a bad Shamir share is survived by subset search, or named with fl.secagg.bad-share", () => {
  const ins = inputs(5);
  const p = params(300);
  const r = secureAggregateLocal(ins, p, new Set([ins[4].nodeId]));
  const u1 = freezeU1(r.serverView.adverts);
  const corrupt = (from: string) =>
    r.serverView.responses.map((resp) =>
      resp.from === from
        ? {
            ...resp,
            bShares: resp.bShares.map((s) => ({ of: s.of, y: s.y.map((b) => b ^ 0x5a) })),
            sShares: resp.sShares.map((s) => ({ of: s.of, y: s.y.map((b) => b ^ 0x5a) })),
          }
        : resp,
    );
  const again = unmask(u1, r.u2, r.u3, r.serverView.masked, corrupt(r.u3[0]), p);
  assert.deepEqual(again.meanDelta, r.meanDelta);
  // with only t responses, one of them bad, no consistent subset exists
  const few = corrupt(r.u3[0]).slice(0, u1.t);
  assert.throws(() => unmask(u1, r.u2, r.u3, r.serverView.masked, few, p), /fl\.secagg\.bad-share/);
});
