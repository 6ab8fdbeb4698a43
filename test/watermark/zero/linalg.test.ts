import assert from "node:assert/strict";
import { test } from "node:test";
import { EigenvalueDecomposition, Matrix } from "ml-matrix";
import {
  determinant,
  matmul,
  orthonormalityError,
  symmetricEigen,
  transpose,
  tridiagonalEigen,
} from "../../../src/watermark/zero/linalg.ts";

// Deterministic pseudo-random values (xorshift), no Math.random in tests.
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32 - 0.5;
  };
}

function reconstructionError(a: Float64Array, n: number, values: Float64Array, vt: Float64Array) {
  // max |A v − λ v| over all pairs
  let worst = 0;
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += a[i * n + j] * vt[k * n + j];
      worst = Math.max(worst, Math.abs(s - values[k] * vt[k * n + i]));
    }
  }
  return worst;
}

test("tridiagonal QL agrees with ml-matrix and gives orthonormal vectors", () => {
  const n = 60;
  const r = rng(7);
  const d = Float64Array.from({ length: n }, () => r() * 10);
  const e = Float64Array.from({ length: n - 1 }, () => r() * 3);
  const { values, vectorsT } = tridiagonalEigen(d, e);
  const M = Matrix.zeros(n, n);
  const dense = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    M.set(i, i, d[i]);
    dense[i * n + i] = d[i];
    if (i < n - 1) {
      M.set(i, i + 1, e[i]);
      M.set(i + 1, i, e[i]);
      dense[i * n + i + 1] = e[i];
      dense[(i + 1) * n + i] = e[i];
    }
  }
  const ref = new EigenvalueDecomposition(M, { assumeSymmetric: true }).realEigenvalues;
  for (let i = 0; i < n; i++) assert.ok(Math.abs(values[i] - ref[i]) < 1e-12);
  for (let i = 1; i < n; i++) assert.ok(values[i] >= values[i - 1]);
  assert.ok(orthonormalityError(vectorsT, n, n) < 1e-13);
  assert.ok(reconstructionError(dense, n, values, vectorsT) < 1e-12);
});

test("dense symmetric eigen (tred2 + tql2) agrees with ml-matrix", () => {
  const n = 50;
  const r = rng(11);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = r();
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  }
  const { values, vectorsT } = symmetricEigen(a, n);
  const M = new Matrix(
    Array.from({ length: n }, (_, i) => Array.from(a.subarray(i * n, i * n + n))),
  );
  const ref = new EigenvalueDecomposition(M, { assumeSymmetric: true }).realEigenvalues;
  for (let i = 0; i < n; i++) assert.ok(Math.abs(values[i] - ref[i]) < 1e-13);
  assert.ok(orthonormalityError(vectorsT, n, n) < 1e-13);
  assert.ok(reconstructionError(a, n, values, vectorsT) < 1e-13);
});

test("matmul, transpose and determinant on known matrices", () => {
  const a = [1, 2, 3, 4, 5, 6];
  assert.deepEqual(Array.from(matmul(a, transpose(a, 2, 3), 2, 3, 2)), [14, 32, 32, 77]);
  assert.ok(Math.abs(determinant([0, 1, 1, 0], 2) + 1) < 1e-15);
  assert.ok(Math.abs(determinant([2, 0, 1, 1, 3, 2, 1, 1, 2], 3) - 6) < 1e-12);
});
