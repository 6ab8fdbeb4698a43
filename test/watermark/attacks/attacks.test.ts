import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ATTACK_IDS,
  AttackError,
  applyAttack,
  medianFilter,
  type Plane8,
  reflect,
} from "../../../src/watermark/attacks/index.ts";
import { psnr } from "../../../src/watermark/metrics.ts";
import { resize } from "../../../src/watermark/zero/resize.ts";

const N = 512;
const grey = (v: number): Plane8 => ({ rows: N, cols: N, data: new Float64Array(N * N).fill(v) });
const ramp = (): Plane8 => ({
  rows: N,
  cols: N,
  data: Float64Array.from(
    { length: N * N },
    (_, i) => ((i % N) * 7 + Math.floor(i / N) * 13) % 256,
  ),
});

test("salt & pepper: measured density within ±0.1 % of d, half salt, half pepper", () => {
  for (const d of [0.01, 0.05, 0.1]) {
    const out = applyAttack(`sp-${d}`, grey(128), "grey").data;
    const zeros = out.filter((v) => v === 0).length / out.length;
    const ones = out.filter((v) => v === 255).length / out.length;
    assert.ok(Math.abs(zeros + ones - d) <= 0.001, `d=${d}: ${zeros + ones}`);
    assert.ok(Math.abs(zeros - d / 2) <= 0.001);
  }
});

test("Gaussian noise: variance of the change of u within 2 % of v (mid-grey, no clipping)", () => {
  for (const v of [0.001, 0.005, 0.01]) {
    const out = applyAttack(`gauss-${v}`, grey(128), "grey").data;
    let s = 0;
    let s2 = 0;
    for (const x of out) {
      const du = (x - 128) / 255;
      s += du;
      s2 += du * du;
    }
    const mean = s / out.length;
    const variance = (s2 - out.length * mean * mean) / (out.length - 1);
    assert.ok(Math.abs(variance / v - 1) <= 0.02, `v=${v}: ${variance}`);
  }
});

test("rot-0 and same-size resize are the identity; jpeg-100 has PSNR > 45 dB", () => {
  const img = ramp();
  assert.deepEqual(applyAttack("rot-0", img, "ramp").data, img.data);
  assert.deepEqual(resize(img.data, N, N, N, N), img.data);
  const smooth: Plane8 = {
    rows: N,
    cols: N,
    data: Float64Array.from({ length: N * N }, (_, i) =>
      Math.round(128 + 60 * Math.sin((i % N) / 23) * Math.cos(Math.floor(i / N) / 31)),
    ),
  };
  const j = applyAttack("jpeg-100", smooth, "smooth");
  assert.ok(psnr(smooth.data, j.data, 255) > 45, `PSNR ${psnr(smooth.data, j.data, 255)}`);
});

test("median filter on known arrays (reflect border)", () => {
  const img: Plane8 = { rows: 3, cols: 3, data: Float64Array.from([1, 2, 3, 4, 100, 6, 7, 8, 9]) };
  // Centre: median of all nine = 6; corner (0,0) window with reflect: rows 0,0,1 × cols 0,0,1
  // = 1,1,2,1,1,2,4,4,100 → median 2.
  const out = medianFilter(img, 3).data;
  assert.equal(out[4], 6);
  assert.equal(out[0], 2);
  assert.deepEqual([reflect(-1, 5), reflect(-2, 5), reflect(5, 5), reflect(6, 5)], [0, 1, 4, 3]);
});

test("attacks are deterministic per (attack, image) and differ across images", () => {
  const a = applyAttack("gauss-0.01", ramp(), "img-a").data;
  const b = applyAttack("gauss-0.01", ramp(), "img-a").data;
  const c = applyAttack("gauss-0.01", ramp(), "img-b").data;
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test("every attack of the table runs, keeps the size and outputs integers in [0, 255]", () => {
  const small: Plane8 = {
    rows: 64,
    cols: 64,
    data: Float64Array.from({ length: 64 * 64 }, (_, i) => (i * 37) % 256),
  };
  for (const id of ATTACK_IDS) {
    const out = applyAttack(id, small, "small");
    assert.equal(out.data.length, 64 * 64, id);
    assert.ok(
      out.data.every((v) => Number.isInteger(v) && v >= 0 && v <= 255),
      id,
    );
  }
  const crop = applyAttack("crop-corner-1/4", ramp(), "ramp").data;
  assert.equal(crop[255 * N + 255], 0);
  assert.equal(crop[256 * N + 257], 7);
  const shifted = applyAttack("shift-5", ramp(), "ramp").data;
  assert.equal(shifted[10 * N + 5], ramp().data[10 * N]);
  assert.throws(() => applyAttack("blur-3", small, "x"), AttackError);
});
