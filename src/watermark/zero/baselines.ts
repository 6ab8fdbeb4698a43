// Comparison baselines of zero-watermark.md §9, behind the same ZwScheme interface. Benchmark use
// only: their shares never go to the production ledger. Input: the 512² plane of §5.1 steps 1–3,
// without mean removal. All use the same W, π and decision rule as FrROM.
import { ZeroWatermarkError } from "./errors.ts";
import { type FloatPlane, toSquare } from "./features.ts";
import { checkKeys, keyedMark, makeShare, type ZwIdentity, type ZwKeys } from "./keyed.ts";
import { matmul, transpose } from "./linalg.ts";
import { paramsId } from "./params.ts";
import {
  checkEpoch,
  checkShareFor,
  compareMark,
  type ZwScheme,
  type ZwVerifyResult,
} from "./scheme.ts";
import { BASELINE_ALG_PREFIX, parseShareRecord, type ShareRecord, shareBytes } from "./share.ts";

const N = 512;
const L = 1024;

/** One orthonormal Haar low-pass step: LL[i][k] = (x00 + x01 + x10 + x11) / 2. */
export function haarLL(x: ArrayLike<number>, n: number): Float64Array {
  const h = n >> 1;
  const out = new Float64Array(h * h);
  for (let i = 0; i < h; i++) {
    for (let k = 0; k < h; k++) {
      const r0 = 2 * i * n + 2 * k;
      const r1 = r0 + n;
      out[i * h + k] = (x[r0] + x[r0 + 1] + x[r1] + x[r1 + 1]) / 2;
    }
  }
  return out;
}

function llN(x: Float64Array, n: number, levels: number): Float64Array {
  let cur = x;
  let size = n;
  for (let l = 0; l < levels; l++) {
    cur = haarLL(cur, size);
    size >>= 1;
  }
  return cur;
}

function median(values: ArrayLike<number>): number {
  const s = Float64Array.from(values).sort();
  const h = s.length >> 1;
  return s.length % 2 === 0 ? (s[h - 1] + s[h]) / 2 : s[h];
}

/** Largest eigenvalue of a symmetric n×n matrix by cyclic Jacobi rotations to 10⁻¹². */
export function jacobiMaxEigen(a: Float64Array, n: number): number {
  const m = Float64Array.from(a);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += m[i * n + i] ** 2;
      for (let j = i + 1; j < n; j++) off += m[i * n + j] ** 2;
    }
    if (off <= 1e-24 * Math.max(diag, 1e-300)) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (apq === 0) continue;
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = m[k * n + p];
          const akq = m[k * n + q];
          m[k * n + p] = c * akp - s * akq;
          m[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = m[p * n + k];
          const aqk = m[q * n + k];
          m[p * n + k] = c * apk - s * aqk;
          m[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  let best = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) best = Math.max(best, m[i * n + i]);
  return best;
}

/** σ₁ of each non-overlapping 8×8 block of LL₁ (256²), row-major block order: 1,024 values. */
export function blockSigma1(img: Float64Array): Float64Array {
  const ll = haarLL(img, N);
  const n = N >> 1;
  const nb = n >> 3;
  const out = new Float64Array(nb * nb);
  const B = new Float64Array(64);
  const BtB = new Float64Array(64);
  for (let by = 0; by < nb; by++) {
    for (let bx = 0; bx < nb; bx++) {
      for (let i = 0; i < 8; i++) {
        for (let k = 0; k < 8; k++) B[i * 8 + k] = ll[(by * 8 + i) * n + bx * 8 + k];
      }
      for (let i = 0; i < 8; i++) {
        for (let j = 0; j < 8; j++) {
          let s = 0;
          for (let k = 0; k < 8; k++) s += B[k * 8 + i] * B[k * 8 + j];
          BtB[i * 8 + j] = s;
        }
      }
      out[by * nb + bx] = Math.sqrt(Math.max(0, jacobiMaxEigen(BtB, 8)));
    }
  }
  return out;
}

/** Orthonormal DCT-II matrix D (n×n), C = D X Dᵀ. */
export function dctMatrix(n: number): Float64Array {
  const d = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const alpha = k === 0 ? Math.sqrt(1 / n) : Math.sqrt(2 / n);
    for (let i = 0; i < n; i++)
      d[k * n + i] = alpha * Math.cos((Math.PI * (2 * i + 1) * k) / (2 * n));
  }
  return d;
}

export function dct2(x: Float64Array, n: number): Float64Array {
  const d = dctMatrix(n);
  return matmul(matmul(d, x, n, n, n), transpose(d, n, n), n, n, n);
}

/**
 * Householder reduction to upper Hessenberg form H = QᵀAQ. Applied to the whole 64×64 DCT of LL₃
 * (Huang-like, §9) the sign bits of H are fragile: measured, a 10⁻³ relative perturbation of the
 * DCT flips about half of them (the reduction is backward stable, H itself is ill-conditioned). The reflected column's sub-diagonal
 * head becomes −sign(x₁)‖x‖ with sign(0) = +1 (§9).
 */
export function hessenberg(a: Float64Array, n: number): Float64Array {
  const h = Float64Array.from(a);
  const v = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    let norm = 0;
    for (let i = k + 1; i < n; i++) norm += h[i * n + k] ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    const x1 = h[(k + 1) * n + k];
    const alpha = -(x1 >= 0 ? 1 : -1) * norm;
    v.fill(0);
    for (let i = k + 1; i < n; i++) v[i] = h[i * n + k];
    v[k + 1] -= alpha;
    let vv = 0;
    for (let i = k + 1; i < n; i++) vv += v[i] * v[i];
    if (vv === 0) continue;
    // H ← P H P with P = I − 2vvᵀ/(vᵀv): left then right.
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = k + 1; i < n; i++) s += v[i] * h[i * n + j];
      s = (2 * s) / vv;
      for (let i = k + 1; i < n; i++) h[i * n + j] -= s * v[i];
    }
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = k + 1; j < n; j++) s += h[i * n + j] * v[j];
      s = (2 * s) / vv;
      for (let j = k + 1; j < n; j++) h[i * n + j] -= s * v[j];
    }
    h[(k + 1) * n + k] = alpha;
    for (let i = k + 2; i < n; i++) h[i * n + k] = 0;
  }
  return h;
}

export type BaselineName = "dwt-svd" | "dwt-dct" | "dwt-ll3-mean" | "rani-like" | "huang-like";

/** The 1,024 feature bits of a baseline from the 512² plane (no mean removal). */
export function baselineBits(name: BaselineName, img: Float64Array): Uint8Array {
  const bits = new Uint8Array(L);
  switch (name) {
    case "dwt-svd": {
      const s = blockSigma1(img);
      const med = median(s);
      for (let i = 0; i < L; i++) bits[i] = s[i] > med ? 1 : 0;
      return bits;
    }
    case "rani-like": {
      const s = blockSigma1(img);
      for (let i = 0; i < L; i++) bits[i] = s[i] > s[(i + 1) % L] ? 1 : 0;
      return bits;
    }
    case "dwt-dct": {
      const c = dct2(llN(img, N, 3), 64);
      for (let i = 0; i < 32; i++)
        for (let k = 0; k < 32; k++) bits[i * 32 + k] = c[i * 64 + k] >= 0 ? 1 : 0;
      return bits;
    }
    case "dwt-ll3-mean": {
      const ll = llN(img, N, 3);
      const means = new Float64Array(L);
      for (let i = 0; i < 32; i++) {
        for (let k = 0; k < 32; k++) {
          const r = 2 * i * 64 + 2 * k;
          means[i * 32 + k] = (ll[r] + ll[r + 1] + ll[r + 64] + ll[r + 65]) / 4;
        }
      }
      const med = median(means);
      for (let i = 0; i < L; i++) bits[i] = means[i] > med ? 1 : 0;
      return bits;
    }
    case "huang-like": {
      const h = hessenberg(dct2(llN(img, N, 3), 64), 64);
      let j = 0;
      for (let i = 0; i < 64 && j < L; i++) {
        for (let k = Math.max(0, i - 1); k < 64 && j < L; k++)
          bits[j++] = h[i * 64 + k] >= 0 ? 1 : 0;
      }
      return bits;
    }
  }
}

const LABELS: Record<BaselineName, string> = {
  "dwt-svd": "DWT-SVD",
  "dwt-dct": "DWT-DCT",
  "dwt-ll3-mean": "DWT-LL3 block-mean",
  "rani-like": "Rani-like (approx.)",
  "huang-like": "Huang-like (approx.)",
};

export class BaselineScheme implements ZwScheme {
  readonly alg: string;
  readonly label: string;
  readonly paramsId: string;
  readonly params: Record<string, unknown>;

  constructor(readonly name: BaselineName) {
    if (!(name in LABELS))
      throw new ZeroWatermarkError("ZW_PARAM_DOMAIN", `unknown baseline ${name}`);
    this.alg = `${BASELINE_ALG_PREFIX}${name}/v1`;
    this.label = LABELS[name];
    this.params = { N, L, scheme: name, resample: "tri/v1" };
    this.paramsId = paramsId(this.params as never);
  }

  bits(plane: FloatPlane): Uint8Array {
    return baselineBits(this.name, toSquare(plane, N));
  }

  register(plane: FloatPlane, identity: ZwIdentity, keys: ZwKeys): ShareRecord {
    checkKeys(keys);
    const share = makeShare(this.bits(plane), keyedMark(keys, identity, L));
    return {
      alg: this.alg,
      params: { ...this.params },
      paramsId: this.paramsId,
      identity,
      share: Buffer.from(share).toString("base64"),
      keyEpoch: keys.epoch,
    };
  }

  verify(plane: FloatPlane, shareRecord: ShareRecord, keys: ZwKeys): ZwVerifyResult {
    checkKeys(keys);
    const rec = parseShareRecord(shareRecord);
    checkShareFor(this, rec);
    checkEpoch(rec, keys);
    return compareMark(this.bits(plane), shareBytes(rec), rec.identity, keys);
  }
}

export const BASELINES: BaselineName[] = [
  "dwt-svd",
  "dwt-dct",
  "dwt-ll3-mean",
  "rani-like",
  "huang-like",
];
