import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { shamirCombine, shamirSplit } from "../../src/crypto/shamir.ts";

test("any t of n Shamir shares recover the secret; t−1 give something else", () => {
  for (const [t, n] of [
    [1, 1],
    [2, 3],
    [3, 5],
    [34, 50],
  ]) {
    const secret = randomBytes(32);
    const xs = Array.from({ length: n }, (_, i) => i + 1);
    const shares = shamirSplit(secret, t, xs);
    const pick = [...shares].sort(() => 0.5 - Math.random()).slice(0, t);
    assert.deepEqual(Buffer.from(shamirCombine(pick)), secret);
    assert.deepEqual(Buffer.from(shamirCombine(shares)), secret); // extra shares agree
    if (t > 1) assert.notDeepEqual(Buffer.from(shamirCombine(pick.slice(1))), secret);
  }
});

test("a corrupted share changes the reconstruction; bad parameters are refused", () => {
  const secret = randomBytes(32);
  const shares = shamirSplit(secret, 3, [1, 2, 3, 4, 5]);
  const bad = shares
    .slice(0, 3)
    .map((s, i) => (i === 0 ? { x: s.x, y: s.y.map((b) => b ^ 1) } : s));
  assert.notDeepEqual(Buffer.from(shamirCombine(bad)), secret);
  assert.throws(() => shamirSplit(secret, 4, [1, 2, 3]), /SHAMIR_THRESHOLD/);
  assert.throws(() => shamirSplit(secret, 2, [1, 1, 3]), /SHAMIR_X/);
  assert.throws(() => shamirSplit(secret, 2, [0, 1]), /SHAMIR_X/);
});
