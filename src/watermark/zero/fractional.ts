// Principal fractional power of the real orthogonal Racah matrix with a symmetric eigensolver
// only (zero-watermark.md §4): S = (R+Rᵀ)/2 = W diag(c) Wᵀ, K = (R−Rᵀ)/2 commutes with S, and
// R^p = W diag(cos pθ) Wᵀ + K · W diag(sin pθ / sin θ) Wᵀ with θ = arccos c.
import { ZeroWatermarkError } from "./errors.ts";
import { orthonormalityError, symmetricEigen } from "./linalg.ts";

export interface FracSpectrum {
  N: number;
  /** Eigenvectors of S, one per row (n×n). */
  wT: Float64Array;
  /** θ_i ∈ [0, π]. */
  theta: Float64Array;
  /** K = (R − Rᵀ)/2, row-major. */
  K: Float64Array;
  /** min_i (π − θ_i): distance of the spectrum from the branch cut at −1 (§4.1). */
  delta: number;
}

/** Minimum distance of the spectrum from −1 below which the power is refused (§4.1). */
export const MIN_DELTA = 1e-3;

export function checkPower(p: number): void {
  if (!(Number.isFinite(p) && p > 0 && p <= 2)) {
    throw new ZeroWatermarkError("ZW_PARAM_DOMAIN", `fractional order p=${p} is outside (0, 2]`);
  }
}

/** Eigen-decomposition of the symmetric part; O(N³), shared by every power of the same R. */
export function fracSpectrum(R: Float64Array, N: number): FracSpectrum {
  const S = new Float64Array(N * N);
  const K = new Float64Array(N * N);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      const rij = R[i * N + j];
      const rji = R[j * N + i];
      S[i * N + j] = (rij + rji) / 2;
      K[i * N + j] = (rij - rji) / 2;
    }
  }
  const { values, vectorsT } = symmetricEigen(S, N);
  const theta = new Float64Array(N);
  let delta = Number.POSITIVE_INFINITY;
  for (let i = 0; i < N; i++) {
    theta[i] = Math.acos(Math.min(1, Math.max(-1, values[i])));
    delta = Math.min(delta, Math.PI - theta[i]);
  }
  if (delta < MIN_DELTA) {
    throw new ZeroWatermarkError(
      "ZW_DEGENERATE_SPECTRUM",
      `the Racah matrix has eigenvalues within ${delta.toExponential(2)} rad of −1 (limit ` +
        `${MIN_DELTA}): its fractional power is ill-defined for these parameters; choose another a, alpha, beta`,
    );
  }
  return { N, wT: vectorsT, theta, K, delta };
}

/**
 * The first q rows of R^p (§4.2): A = W_{0:q} diag(F) Wᵀ + (K_{0:q} W) diag(G) Wᵀ, about 3·q·N²
 * multiply-adds after the decomposition. p = 1 returns R's rows exactly. Validated: max|AAᵀ − I|.
 */
export function fracRowsFromSpectrum(
  spec: FracSpectrum,
  R: Float64Array,
  p: number,
  q: number,
): Float64Array {
  checkPower(p);
  if (!Number.isInteger(q) || q < 1 || q > spec.N) {
    throw new ZeroWatermarkError("ZW_PARAM_DOMAIN", `q=${q} must be an integer in [1, ${spec.N}]`);
  }
  if (p === 1) return R.slice(0, q * spec.N);
  return powerRows(spec, p, q);
}

/** The §4.2 formula for any real p (no shortcut, no domain check; tests use p = 0 and 1). */
export function powerRows(spec: FracSpectrum, p: number, q: number): Float64Array {
  const { N, wT, theta, K } = spec;
  const F = new Float64Array(N);
  const G = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const t = theta[i];
    F[i] = Math.cos(p * t);
    const st = Math.sin(t);
    G[i] = st > 1e-12 ? Math.sin(p * t) / st : p;
  }
  // P[r][i] = W[r][i]·F_i + (K_{0:q} W)[r][i]·G_i, with W[k][i] = wT[i][k].
  const P = new Float64Array(q * N);
  for (let r = 0; r < q; r++) {
    const kr = r * N;
    for (let i = 0; i < N; i++) {
      const wi = i * N;
      let kw = 0;
      for (let k = 0; k < N; k++) kw += K[kr + k] * wT[wi + k];
      P[kr + i] = wT[wi + r] * F[i] + kw * G[i];
    }
  }
  // A = P · Wᵀ, i.e. A[r][j] = Σ_i P[r][i] wT[i][j].
  const A = new Float64Array(q * N);
  for (let r = 0; r < q; r++) {
    const ar = r * N;
    for (let i = 0; i < N; i++) {
      const pv = P[ar + i];
      const wi = i * N;
      for (let j = 0; j < N; j++) A[ar + j] += pv * wT[wi + j];
    }
  }
  const err = orthonormalityError(A, q, N);
  if (!(err <= 1e-9)) {
    throw new ZeroWatermarkError(
      "ZW_KERNEL_INVALID",
      `rows of R^${p} are not orthonormal (max|AAᵀ−I| = ${err})`,
    );
  }
  return A;
}

/** First q rows of R^p (q = N for the full matrix). */
export function fracRows(R: Float64Array, N: number, p: number, q: number): Float64Array {
  checkPower(p);
  if (p === 1) {
    if (!Number.isInteger(q) || q < 1 || q > N) {
      throw new ZeroWatermarkError("ZW_PARAM_DOMAIN", `q=${q} must be an integer in [1, ${N}]`);
    }
    return R.slice(0, q * N);
  }
  return fracRowsFromSpectrum(fracSpectrum(R, N), R, p, q);
}
