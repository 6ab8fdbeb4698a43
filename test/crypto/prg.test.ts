import assert from "node:assert/strict";
import { test } from "node:test";
import { flDerive, flSeedBytes, Prg } from "../../src/crypto/prg.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

test("FL seed derivation matches the golden values of federated-learning.md §1.7", () => {
  const s = flSeedBytes("1");
  assert.equal(hex(s), "07211097c37b1c5685d7f09e969a8dd42a91ed221436c091e3e9c14158c5d082");
  assert.equal(
    hex(flDerive(s, "init")),
    "e337e3979496b6cdf51e797586b5e6ed273f0c0cb40e323a0b9b48b4127fee80",
  );
  assert.equal(
    hex(flDerive(s, "select/r1")),
    "005289af8a8af02686959064c04a7b72cd8c6527863d4075e0384d32802b98da",
  );
});

test("PRG words and uniforms match the golden values", () => {
  const key = Uint8Array.from({ length: 32 }, (_, i) => i);
  const p = new Prg(key);
  assert.deepEqual(
    [p.u32(), p.u32(), p.u32(), p.u32()],
    [3053490418, 3500099882, 1788539817, 2155294429],
  );
  const q = new Prg(key);
  assert.equal(q.uniform(), 0.8149305085444232);
  assert.equal(q.uniform(), 0.5018185892646263);
});
