import assert from "node:assert/strict";
import { test } from "node:test";
import {
  BASELINES,
  BaselineScheme,
  hessenberg,
  jacobiMaxEigen,
  ZeroWatermarkError,
  type ZwKeys,
} from "../../../src/watermark/zero/index.ts";
import { symmetricEigen } from "../../../src/watermark/zero/linalg.ts";
import { uscImage } from "./images.ts";

function rng(seed: number) {
  let s = seed;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32 - 0.5;
  };
}

const keys: ZwKeys = { id: new Uint8Array(32).fill(1), perm: new Uint8Array(32).fill(2), epoch: 1 };

test("Jacobi rotations find the largest eigenvalue of BᵀB", () => {
  const r = rng(5);
  const B = Float64Array.from({ length: 64 }, r);
  const BtB = new Float64Array(64);
  for (let i = 0; i < 8; i++) {
    for (let j = 0; j < 8; j++) {
      let s = 0;
      for (let k = 0; k < 8; k++) s += B[k * 8 + i] * B[k * 8 + j];
      BtB[i * 8 + j] = s;
    }
  }
  const ref = symmetricEigen(BtB, 8).values[7];
  assert.ok(Math.abs(jacobiMaxEigen(BtB, 8) - ref) < 1e-12);
});

test("Householder Hessenberg: upper Hessenberg, similar (trace and Frobenius norm kept), sign rule", () => {
  const n = 12;
  const r = rng(9);
  const A = Float64Array.from({ length: n * n }, r);
  const H = hessenberg(A, n);
  let trA = 0;
  let trH = 0;
  let fA = 0;
  let fH = 0;
  for (let i = 0; i < n; i++) {
    trA += A[i * n + i];
    trH += H[i * n + i];
    for (let k = 0; k < n; k++) {
      if (k < i - 1) assert.equal(H[i * n + k], 0);
      fA += A[i * n + k] ** 2;
      fH += H[i * n + k] ** 2;
    }
  }
  assert.ok(Math.abs(trA - trH) < 1e-12);
  assert.ok(Math.abs(fA - fH) < 1e-12);
  // First column: sub-diagonal head = −sign(x₁)‖x‖.
  let norm = 0;
  for (let i = 1; i < n; i++) norm += A[i * n] ** 2;
  assert.ok(Math.abs(H[n] - -Math.sign(A[n]) * Math.sqrt(norm)) < 1e-12);
});

test("every baseline registers and verifies its own image with BER 0, and refuses FrROM shares", () => {
  const img = uscImage("boat");
  const other = uscImage("airplane");
  for (const name of BASELINES) {
    const s = new BaselineScheme(name);
    const share = s.register(img, { id: "boat" }, keys);
    assert.equal(s.verify(img, share, keys).ber, 0, name);
    const cross = s.verify(other, share, keys).ber;
    assert.ok(cross > 0.3, `${name}: boat vs airplane ${cross}`);
    const wrong = new BaselineScheme(name === "dwt-svd" ? "dwt-dct" : "dwt-svd");
    assert.throws(
      () => wrong.verify(img, share, keys),
      (e: unknown) => e instanceof ZeroWatermarkError && e.code === "ZW_PARAMS_MISMATCH",
    );
  }
});
