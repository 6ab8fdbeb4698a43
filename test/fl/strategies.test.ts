import assert from "node:assert/strict";
import { test } from "node:test";
import {
  FedAdam,
  FedYogi,
  type FitResult,
  makeStrategy,
  STRATEGY_NAMES,
} from "../../src/fl/strategies/index.ts";
import { degraded, detectOutliers, validateUpdate } from "../../src/fl/validate.ts";

const f32 = (xs: number[]) => Float32Array.from(xs);
const r = (nodeId: string, xs: number[], n = 1): FitResult => ({ nodeId, delta: f32(xs), n });

test("FedAvg is the sample-weighted mean, independent of arrival order", () => {
  const s = makeStrategy("fedavg");
  const a = s.aggregateFit([r("b", [1, 0], 3), r("a", [0, 4], 1)]);
  const b = s.aggregateFit([r("a", [0, 4], 1), r("b", [1, 0], 3)]);
  assert.deepEqual(a, f32([0.75, 1]));
  assert.deepEqual(a, b);
  assert.deepEqual(s.applyAggregate(f32([1, 1]), a), f32([1.75, 2]));
  assert.equal(s.secureAggregationCompatible, true);
});

test("FedProx asks nodes for μ and aggregates as FedAvg", () => {
  const s = makeStrategy("fedprox", { mu: 0.1 });
  assert.equal(s.configureRound({ round: 1, learningRate: 1e-3, proxMu: 0 }).proxMu, 0.1);
  assert.equal(
    makeStrategy("fedavg").configureRound({ round: 1, learningRate: 1e-3, proxMu: 5 }).proxMu,
    0,
  );
});

test("FedAdam and FedYogi follow Reddi et al. 2021 without bias correction", () => {
  const adam = new FedAdam();
  const d = f32([0.5, -0.2]);
  const g1 = adam.applyAggregate(f32([0, 0]), d);
  // m = 0.1·Δ, v = 0.01·Δ², step = 0.1·m/(√v + τ) = 0.1·0.1Δ/(0.1|Δ|) = 0.1·sign(Δ)
  assert.ok(Math.abs(g1[0] - 0.1) < 1e-6 && Math.abs(g1[1] + 0.1) < 1e-6);
  const yogi = new FedYogi();
  const y1 = yogi.applyAggregate(f32([0, 0]), d);
  assert.ok(Math.abs(y1[0] - 0.1) < 1e-6);
  const y2 = yogi.applyAggregate(y1, d);
  const a2 = adam.applyAggregate(g1, d);
  assert.notDeepEqual(y2, a2); // v differs from the second round on
  assert.ok(yogi.state().v && adam.state().m);
});

test("robust strategies say they cannot run under secure aggregation, and resist one poisoned node", () => {
  const honest = [r("a", [1, 1]), r("b", [1.1, 0.9]), r("c", [0.9, 1.1]), r("d", [1.05, 0.95])];
  const poisoned = [...honest, r("e", [-100, -100])];
  for (const name of ["median", "trimmed-mean", "krum", "multi-krum"]) {
    const s = makeStrategy(name);
    assert.equal(s.secureAggregationCompatible, false, name);
    const g = s.aggregateFit(poisoned);
    assert.ok(g[0] > 0.8 && g[0] < 1.2 && g[1] > 0.8 && g[1] < 1.2, `${name}: ${g}`);
  }
  const avg = makeStrategy("fedavg").aggregateFit(poisoned);
  assert.ok(avg[0] < -10);
  assert.deepEqual(makeStrategy("median").aggregateFit(honest), f32([1.025, 0.975]));
  assert.throws(() => makeStrategy("krum").aggregateFit(honest.slice(0, 3)), /CONFIG_INVALID/);
  assert.throws(() => makeStrategy("nope"), /unknown strategy/);
  assert.equal(STRATEGY_NAMES.length, 8);
});

test("validation refuses wrong shape, NaN, Inf, excess norm, bad weight and stale base", () => {
  const rules = { length: 3, maxUpdateNorm: 2, declaredN: 100, baseModelHash: "h" };
  const ok = { delta: f32([1, 1, 1]), n: 10, baseModelHash: "h" };
  assert.equal(validateUpdate(ok, rules), null);
  assert.equal(validateUpdate({ ...ok, delta: f32([1, 1]) }, rules), "wrong-shape");
  assert.equal(validateUpdate({ ...ok, delta: f32([1, Number.NaN, 1]) }, rules), "non-finite");
  assert.equal(
    validateUpdate({ ...ok, delta: f32([1, Number.POSITIVE_INFINITY, 1]) }, rules),
    "non-finite",
  );
  assert.equal(validateUpdate({ ...ok, delta: f32([2, 2, 2]) }, rules), "norm-bound");
  assert.equal(validateUpdate({ ...ok, n: 0 }, rules), "bad-weight");
  assert.equal(validateUpdate({ ...ok, n: 101 }, rules), "bad-weight");
  assert.equal(validateUpdate({ ...ok, baseModelHash: "old" }, rules), "stale-base");
});

test("outlier detection flags a scaled sign-flipped update and a huge one", () => {
  const base = [
    r("a", [1, 1, 0]),
    r("b", [1.2, 0.8, 0.1]),
    r("c", [0.8, 1.1, -0.1]),
    r("d", [1, 0.9, 0]),
  ];
  const flip = detectOutliers([...base, r("m", [-10, -10, 0])], 3);
  assert.deepEqual(
    flip.map((a) => [a.type, a.nodeId]),
    [["fl.update.outlier", "m"]],
  );
  const opposed = detectOutliers([...base, r("m", [-1, -1, 0])], 3);
  assert.deepEqual(
    opposed.map((a) => [a.nodeId, a.reason]),
    [["m", "opposed"]],
  );
  assert.deepEqual(detectOutliers(base, 3), []);
  assert.equal(degraded([1, 1.6, 2.5]), true);
  assert.equal(degraded([1, 1.6, 2]), false);
});
