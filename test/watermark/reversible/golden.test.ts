// Golden values of reversible-watermark.md §3.4, §5.2, §6.3, §6.5 and §14.1.
import assert from "node:assert/strict";
import { test } from "node:test";
import { computeGeometry } from "../../../src/watermark/reversible/geometry.ts";
import {
  keystream,
  keystreamIv,
  slotOf,
  whiteningOf,
} from "../../../src/watermark/reversible/keystream.ts";
import { LADDER, rungOf } from "../../../src/watermark/reversible/ladder.ts";
import { buildMessage, P1, P2 } from "../../../src/watermark/reversible/payload.ts";
import { rsEncode, rsGenerator } from "../../../src/watermark/reversible/rs.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const seq = (from: number, n: number) => Uint8Array.from({ length: n }, (_, i) => from + i);

test("threshold ladder rungs and monotonicity (§3.4)", () => {
  const expected: Record<number, number> = {
    0: 0,
    1: 1,
    2: 4,
    3: 9,
    16: 256,
    17: 289,
    32: 1024,
    33: 1156,
    255: 507904 ** 2,
  };
  for (const [k, v] of Object.entries(expected)) assert.equal(LADDER[Number(k)], v, `T_${k}`);
  for (let k = 1; k < 256; k++) assert.ok(LADDER[k] > LADDER[k - 1]);
  for (let k = 17; k < 256; k++) assert.ok(LADDER[k] / LADDER[k - 1] <= 1.13 ** 2 + 1e-9);
  assert.equal(rungOf(0), 0);
  assert.equal(rungOf(257), 17);
  assert.equal(rungOf(289), 17);
});

test("prediction is floor of the rhombus mean, also for negative sums (§14.1-2)", () => {
  const data = new Int32Array(25).fill(-3);
  data[2 * 5 + 3] = -2; // E neighbour of the centre
  const geo = computeGeometry(data, 5, 5, 0, -32768, 32767);
  const centre = Array.from(geo.index).indexOf(12);
  assert.equal(geo.pred[centre], -3);
});

test("μ = 0 on a flat window and 11 when one neighbour differs by 1 (§14.1-3)", () => {
  const data = new Int32Array(25).fill(100);
  let geo = computeGeometry(data, 5, 5, 0, 0, 65535);
  assert.equal(geo.mu[Array.from(geo.index).indexOf(12)], 0);
  data[1 * 5 + 2] = 101; // N
  geo = computeGeometry(data, 5, 5, 0, 0, 65535);
  assert.equal(geo.mu[Array.from(geo.index).indexOf(12)], 11);
});

test("keystream IV, slots and whitening match §5.2", () => {
  const key = seq(0x20, 32);
  assert.equal(keystreamIv(512, 512).toString("hex"), "5519a7b297bdda108d5da5045898cf4e");
  const ks = keystream(key, 512, 512);
  const table: [number, string, number, number, number][] = [
    [0, "1232b74e", 311, 119, 0],
    [1, "c8cf41f6", 193, 1, 0],
    [2, "99a4846d", 260, 68, 1],
    [513, "d459ea8b", 106, 106, 1],
    [262143, "e64e81ae", 257, 65, 0],
  ];
  for (const [i, v, s384, s192, w] of table) {
    assert.equal(ks[i].toString(16).padStart(8, "0"), v, `v_${i}`);
    assert.equal(slotOf(ks[i], 384), s384);
    assert.equal(slotOf(ks[i], 192), s192);
    assert.equal(whiteningOf(ks[i]), w);
  }
});

test("RS generators and parities (§6.3, §6.5)", () => {
  assert.equal(hex(rsGenerator(16)), "013b0d68bd44d11e08a34129e5623224" + "3b");
  assert.equal(hex(rsGenerator(8)), "01ff0b5136efadc818");
  assert.equal(hex(rsEncode(seq(0, 32), 16).subarray(32)), "a466382045f089cf961a54126b4201cb");
  assert.equal(hex(rsEncode(seq(0, 16), 8).subarray(16)), "0ec7f360396d8886");
});

test("golden payload messages and codewords (§6.5)", () => {
  const mac = seq(0, 32);
  const m1 = buildMessage(P1, mac, 37, seq(0xa0, 16), 512, 512);
  assert.equal(hex(m1), "1125a0a1a2a3a4a5a6a7a8a9aaabacadaeaf29ee2cd1d525e967784633ef6b1a");
  assert.equal(hex(rsEncode(m1, 16).subarray(32)), "86d5d78af865cd3b4ba1ab17e420e3f7");
  const m2 = buildMessage(P2, mac, 94, seq(0xa0, 8), 128, 128);
  assert.equal(hex(m2), "125ea0a1a2a3a4a5a6a7dbb4be0a1aaa");
  assert.equal(hex(rsEncode(m2, 8).subarray(16)), "168378bf21f47ede");
});
