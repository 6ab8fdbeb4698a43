import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { canonicalJson } from "../../src/crypto/jcs.ts";
import { classCounts, npzDatasets, parseSplit, partition } from "../../src/fl/dataset.ts";
import { dataPath } from "../../src/util/data-path.ts";

const ds = npzDatasets(readFileSync(dataPath("pneumoniamnist", "pneumoniamnist.npz")));

test("PneumoniaMNIST loads with the official split sizes and class counts, scaled to [0, 1]", () => {
  assert.deepEqual([ds.train.n, ds.val.n, ds.test.n], [4708, 524, 624]);
  assert.deepEqual(classCounts(ds.train), [1214, 3494]);
  assert.deepEqual(classCounts(ds.val), [135, 389]);
  assert.deepEqual(classCounts(ds.test), [234, 390]);
  assert.deepEqual([ds.train.h, ds.train.w, ds.train.c, ds.train.classes], [28, 28, 1, 2]);
  let lo = 1;
  let hi = 0;
  for (const v of ds.test.x) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  assert.ok(lo >= 0 && hi <= 1 && hi > 0.9);
});

const hash = (p: number[][]) => createHash("sha256").update(canonicalJson(p)).digest("hex");

test("partitions are seeded, disjoint and complete; IID deals each class round-robin", () => {
  const a = partition(ds.train.y, 2, 3, parseSplit("iid"), "1");
  assert.equal(hash(a), hash(partition(ds.train.y, 2, 3, parseSplit("iid"), "1")));
  assert.notEqual(hash(a), hash(partition(ds.train.y, 2, 3, parseSplit("iid"), "2")));
  const all = a.flat().sort((x, y) => x - y);
  assert.deepEqual(
    all,
    Array.from({ length: 4708 }, (_, i) => i),
  );
  const counts = a.map((idx) => [
    idx.filter((i) => ds.train.y[i] === 0).length,
    idx.filter((i) => ds.train.y[i] === 1).length,
  ]);
  for (const c of counts) {
    assert.ok(Math.abs(c[0] - 1214 / 3) <= 1 && Math.abs(c[1] - 3494 / 3) <= 1);
  }
});

test("Dirichlet label skew: seeded, complete, every hospital ≥ 10 examples, skew grows as α falls", () => {
  const skew = (alpha: number) => {
    const p = partition(ds.train.y, 2, 3, { kind: "dirichlet", alpha }, "1");
    assert.equal(hash(p), hash(partition(ds.train.y, 2, 3, { kind: "dirichlet", alpha }, "1")));
    assert.equal(p.flat().length, 4708);
    assert.equal(new Set(p.flat()).size, 4708);
    assert.ok(p.every((h) => h.length >= 10));
    // mean absolute deviation of each hospital's pneumonia share from the global share
    const g = 3494 / 4708;
    return (
      p.reduce(
        (s, h) => s + Math.abs(h.filter((i) => ds.train.y[i] === 1).length / h.length - g),
        0,
      ) / 3
    );
  };
  assert.ok(skew(0.1) > skew(100));
  assert.throws(() => parseSplit("dirichlet:0"), /CONFIG_INVALID/);
  assert.deepEqual(parseSplit("dirichlet:0.5"), { kind: "dirichlet", alpha: 0.5 });
});

test("benchmark partitions match the golden file (a generator change must be deliberate)", () => {
  const golden = JSON.parse(readFileSync(new URL("./golden/partitions.json", import.meta.url), "utf8")) as Record<string, string>;
  const splits = { iid: parseSplit("iid"), "dir0.5": parseSplit("dirichlet:0.5"), "dir0.1": parseSplit("dirichlet:0.1") };
  let checked = 0;
  for (const [key, want] of Object.entries(golden)) {
    if (key.startsWith("_")) continue;
    const [k, scheme, s] = key.split("/");
    const p = partition(ds.train.y, 2, Number(k.slice(1)), splits[scheme as keyof typeof splits], s.slice(1));
    assert.equal(hash(p).slice(0, 16), want, key);
    checked++;
  }
  assert.equal(checked, 18);
});
