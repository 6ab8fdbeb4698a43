// Symmetric eigensolvers on Float64Array, eigenvectors stored transposed (one vector per row), so
// that every Givens rotation of the QL sweep updates two contiguous rows (zero-watermark.md §3.2).
// Algorithms: Householder tridiagonalisation "tred2" and implicit QL "tql2" (Bowdler, Martin,
// Reinsch & Wilkinson, Numer. Math. 11, 1968; EISPACK), as in the public-domain JAMA port that
// ml-matrix also uses. ml-matrix works on nested arrays and is several times slower at N = 512;
// the tests cross-check these routines against it.

const EPS = 2 ** -52;

export interface SymEigen {
  /** Eigenvalues, ascending. */
  values: Float64Array;
  /** n×n, row i is the unit eigenvector of values[i]. */
  vectorsT: Float64Array;
}

/**
 * Implicit QL with shifts on a symmetric tridiagonal matrix.
 * `d` (length n): diagonal, overwritten by the eigenvalues.
 * `e` (length n): e[i] couples rows i and i+1 (e[n−1] ignored); destroyed.
 * `zt` (n×n): rotations are accumulated into its rows (start from the identity for the
 * eigenvectors of the tridiagonal matrix, or from Qᵀ of tred2 for a dense matrix).
 * Returns nothing; call `sortEigen` afterwards.
 */
export function tql2(d: Float64Array, e: Float64Array, zt: Float64Array, n: number): void {
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= EPS * tst1) break;
      m++;
    }
    if (m === n) m = n - 1;
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) throw new Error("tql2: no convergence");
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          const ri = i * n;
          const rj = ri + n;
          for (let k = 0; k < n; k++) {
            const zi = zt[ri + k];
            const zj = zt[rj + k];
            zt[rj + k] = s * zi + c * zj;
            zt[ri + k] = c * zi - s * zj;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > EPS * tst1);
    }
    d[l] = d[l] + f;
    e[l] = 0;
  }
}

/** Sorts eigenvalues ascending and permutes the rows of `zt` with them. */
export function sortEigen(d: Float64Array, zt: Float64Array, n: number): SymEigen {
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => d[i] - d[j] || i - j);
  const values = new Float64Array(n);
  const vectorsT = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    values[k] = d[order[k]];
    vectorsT.set(zt.subarray(order[k] * n, order[k] * n + n), k * n);
  }
  return { values, vectorsT };
}

/** Eigen-decomposition of a symmetric tridiagonal matrix (diag `d`, off-diagonal `off`, n−1). */
export function tridiagonalEigen(diag: ArrayLike<number>, off: ArrayLike<number>): SymEigen {
  const n = diag.length;
  const d = Float64Array.from(diag);
  const e = new Float64Array(n);
  for (let i = 0; i < n - 1; i++) e[i] = off[i];
  const zt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) zt[i * n + i] = 1;
  tql2(d, e, zt, n);
  return sortEigen(d, zt, n);
}

/**
 * Householder reduction of a dense symmetric matrix to tridiagonal form (tred2, JAMA layout).
 * `v` (n×n row-major, symmetric) is overwritten with the accumulated orthogonal Q such that
 * A = Q T Qᵀ, stored as V[i][j] = v[i*n+j] with the eigenvector basis in the columns.
 * Returns the diagonal and the sub-diagonal (e[i] couples i−1 and i, e[0] = 0).
 */
function tred2(v: Float64Array, n: number): { d: Float64Array; e: Float64Array } {
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  for (let j = 0; j < n; j++) d[j] = v[(n - 1) * n + j];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = v[(i - 1) * n + j];
        v[i * n + j] = 0;
        v[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        v[j * n + i] = f;
        g = e[j] + v[j * n + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += v[k * n + j] * d[k];
          e[k] += v[k * n + j] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) v[k * n + j] -= f * e[k] + g * d[k];
        d[j] = v[(i - 1) * n + j];
        v[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    v[(n - 1) * n + i] = v[i * n + i];
    v[i * n + i] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = v[k * n + i + 1] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += v[k * n + i + 1] * v[k * n + j];
        for (let k = 0; k <= i; k++) v[k * n + j] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) v[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = v[(n - 1) * n + j];
    v[(n - 1) * n + j] = 0;
  }
  v[(n - 1) * n + (n - 1)] = 1;
  e[0] = 0;
  return { d, e };
}

/** Eigen-decomposition of a dense symmetric n×n matrix (row-major; only symmetry is assumed). */
export function symmetricEigen(a: ArrayLike<number>, n: number): SymEigen {
  if (a.length !== n * n) throw new Error(`symmetricEigen: ${a.length} values for ${n}×${n}`);
  const v = Float64Array.from(a);
  const { d, e: sub } = tred2(v, n);
  // tql2 wants e[i] coupling i and i+1, and the basis Q transposed (one basis vector per row).
  const e = new Float64Array(n);
  for (let i = 0; i < n - 1; i++) e[i] = sub[i + 1];
  const zt = transpose(v, n, n);
  tql2(d, e, zt, n);
  return sortEigen(d, zt, n);
}

export function transpose(a: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}

/** C = A·B with A r×k and B k×c, row-major, i-k-j loop order (fixed summation order). */
export function matmul(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  r: number,
  k: number,
  c: number,
): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) {
    const oi = i * c;
    for (let t = 0; t < k; t++) {
      const av = a[i * k + t];
      if (av === 0) continue;
      const bt = t * c;
      for (let j = 0; j < c; j++) out[oi + j] += av * b[bt + j];
    }
  }
  return out;
}

/** max |A·Aᵀ − I| over the first `rows` rows of an r×n row-major matrix. */
export function orthonormalityError(a: ArrayLike<number>, rows: number, n: number): number {
  let worst = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = i; j < rows; j++) {
      let s = 0;
      const oi = i * n;
      const oj = j * n;
      for (let k = 0; k < n; k++) s += a[oi + k] * a[oj + k];
      worst = Math.max(worst, Math.abs(s - (i === j ? 1 : 0)));
    }
  }
  return worst;
}

/** Determinant by LU with partial pivoting (tests: det R = +1). */
export function determinant(a: ArrayLike<number>, n: number): number {
  const m = Float64Array.from(a);
  let det = 1;
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[piv * n + c])) piv = r;
    const pv = m[piv * n + c];
    if (pv === 0) return 0;
    if (piv !== c) {
      for (let k = 0; k < n; k++) {
        const t = m[c * n + k];
        m[c * n + k] = m[piv * n + k];
        m[piv * n + k] = t;
      }
      det = -det;
    }
    det *= pv;
    for (let r = c + 1; r < n; r++) {
      const f = m[r * n + c] / pv;
      if (f === 0) continue;
      for (let k = c; k < n; k++) m[r * n + k] -= f * m[c * n + k];
    }
  }
  return det;
}
