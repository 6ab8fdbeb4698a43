import assert from "node:assert/strict";
import { test } from "node:test";
import { ZeroWatermarkError } from "../../../src/watermark/zero/errors.ts";
import { determinant, orthonormalityError } from "../../../src/watermark/zero/linalg.ts";
import {
  jacobiMatrix,
  racahBasis,
  racahEigen,
  recurrence,
} from "../../../src/watermark/zero/racah.ts";

const near = (x: number, y: number, tol: number, what: string) =>
  assert.ok(Math.abs(x - y) <= tol, `${what}: ${x} vs ${y} (tol ${tol})`);

// ---- Direct evaluation (zero-watermark.md §2.2), for integer parameter sets: the terminating
// ₄F₃ sum exactly in BigInt rationals, the Gamma factors as sums of logs (lgamma of integers).
const logFact: number[] = [0];
function lgammaInt(k: number): number {
  // Γ(k) = (k−1)!
  assert.ok(Number.isInteger(k) && k >= 1, `lgamma of ${k}`);
  while (logFact.length < k) logFact.push(logFact[logFact.length - 1] + Math.log(logFact.length));
  return logFact[k - 1];
}
function poch(x: bigint, k: number): bigint {
  let r = 1n;
  for (let i = 0; i < k; i++) r *= x + BigInt(i);
  return r;
}
function bitLen(x: bigint): number {
  return x === 0n ? 0 : (x < 0n ? -x : x).toString(2).length;
}
/** log|p/q| and sign, for huge rationals. */
function logRatio(p: bigint, q: bigint): [number, number] {
  if (p === 0n) return [Number.NEGATIVE_INFINITY, 0];
  const sign = p < 0n !== q < 0n ? -1 : 1;
  const ap = p < 0n ? -p : p;
  const aq = q < 0n ? -q : q;
  const e = bitLen(ap) - bitLen(aq);
  const shift = 64 - e;
  const m = shift >= 0 ? (ap << BigInt(shift)) / aq : ap / (aq << BigInt(-shift));
  return [Math.log(Number(m)) - shift * Math.LN2, sign];
}
function directR(N: number, a: number, alpha: number, beta: number): Float64Array {
  const b = a + N;
  const R = new Float64Array(N * N);
  for (let n = 0; n < N; n++) {
    const logD2 =
      lgammaInt(alpha + n + 1) +
      lgammaInt(beta + n + 1) +
      lgammaInt(b - a + alpha + beta + n + 1) +
      lgammaInt(a + b + alpha + n + 1) -
      Math.log(alpha + beta + 2 * n + 1) -
      lgammaInt(n + 1) -
      lgammaInt(b - a - n) -
      lgammaInt(alpha + beta + n + 1) -
      lgammaInt(a + b - beta - n);
    for (let j = 0; j < N; j++) {
      const s = a + j;
      // ₄F₃(−n, α+β+n+1, a−s, a+s+1; β+1, a+1−b, a+b+α+1; 1), exact.
      let num = 0n;
      let den = 1n;
      for (let k = 0; k <= Math.min(n, s - a); k++) {
        const tp =
          poch(BigInt(-n), k) *
          poch(BigInt(alpha + beta + n + 1), k) *
          poch(BigInt(a - s), k) *
          poch(BigInt(a + s + 1), k);
        const tq =
          poch(BigInt(beta + 1), k) *
          poch(BigInt(a + 1 - b), k) *
          poch(BigInt(a + b + alpha + 1), k) *
          poch(1n, k);
        num = num * tq + tp * den;
        den *= tq;
      }
      const pre =
        poch(BigInt(a - b + 1), n) * poch(BigInt(beta + 1), n) * poch(BigInt(a + b + alpha + 1), n);
      const [logU, sign] = logRatio(pre * num, poch(1n, n) * den);
      const logRho =
        lgammaInt(a + s + 1) +
        lgammaInt(s - a + beta + 1) +
        lgammaInt(b + alpha - s) +
        lgammaInt(b + alpha + s + 1) -
        lgammaInt(a - beta + s + 1) -
        lgammaInt(s - a + 1) -
        lgammaInt(b - s) -
        lgammaInt(b + s + 1);
      R[n * N + j] =
        sign === 0 ? 0 : sign * Math.exp(logU + 0.5 * (logRho + Math.log(2 * s + 1) - logD2));
    }
  }
  return R;
}

test("small N: the Jacobi-eigenvector kernel equals the direct ₄F₃/Gamma evaluation", () => {
  for (const [N, a, alpha, beta] of [
    [16, 0, 0, 0],
    [16, 4, 2, 1],
    [32, 8, 4, 2],
  ]) {
    const R = racahBasis(N, a, alpha, beta);
    const ref = directR(N, a, alpha, beta);
    let worst = 0;
    for (let i = 0; i < N * N; i++) worst = Math.max(worst, Math.abs(R[i] - ref[i]));
    assert.ok(worst <= 1e-10, `N=${N} (${a},${alpha},${beta}): max diff ${worst}`);
  }
});

test("golden values of §3.5", () => {
  const N = 512;
  const R = racahBasis(N, 10, 5, 2);
  near(R[0], 1.135105538010678e-5, 1e-10, "R[0][0]");
  near(R[1 * N], -2.537425644617715e-5, 1e-10, "R[1][0]");
  near(R[511], 7.712147089440988e-6, 1e-10, "R[0][511]");
  near(R[63 * N + 255], 1.041890914536228e-2, 1e-10, "R[63][255]");
  const R2 = racahBasis(N, 256, 128, 64);
  near(R2[100 * N + 300], 8.75845496025892e-3, 1e-10, "R[100][300]");
  near(R2[300 * N + 100], 1.253526521211759e-2, 1e-10, "R[300][100]");
  near(R2[124 * N], 1.038231e-3, 1e-9, "R[124][0]");
});

/** The naive rule "make row 0 positive": kept test-only to prove the regression test bites. */
function naiveRow0Positive(N: number, a: number, alpha: number, beta: number): Float64Array {
  const { vectorsT } = racahEigen({ N, a, alpha, beta });
  const R = new Float64Array(N * N);
  for (let j = 0; j < N; j++) {
    const flip = vectorsT[j * N] < 0 ? -1 : 1;
    for (let n = 0; n < N; n++) R[n * N + j] = flip * vectorsT[j * N + n];
  }
  return R;
}

/** §16.2: for (512, 256, 128, 64), n* of column 0 is 124 and R[124][0] must be positive. */
function signRegressionHolds(R: Float64Array, N: number): boolean {
  let nStar = 0;
  while (Math.abs(R[nStar * N]) <= 1e-3) nStar++;
  return (
    nStar === 124 &&
    R[124 * N] > 0 &&
    orthonormalityError(R, 64, N) < 1e-12 &&
    determinant(R, N) > 0
  );
}

test("sign rule regression: recurrence signs pass, 'row 0 positive' fails", () => {
  const N = 512;
  assert.equal(signRegressionHolds(racahBasis(N, 256, 128, 64), N), true);
  assert.equal(signRegressionHolds(naiveRow0Positive(N, 256, 128, 64), N), false);
});

test("eigenvalues, orthonormality, symmetry check and det R = +1 for N = 64, 256, 512", () => {
  for (const N of [64, 256, 512]) {
    for (const [a, alpha, beta] of [
      [0, 1, 0],
      [10, 5, 2],
      [N / 2, N / 4, N / 8],
    ]) {
      const p = { N, a, alpha, beta };
      const { values } = racahEigen(p);
      for (let j = 0; j < N; j++) {
        const lam = (a + j) * (a + j + 1);
        assert.ok(Math.abs(values[j] - lam) <= 1e-10 * Math.max(1, lam), `λ_${j}`);
      }
      const { off } = jacobiMatrix(p); // throws if the symmetry check fails
      const { A, rho, C } = recurrence(p);
      for (let m = 0; m < N - 1; m++) {
        const alt = -C(m + 2) / Math.sqrt(rho(m + 1));
        assert.ok(Math.abs(alt - off[m]) <= 1e-12 * off[m]);
        assert.ok(Math.abs(A(m + 1) * Math.sqrt(rho(m + 1)) - off[m]) === 0);
      }
      const R = racahBasis(N, a, alpha, beta);
      assert.ok(
        orthonormalityError(R, N, N) <= 1e-12,
        `orthonormal N=${N} (${a},${alpha},${beta})`,
      );
      assert.ok(Math.abs(determinant(R, N) - 1) < 1e-9, `det N=${N} (${a},${alpha},${beta})`);
    }
  }
});

test("N = 1024: orthonormal to 1e-12 (R Rᵀ = I over all rows)", () => {
  const N = 1024;
  const R = racahBasis(N, 10, 5, 2);
  assert.ok(orthonormalityError(R, N, N) <= 1e-12);
});

test("parameters outside the domain are refused with ZW_PARAM_DOMAIN", () => {
  const isDomain = (e: unknown) => e instanceof ZeroWatermarkError && e.code === "ZW_PARAM_DOMAIN";
  assert.throws(() => racahBasis(8, 0, 0, 0), isDomain);
  assert.throws(() => racahBasis(4096, 0, 0, 0), isDomain);
  assert.throws(() => racahBasis(64, -1, 0, 0), isDomain);
  assert.throws(() => racahBasis(64, 1, -0.5, 0), isDomain);
  assert.throws(() => racahBasis(64, 1, 0, 3), isDomain);
  assert.throws(() => racahBasis(64.5, 1, 0, 0), isDomain);
  assert.throws(() => racahBasis(64, Number.NaN, 0, 0), isDomain);
});
