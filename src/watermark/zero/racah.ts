// Orthonormal Racah polynomials (Zhu et al., Signal Processing 87:687–708, 2007) computed as the
// eigenvectors of the Jacobi matrix of their three-term recurrence (Golub & Welsch, Math. Comp. 23,
// 1969), with the sign rule of zero-watermark.md §3.3. No Gamma functions, no thresholds.
import { ZeroWatermarkError } from "./errors.ts";
import { orthonormalityError, type SymEigen, tridiagonalEigen } from "./linalg.ts";

export interface RacahParams {
  N: number;
  a: number;
  alpha: number;
  beta: number;
}

/** medtrace's restriction of Zhu's domain (§2.1). */
export function checkRacahDomain({ N, a, alpha, beta }: RacahParams): void {
  const ok =
    Number.isInteger(N) &&
    N >= 16 &&
    N <= 2048 &&
    Number.isFinite(a) &&
    Number.isFinite(alpha) &&
    Number.isFinite(beta) &&
    a >= 0 &&
    alpha >= 0 &&
    beta >= 0 &&
    beta < 2 * a + 1;
  if (!ok) {
    throw new ZeroWatermarkError(
      "ZW_PARAM_DOMAIN",
      `Racah parameters N=${N}, a=${a}, alpha=${alpha}, beta=${beta} are outside ` +
        "a ≥ 0, alpha ≥ 0, 0 ≤ beta < 2a+1, 16 ≤ N ≤ 2048 (integer N)",
    );
  }
}

/** Coefficients of the recurrence, §3.1. All take n ≥ 1 (C_n: n ≥ 2). */
export function recurrence({ N, a, alpha, beta }: RacahParams) {
  const b = a + N;
  const ab = alpha + beta;
  const c0 = (a * a + b * b + (a - beta) ** 2 + (b + alpha) ** 2 - 2) / 4;
  const cw = ((b + alpha / 2) ** 2 - (a - beta / 2) ** 2) / 2;
  const c = (n: number) => {
    const qn = n === 1 ? beta - alpha : (beta * beta - alpha * alpha) / (ab + 2 * n - 2);
    return c0 - ((ab + 2 * n - 2) * (ab + 2 * n)) / 8 + (qn * cw) / (ab + 2 * n);
  };
  const A = (n: number) =>
    n === 1 ? 1 / (ab + 2) : (n * (ab + n)) / ((ab + 2 * n - 1) * (ab + 2 * n));
  const rho = (n: number) =>
    (((ab + 2 * n - 1) / (ab + 2 * n + 1)) *
      ((alpha + n) *
        (beta + n) *
        (N + ab + n) *
        (a + b + alpha + n) *
        (N - n) *
        (a + b - beta - n))) /
    (n * (ab + n));
  const C = (n: number) => {
    const h = n - 1 + ab / 2;
    return (
      -(((alpha + n - 1) * (beta + n - 1)) / ((ab + 2 * n - 2) * (ab + 2 * n - 1))) *
      ((a + b + (alpha - beta) / 2) ** 2 - h * h) *
      ((N + ab / 2) ** 2 - h * h)
    );
  };
  const u1 = (s: number) =>
    (-(a + s + 1) * (s - a + beta + 1) * (b + alpha + s + 1) * (b - s - 1) +
      (b + alpha - s) * (a - beta + s) * (s - a) * (b + s)) /
    (2 * s + 1);
  return { b, c, A, rho, C, u1 };
}

/** The symmetric tridiagonal Jacobi matrix: diagonal c_{m+1}, off-diagonal A_{m+1}·sqrt(ρ_{m+1}). */
export function jacobiMatrix(p: RacahParams): { diag: Float64Array; off: Float64Array } {
  const { c, A, rho, C } = recurrence(p);
  const n = p.N;
  const diag = new Float64Array(n);
  const off = new Float64Array(n - 1);
  for (let m = 0; m < n; m++) diag[m] = c(m + 1);
  for (let m = 0; m < n - 1; m++) {
    const r = rho(m + 1);
    off[m] = A(m + 1) * Math.sqrt(r);
    // Built-in check (§3.1): the matrix is symmetric iff A_n ρ_n = −C_{n+1}.
    const alt = -C(m + 2) / Math.sqrt(r);
    if (!(off[m] > 0) || Math.abs(alt - off[m]) > 1e-12 * Math.abs(off[m])) {
      throw new ZeroWatermarkError(
        "ZW_KERNEL_INVALID",
        `Jacobi matrix symmetry check failed at m=${m}: ${off[m]} vs ${alt}`,
      );
    }
  }
  return { diag, off };
}

/** Eigenvalues (ascending) and unit eigenvectors (rows) of the Jacobi matrix, signs unfixed. */
export function racahEigen(p: RacahParams): SymEigen {
  checkRacahDomain(p);
  const { diag, off } = jacobiMatrix(p);
  return tridiagonalEigen(diag, off);
}

const SIGN_THRESHOLD = 1e-3;

/**
 * Sign of u_n(s) at the first order n whose eigenvector entry exceeds 10⁻³ (§3.3), by the
 * unnormalised recurrence, rescaled at every step (only the sign is needed).
 * Returns [n*, sign]; sign 0 never escapes (the next large entry is used instead).
 */
export function referenceSign(
  p: RacahParams,
  s: number,
  v: ArrayLike<number>,
  offset = 0,
): [number, number] {
  const { c, A, C, u1 } = recurrence(p);
  let prev = 1; // u_0
  let cur = u1(s); // u_1
  let order = 1; // order of `cur`
  const x = s * (s + 1);
  for (let k = 0; k < p.N; k++) {
    if (Math.abs(v[offset + k]) <= SIGN_THRESHOLD) continue;
    if (k === 0) return [0, 1];
    while (order < k) {
      const n = order + 1;
      const next = ((x - c(n)) * cur + C(n) * prev) / A(n);
      prev = cur;
      cur = next;
      order = n;
      const scale = Math.max(Math.abs(prev), Math.abs(cur));
      if (scale > 0 && Number.isFinite(scale)) {
        prev /= scale;
        cur /= scale;
      }
    }
    if (cur !== 0) return [k, Math.sign(cur)];
  }
  throw new ZeroWatermarkError(
    "ZW_KERNEL_INVALID",
    `no usable entry for the sign of column s=${s}`,
  );
}

/**
 * The N×N orthonormal Racah matrix, row-major, R[n][j] = ũ_n(a + j) (rows are orders), validated
 * as in §3.4. O(N³) time: cache it (see cache.ts).
 */
export function racahBasis(N: number, a: number, alpha: number, beta: number): Float64Array {
  const p = { N, a, alpha, beta };
  const { values, vectorsT } = racahEigen(p);
  for (let j = 0; j < N; j++) {
    const s = a + j;
    const lam = s * (s + 1);
    if (!(Math.abs(values[j] - lam) <= 1e-10 * Math.max(1, lam))) {
      throw new ZeroWatermarkError(
        "ZW_KERNEL_INVALID",
        `eigenvalue ${j} is ${values[j]}, expected s(s+1) = ${lam}`,
      );
    }
    const [nStar, sign] = referenceSign(p, s, vectorsT, j * N);
    if (Math.sign(vectorsT[j * N + nStar]) !== sign) {
      for (let k = 0; k < N; k++) vectorsT[j * N + k] = -vectorsT[j * N + k];
    }
  }
  // vectorsT holds one column of R per row: transpose.
  const R = new Float64Array(N * N);
  for (let j = 0; j < N; j++) for (let n = 0; n < N; n++) R[n * N + j] = vectorsT[j * N + n];
  const q = Math.min(N, 64);
  const err = orthonormalityError(R, q, N);
  if (!(err <= 1e-10)) {
    throw new ZeroWatermarkError("ZW_KERNEL_INVALID", `first ${q} rows not orthonormal: ${err}`);
  }
  return R;
}
